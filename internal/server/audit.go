package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"batchd/internal/iam/policy"
)

// Audit appends a record of every call and its authorization decisions to
// a JSON Lines file, in the shape of CloudTrail records (CloudTrail User
// Guide, "CloudTrail record contents") with the engine's reasons added.
//
// Record returns once its record is written and synced (group commit:
// concurrent calls share one write and fsync), so the record of a call
// reaches the disk before its response does. A call that writes commits
// its record with its write instead, in the store's transaction
// (Config.WithCommitHook): durable with the write, it reaches the file
// through AuditOptions.Queue within milliseconds, and at the next start
// after a crash. When the file cannot be
// written (a full disk), Record says so loudly through AuditOptions.Log,
// keeps the records (up to maxAuditPending bytes; older ones are counted
// and dropped past that) and writes them once it can again: at the next
// call or within a second. The file is rotated by size: audit.jsonl.1 is
// the newest full file, and at most MaxFiles old files are kept. One
// record is at most maxAuditRecord bytes: larger request parameters are
// replaced by their size.
type Audit struct {
	path string
	opts AuditOptions

	mu       sync.Mutex
	cond     *sync.Cond
	f        *os.File // the writer's, between rotations
	size     int64
	pending  []byte
	seq      uint64 // records appended
	durable  uint64 // records written and synced
	writing  bool
	closed   bool
	failing  bool
	dropped  int
	stop     chan struct{}
	done     chan struct{}
	kickc    chan struct{} // Kick
	exported chan struct{} // closed when the exporter ended
	region   string
	writeFn  func(f *os.File, b []byte) error // tests replace it
	failedAt time.Time
}

// AuditOptions bound the audit trail.
type AuditOptions struct {
	// MaxSize is the size at which the file is rotated; 0 is 100 MiB.
	MaxSize int64
	// MaxFiles is how many rotated files are kept; 0 is 10.
	MaxFiles int
	// Log hears that records cannot be written, and when they can again.
	Log *slog.Logger
	// Queue, when set, holds the records calls committed with their
	// writes (Config.WithCommitHook); the trail moves them to its file.
	Queue AuditQueue
}

// AuditQueue holds the records of calls that committed them with their
// writes, in the store's transaction, until the trail's file has them.
type AuditQueue interface {
	// Pending returns up to n records, oldest first, with their keys.
	Pending(ctx context.Context, n int) (keys []string, records [][]byte, err error)
	// Remove forgets records the file has.
	Remove(ctx context.Context, keys []string) error
}

// exportDelay gathers the records calls committed for one write of the
// file; exportTick bounds how long one waits when no call says so.
const (
	exportDelay = 2 * time.Millisecond
	exportTick  = time.Second
	exportBatch = 1000
	// dedupeTail is how much of the file's end is searched, at start, for
	// the records the queue still holds: written to the file before a
	// crash but not yet removed.
	dedupeTail = 4 << 20
)

const (
	maxAuditRecord  = 64 << 10
	maxAuditPending = 16 << 20
)

// OpenAudit opens (appending) the audit file at path.
func OpenAudit(path, region string, opts AuditOptions) (*Audit, error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = 100 << 20
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = 10
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := &Audit{path: path, opts: opts, stop: make(chan struct{}), done: make(chan struct{}), region: region, writeFn: writeSync}
	a.cond = sync.NewCond(&a.mu)
	if err := a.open(); err != nil {
		return nil, err
	}
	a.kickc, a.exported = make(chan struct{}, 1), make(chan struct{})
	if opts.Queue != nil {
		// What a crash left in the queue first, once, before any call.
		if err := a.export(true); err != nil {
			a.f.Close()
			return nil, fmt.Errorf("audit trail: records left from the last run: %w", err)
		}
		go a.exporter()
	} else {
		close(a.exported)
	}
	go a.retrier()
	return a, nil
}

// Kick tells the trail that a call committed its record to the queue.
func (a *Audit) Kick() {
	select {
	case a.kickc <- struct{}{}:
	default:
	}
}

// exporter moves queued records to the file as calls commit them.
func (a *Audit) exporter() {
	defer close(a.exported)
	t := time.NewTicker(exportTick)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-a.kickc:
			time.Sleep(exportDelay) // more come meanwhile
		case <-t.C:
		}
		if err := a.export(false); err != nil {
			a.opts.Log.Error("audit trail: reading the records calls committed (they stay queued)", "err", err)
		}
	}
}

// export writes the queued records to the file, synced, and removes them
// from the queue. With dedupe (at start) records already at the end of
// the file (written before a crash that came before their removal) are
// not written again.
func (a *Audit) export(dedupe bool) error {
	ctx := context.Background()
	var tail []byte
	if dedupe {
		tail = fileTail(a.path, dedupeTail)
	}
	for {
		keys, recs, err := a.opts.Queue.Pending(ctx, exportBatch)
		if err != nil || len(keys) == 0 {
			return err
		}
		var buf []byte
		for _, r := range recs {
			if dedupe && bytes.Contains(tail, eventIDOf(r)) {
				continue
			}
			buf = append(buf, r...)
		}
		if len(buf) > 0 && !a.appendQueued(buf) {
			return nil // they wait in the queue for the file to take them
		}
		if err := a.opts.Queue.Remove(ctx, keys); err != nil {
			return err
		}
		if len(keys) < exportBatch {
			return nil
		}
	}
}

// eventIDOf is the `"eventID":"..."` member of a record, or a string no
// record holds.
func eventIDOf(rec []byte) []byte {
	const key = `"eventID":"`
	i := bytes.Index(rec, []byte(key))
	if i < 0 {
		return []byte("\x00none\x00")
	}
	rest := rec[i+len(key):]
	if j := bytes.IndexByte(rest, '"'); j >= 0 {
		return rec[i : i+len(key)+j+1]
	}
	return []byte("\x00none\x00")
}

// fileTail returns up to n bytes of the end of the file at path.
func fileTail(path string, n int64) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	off := max(0, fi.Size()-n)
	b := make([]byte, fi.Size()-off)
	k, _ := f.ReadAt(b, off) // a short read searches less
	return b[:k]
}

// recentTail is how much of the file's end Recent reads.
const recentTail = 4 << 20

// Recent returns up to n of the most recent records written to the file,
// newest first (records still queued are not among them yet).
func (a *Audit) Recent(n int) ([]json.RawMessage, error) {
	a.mu.Lock()
	path := a.path
	a.mu.Unlock()
	tail := fileTail(path, recentTail)
	if i := bytes.IndexByte(tail, '\n'); i >= 0 && len(tail) == recentTail {
		tail = tail[i+1:] // the first line may be cut
	}
	var out []json.RawMessage
	for len(tail) > 0 && len(out) < n {
		tail = bytes.TrimRight(tail, "\n")
		i := bytes.LastIndexByte(tail, '\n')
		line := tail[i+1:]
		tail = tail[:max(i, 0)]
		if json.Valid(line) {
			out = append(out, json.RawMessage(line))
		}
	}
	return out, nil
}

func (a *Audit) open() error {
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	a.f, a.size = f, fi.Size()
	return nil
}

func writeSync(f *os.File, b []byte) error {
	if _, err := f.Write(b); err != nil {
		return err
	}
	return f.Sync()
}

// append writes line and returns once it is durable, or once writing it
// failed (it is then kept for later).
func (a *Audit) append(line []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.waitLocked(a.enqueueLocked(line))
}

// appendQueued writes records the queue holds and reports whether they
// are durable. When the file takes nothing (a full disk), they are not
// kept in memory as other records are: the queue keeps them, and they are
// written once, when the file can take them again.
func (a *Audit) appendQueued(buf []byte) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failing {
		return false
	}
	seq := a.enqueueLocked(buf)
	a.waitLocked(seq)
	if seq != 0 && a.durable >= seq {
		return true
	}
	if i := bytes.Index(a.pending, buf); i >= 0 {
		a.pending = append(a.pending[:i:i], a.pending[i+len(buf):]...)
	}
	return false
}

// enqueueLocked queues line; a.mu held. It returns the line's sequence
// number, 0 when it was dropped or the trail is closed.
func (a *Audit) enqueueLocked(line []byte) uint64 {
	if a.closed {
		return 0
	}
	if len(a.pending)+len(line) > maxAuditPending {
		a.dropped++
		return 0
	}
	a.pending = append(a.pending, line...)
	a.seq++
	return a.seq
}

// waitLocked returns once record mine is durable, or once writing it
// failed (it is then kept for later); a.mu held.
func (a *Audit) waitLocked(mine uint64) {
	for a.durable < mine && !a.closed {
		if a.writing {
			a.cond.Wait()
			continue
		}
		if !a.flushLocked() {
			return // kept; said loudly
		}
	}
}

// flushLocked writes what is pending as the one writer; a.mu held (and
// released while writing). It reports whether the write succeeded.
func (a *Audit) flushLocked() bool {
	if len(a.pending) == 0 {
		return true
	}
	a.writing = true
	buf, upto := a.pending, a.seq
	a.pending = nil
	a.mu.Unlock()
	err := a.rotateIfFull(int64(len(buf)))
	if err == nil {
		err = a.writeFn(a.f, buf)
	}
	a.mu.Lock()
	a.writing = false
	defer a.cond.Broadcast()
	if err != nil {
		// A partial write may have reached the file: the records are
		// written again whole (a torn line is possible, never a lost
		// record).
		a.pending = append(buf, a.pending...)
		if !a.failing || time.Since(a.failedAt) > time.Minute {
			a.opts.Log.Error("audit trail: cannot write records; keeping them and trying again (calls still answer)", "path", a.path, "err", err, "pendingBytes", len(a.pending))
			a.failedAt = time.Now()
		}
		a.failing = true
		return false
	}
	a.size += int64(len(buf))
	a.durable = upto
	if a.failing || a.dropped > 0 {
		a.opts.Log.Warn("audit trail: writing again", "path", a.path, "droppedRecords", a.dropped)
		a.failing, a.dropped = false, 0
	}
	return true
}

// rotateIfFull moves the file aside when n more bytes would pass MaxSize:
// audit.jsonl.K becomes .K+1 (the oldest past MaxFiles removed), the file
// .1, and a new file starts. Only the writer calls it.
func (a *Audit) rotateIfFull(n int64) error {
	if a.size == 0 || a.size+n <= a.opts.MaxSize {
		return nil
	}
	if err := a.f.Close(); err != nil {
		a.opts.Log.Warn("audit trail: closing before rotation", "err", err)
	}
	if err := os.Remove(fmt.Sprintf("%s.%d", a.path, a.opts.MaxFiles)); err != nil && !errors.Is(err, os.ErrNotExist) {
		a.opts.Log.Warn("audit trail: removing the oldest file", "err", err)
	}
	for k := a.opts.MaxFiles - 1; k >= 1; k-- {
		if err := os.Rename(fmt.Sprintf("%s.%d", a.path, k), fmt.Sprintf("%s.%d", a.path, k+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(a.path, a.path+".1"); err != nil {
		return err
	}
	return a.open()
}

// retrier writes kept records within a second when no call comes.
func (a *Audit) retrier() {
	defer close(a.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			a.mu.Lock()
			if !a.writing && len(a.pending) > 0 {
				a.flushLocked()
			}
			a.mu.Unlock()
		case <-a.stop:
			return
		}
	}
}

// Close writes what is kept and queued (one last try) and closes the
// file.
func (a *Audit) Close() error {
	close(a.stop)
	<-a.done
	<-a.exported
	if a.opts.Queue != nil {
		if err := a.export(false); err != nil {
			a.opts.Log.Error("audit trail: records calls committed stay queued for the next start", "err", err)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.writing {
		a.cond.Wait()
	}
	var err error
	if len(a.pending) > 0 && !a.flushLocked() {
		err = errors.New("audit trail: records could not be written before closing")
	}
	a.closed = true
	a.cond.Broadcast()
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
	ResponseElements  any            `json:"responseElements,omitempty"`
	ErrorCode         string         `json:"errorCode,omitempty"`
	ErrorMessage      string         `json:"errorMessage,omitempty"`
	RequestID         string         `json:"requestID"`
	EventID           string         `json:"eventID"`
	EventType         string         `json:"eventType"`
	RecipientAccount  string         `json:"recipientAccountId"`
	Decisions         []auditVerdict `json:"batchdDecisions,omitempty"`
	// Replaces is the event ID of the record committed with the call's
	// write, as a success (auditAhead), when the call failed after all or
	// was authorized further: this record is the call's.
	Replaces string `json:"batchdReplacesEventId,omitempty"`
}

type auditVerdict struct {
	Action   string         `json:"action"`
	Resource string         `json:"resource"`
	Decision policy.Outcome `json:"decision"`
	Reasons  []string       `json:"reasons"`
}

// secretWords are the words, in any case, of the request parameters never
// written to the audit trail.
var secretWords = [...]string{"password", "secret", "token", "privatekey"}

// secretParam reports whether a request parameter's name holds one of
// secretWords, in any case.
func secretParam(name string) bool {
	var buf [64]byte
	lower := buf[:0]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= utf8.RuneSelf {
			// Unicode's case folding (the Kelvin sign is a K).
			return secretParamFolded.MatchString(name)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower = append(lower, c)
	}
	// Plain comparisons: a regular expression's matching was 1% of a
	// SubmitJob's CPU.
	for _, w := range secretWords {
		if bytes.Contains(lower, []byte(w)) {
			return true
		}
	}
	return false
}

// secretParamFolded matches secretWords with Unicode's case folding.
var secretParamFolded = regexp.MustCompile("(?i)" + strings.Join(secretWords[:], "|"))

// passwordSettings are parameters secretParam takes for secrets that are
// settings about passwords, not passwords: the trail keeps them, as
// CloudTrail does.
var passwordSettings = map[string]bool{
	"PasswordResetRequired": true, "MinimumPasswordLength": true, "AllowUsersToChangePassword": true,
	"MaxPasswordAge": true, "PasswordReusePrevention": true,
}

// isSecretParam reports whether a Query parameter is left out of the trail.
func isSecretParam(name string) bool {
	return secretParam(name) && !passwordSettings[name]
}

// Record appends one call, the record of its write replaced (see
// auditAhead) when replaces is not empty, and returns once it is durable.
func (a *Audit) Record(c *Call, callErr error, replaces string) {
	line, err := a.encodeAs(c, callErr, replaces, newRequestID())
	if err == nil {
		a.append(line)
	}
}

// encodeAs is a call's record, eventID its ID, one JSON line; an error
// is also logged.
func (a *Audit) encodeAs(c *Call, callErr error, replaces, eventID string) ([]byte, error) {
	p := c.Principal
	rec := auditRecord{
		EventVersion: "1.08", EventTime: c.start.UTC().Format(time.RFC3339), EventSource: c.Service + ".amazonaws.com",
		EventName: c.Operation, AWSRegion: c.Env.Region, SourceIPAddress: c.Env.SourceIP, UserAgent: c.UserAgent,
		RequestID: c.RequestID, EventID: eventID, EventType: "AwsApiCall", RecipientAccount: p.Account, Replaces: replaces,
		UserIdentity: map[string]any{"type": identityType(p.Kind), "principalId": p.UserID, "arn": p.ARN, "accountId": p.Account, "accessKeyId": p.AccessKeyID},
	}
	if p.UserName != "" {
		rec.UserIdentity["userName"] = p.UserName
	}
	if c.eventType != "" {
		rec.EventType, rec.ResponseElements = c.eventType, c.responseElements
	}
	switch {
	case c.Params != nil:
		params := map[string]any{}
		for _, k := range c.Params.Names() {
			if !isSecretParam(k) && !strings.HasPrefix(k, "X-Amz-") {
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
	if err == nil && len(b) > maxAuditRecord {
		// One request may not grow the trail without bound (a denied call
		// with megabytes of parameters): its parameters go, their size
		// stays.
		rec.RequestParameters = map[string]any{"batchdOmitted": fmt.Sprintf("%d bytes of request parameters", len(b))}
		for i := range rec.Decisions {
			if len(rec.Decisions[i].Resource) > 2048 {
				rec.Decisions[i].Resource = rec.Decisions[i].Resource[:2048] + "..."
			}
		}
		b, err = json.Marshal(&rec)
		if err == nil && len(b) > maxAuditRecord {
			rec.Decisions = nil
			b, err = json.Marshal(&rec)
		}
	}
	if err != nil {
		a.opts.Log.Error("audit trail: cannot encode a record", "requestId", c.RequestID, "err", err)
		return nil, err
	}
	return append(b, '\n'), nil
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
				case secretParam(k):
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
