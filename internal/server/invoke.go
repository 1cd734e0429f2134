package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"batchd/internal/awsproto"
	"batchd/internal/iam"
	"batchd/internal/iam/policy"
)

// Invoke runs one operation as principal p, as if p had signed the
// request: the same codec, model checks, operation table, authorizer and
// audit trail as a call over the wire. The web console fetches its pages
// through it, so that a console user sees and does exactly what the same
// user's access keys would.
//
// input is the operation's input in its protocol's encoding: the JSON
// body of a Batch (REST-JSON, operations without URI labels) or CloudWatch
// Logs (JSON 1.1) operation, or the Query parameters of an IAM or STS
// operation, form-encoded, without Action and Version. The result is the
// operation's output value: the Batch or Logs output type, or
// awsproto.Fields for IAM and STS. A denial is an *AccessDeniedError.
func (s *Server) Invoke(ctx context.Context, p *iam.Principal, env iam.Env, userAgent, service, operation string, input []byte) (any, error) {
	if p == nil {
		return nil, errors.New("server: Invoke without a principal")
	}
	c := s.newCall(ctx, p, env, userAgent, service, operation)
	out, err := s.invoke(c, service, operation, input)
	s.finish(c, err)
	return out, err
}

// newCall is a call made in the server, not over the wire, as p; env's
// region is the server's when not given.
func (s *Server) newCall(ctx context.Context, p *iam.Principal, env iam.Env, userAgent, service, operation string) *Call {
	if env.Region == "" {
		env.Region = s.cfg.Region
	}
	return &Call{Ctx: ctx, Principal: p, RequestID: newRequestID(), srv: s, start: time.Now(), Env: env,
		UserAgent: userAgent, Service: service, Operation: operation}
}

func (s *Server) invoke(c *Call, service, operation string, input []byte) (any, error) {
	model, ok := awsproto.Model(service)
	if !ok {
		return nil, awsproto.Errorf("UnknownService", "The service %q is not served by batchd.", service)
	}
	mop := model.Operations[operation]
	if mop == nil {
		return nil, awsproto.Errorf("UnknownOperationException", "The operation %s is not supported by batchd.", operation)
	}
	switch service {
	case "batch", "logs":
		if (service == "batch" && s.cfg.Batch == nil) || (service == "logs" && s.cfg.Logs == nil) {
			return nil, awsproto.Errorf("UnknownService", "The service %q is not enabled.", service)
		}
		ops, p := batchOps, protoRESTJSON
		method, uri := mop.Method, mop.RequestURI
		if service == "logs" {
			ops, p, method, uri = logsOps, protoJSON, http.MethodPost, "/"
		}
		if strings.Contains(uri, "{") {
			return nil, fmt.Errorf("server: Invoke does not serve %s, whose URI has labels", operation)
		}
		r, err := http.NewRequestWithContext(c.Ctx, method, uri, bytes.NewReader(input))
		if err != nil {
			return nil, err
		}
		if service == "logs" {
			r.Header.Set("X-Amz-Target", model.TargetPrefix+"."+operation)
			r.Header.Set("Content-Type", "application/x-amz-json-"+model.JSONVersion)
		}
		return s.runTyped(r, input, c, service, p, ops)
	case "iam", "sts":
		ops, xmlns := iamOps, iamXMLNS
		if service == "sts" {
			ops, xmlns = stsOps, stsXMLNS
		}
		c.xmlns = xmlns
		form := "Action=" + url.QueryEscape(operation) + "&Version=" + url.QueryEscape(model.APIVersion)
		if len(input) > 0 {
			form += "&" + string(input)
		}
		r, err := http.NewRequestWithContext(c.Ctx, http.MethodPost, "/", strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		q, err := awsproto.ParseQuery(r, []byte(form))
		if err != nil {
			return nil, err
		}
		return s.runQuery(c, q, service, ops)
	}
	return nil, awsproto.Errorf("UnknownService", "The service %q is not served by batchd.", service)
}

// AuthorizationMessage is the encoded authorization message of a denial
// (what AWS's UnauthorizedOperation carries, and batchd's
// X-Batchd-Authorization-Message header), which the denied principal may
// decode with sts:DecodeAuthorizationMessage when allowed to; "" when err
// is not a denial.
func (s *Server) AuthorizationMessage(p *iam.Principal, err error) string {
	var ad *AccessDeniedError
	if s.cfg.STS == nil || !errors.As(err, &ad) || ad.Verdict == nil {
		return ""
	}
	return s.cfg.STS.EncodeAuthorizationMessage(p, ad.Verdict)
}

// LookupEvents returns up to max of the audit trail's most recent records,
// newest first, to p when p may cloudtrail:LookupEvents (on "*": the
// action has no resource type). The lookup is itself recorded, as
// CloudTrail records its own LookupEvents calls.
func (s *Server) LookupEvents(ctx context.Context, p *iam.Principal, env iam.Env, userAgent string, max int) ([]json.RawMessage, error) {
	c := s.newCall(ctx, p, env, userAgent, "cloudtrail", "LookupEvents")
	c.deniedCode = "AccessDeniedException"
	var recs []json.RawMessage
	err := c.Authorize("cloudtrail:LookupEvents", "*", nil)
	if err == nil && s.cfg.Audit != nil {
		recs, err = s.cfg.Audit.Recent(max)
	}
	s.finish(c, err)
	return recs, err
}

// ConsoleLogin records a console sign-in in the audit trail as CloudTrail
// does (CloudTrail User Guide, "AWS console sign-in events"): event
// source signin.amazonaws.com, event type AwsConsoleSignIn, ConsoleLogin
// Success or Failure. A failed sign-in names no user: what was typed as a
// user name may be a password (CloudTrail writes
// HIDDEN_DUE_TO_SECURITY_REASONS).
func (s *Server) ConsoleLogin(p *iam.Principal, account string, env iam.Env, userAgent string, failure error) {
	if s.cfg.Audit == nil {
		return
	}
	result := "Success"
	if failure != nil {
		result = "Failure"
		p = &iam.Principal{Kind: policy.User, Account: account, UserName: "HIDDEN_DUE_TO_SECURITY_REASONS"}
	}
	c := s.newCall(context.Background(), p, env, userAgent, "signin", "ConsoleLogin")
	c.eventType, c.responseElements = "AwsConsoleSignIn", map[string]string{"ConsoleLogin": result}
	if failure != nil {
		failure = consoleLoginFailure{}
	}
	s.cfg.Audit.Record(c, failure, "")
}

// consoleLoginFailure is how CloudTrail words a failed sign-in.
type consoleLoginFailure struct{}

func (consoleLoginFailure) Error() string        { return "Failed authentication" }
func (consoleLoginFailure) ErrorCode() string    { return "" }
func (consoleLoginFailure) ErrorMessage() string { return "Failed authentication" }
