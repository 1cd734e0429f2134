package server

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"batchd/internal/iam/policy"
)

// Audit appends a record of every call and its authorization decisions to
// a JSON Lines file, in the shape of CloudTrail records (CloudTrail User
// Guide, "CloudTrail record contents") with the engine's reasons added.
// Records are buffered and flushed at least once a second and on Close.
type Audit struct {
	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	stop   chan struct{}
	done   chan struct{}
	region string
}

// OpenAudit opens (appending) the audit file at path.
func OpenAudit(path, region string) (*Audit, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	a := &Audit{f: f, w: bufio.NewWriterSize(f, 64<<10), stop: make(chan struct{}), done: make(chan struct{}), region: region}
	go a.flusher()
	return a, nil
}

func (a *Audit) flusher() {
	defer close(a.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.mu.Lock()
			a.w.Flush()
			a.mu.Unlock()
		case <-a.stop:
			return
		}
	}
}

// Close flushes and closes the file.
func (a *Audit) Close() error {
	close(a.stop)
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	err := a.w.Flush()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	return err
}

type auditRecord struct {
	EventVersion      string         `json:"eventVersion"`
	EventTime         string         `json:"eventTime"`
	EventSource       string         `json:"eventSource"`
	EventName         string         `json:"eventName"`
	AWSRegion         string         `json:"awsRegion"`
	SourceIPAddress   string         `json:"sourceIPAddress"`
	UserAgent         string         `json:"userAgent"`
	UserIdentity      map[string]any `json:"userIdentity"`
	RequestParameters any            `json:"requestParameters,omitempty"`
	ErrorCode         string         `json:"errorCode,omitempty"`
	ErrorMessage      string         `json:"errorMessage,omitempty"`
	RequestID         string         `json:"requestID"`
	EventID           string         `json:"eventID"`
	EventType         string         `json:"eventType"`
	RecipientAccount  string         `json:"recipientAccountId"`
	Decisions         []auditVerdict `json:"batchdDecisions,omitempty"`
}

type auditVerdict struct {
	Action   string         `json:"action"`
	Resource string         `json:"resource"`
	Decision policy.Outcome `json:"decision"`
	Reasons  []string       `json:"reasons"`
}

// secretParam matches request parameters never written to the audit trail.
var secretParam = regexp.MustCompile(`(?i)password|secret|token|privatekey`)

// Record appends one call.
func (a *Audit) Record(c *Call, callErr error) {
	p := c.Principal
	rec := auditRecord{
		EventVersion: "1.08", EventTime: c.start.UTC().Format(time.RFC3339), EventSource: c.Service + ".amazonaws.com",
		EventName: c.Operation, AWSRegion: c.Env.Region, SourceIPAddress: c.Env.SourceIP, UserAgent: c.UserAgent,
		RequestID: c.RequestID, EventID: newRequestID(), EventType: "AwsApiCall", RecipientAccount: p.Account,
		UserIdentity: map[string]any{"type": identityType(p.Kind), "principalId": p.UserID, "arn": p.ARN, "accountId": p.Account, "accessKeyId": p.AccessKeyID},
	}
	if p.UserName != "" {
		rec.UserIdentity["userName"] = p.UserName
	}
	switch {
	case c.Params != nil:
		params := map[string]any{}
		for _, k := range c.Params.Names() {
			if !secretParam.MatchString(k) && !strings.HasPrefix(k, "X-Amz-") {
				params[k], _ = c.Params.String(k)
			}
		}
		rec.RequestParameters = params
	case c.Input != nil:
		rec.RequestParameters = redactJSON(c.Input)
	}
	if callErr != nil {
		var coded interface {
			ErrorCode() string
			ErrorMessage() string
		}
		if errors.As(callErr, &coded) {
			rec.ErrorCode, rec.ErrorMessage = coded.ErrorCode(), coded.ErrorMessage()
		} else {
			rec.ErrorCode = "InternalFailure"
		}
	}
	for _, v := range c.verdicts {
		rec.Decisions = append(rec.Decisions, auditVerdict{Action: v.Request.Action, Resource: v.Request.Resource, Decision: v.Outcome, Reasons: v.Reasons()})
	}
	b, err := json.Marshal(&rec)
	if err != nil {
		return
	}
	a.mu.Lock()
	a.w.Write(append(b, '\n'))
	a.mu.Unlock()
}

func identityType(k policy.CallerKind) string {
	switch k {
	case policy.Root:
		return "Root"
	case policy.User:
		return "IAMUser"
	case policy.AssumedRole:
		return "AssumedRole"
	case policy.FederatedUser:
		return "FederatedUser"
	}
	return "Unknown"
}

// redactJSON returns v as generic JSON without secret-looking members and
// without the values of environment variables, which often carry secrets.
func redactJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var generic any
	if json.Unmarshal(b, &generic) != nil {
		return nil
	}
	var walk func(x any, parent string) any
	walk = func(x any, parent string) any {
		switch t := x.(type) {
		case map[string]any:
			for k, val := range t {
				switch {
				case secretParam.MatchString(k):
					delete(t, k)
				case parent == "environment" && k == "value":
					t[k] = "HIDDEN"
				default:
					t[k] = walk(val, k)
				}
			}
		case []any:
			for i := range t {
				t[i] = walk(t[i], parent)
			}
		}
		return x
	}
	return walk(generic, "")
}
