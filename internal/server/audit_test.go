package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"batchd/internal/awsproto"
	"batchd/internal/iam"
	"batchd/internal/iam/policy"
)

func testCall(op string, input any) *Call {
	return &Call{Principal: &iam.Principal{Kind: policy.User, ARN: "arn:aws:iam::123456789012:user/u", Account: "123456789012", UserName: "u"},
		Service: "batch", Operation: op, RequestID: "req-" + op, start: time.Now(), Input: input}
}

func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// A record is in the file when Record returns (no flush, no Close), for
// concurrent callers too.
func TestAuditRecordDurableOnReturn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := OpenAudit(path, "us-east-1", AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			a.Record(testCall(fmt.Sprintf("Op%d", i), nil), nil, "")
		})
	}
	wg.Wait()
	if n := len(lines(t, path)); n != 50 {
		t.Fatalf("%d records in the file, want 50", n)
	}
}

// The file rotates by size and keeps MaxFiles old ones.
func TestAuditRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	a, err := OpenAudit(path, "us-east-1", AuditOptions{MaxSize: 2000, MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		a.Record(testCall(fmt.Sprintf("Op%d", i), nil), nil, "")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(path + "*")
	if len(names) != 4 {
		t.Fatalf("files %v, want audit.jsonl and 3 rotated", names)
	}
	for _, n := range names {
		if fi, err := os.Stat(n); err != nil || fi.Size() > 2000 {
			t.Errorf("%s: %v bytes (%v)", n, fi.Size(), err)
		}
	}
	last := lines(t, path)
	if !strings.Contains(last[len(last)-1], `"eventName":"Op99"`) {
		t.Errorf("the newest record is not last in audit.jsonl: %s", last[len(last)-1])
	}
}

// One request cannot add much: megabytes of parameters become their size.
func TestAuditRecordBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := OpenAudit(path, "us-east-1", AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	big := map[string]string{}
	for i := range 1000 {
		big[fmt.Sprintf("k%d", i)] = strings.Repeat("v", 1400)
	}
	a.Record(testCall("TagResource", map[string]any{"tags": big}), errors.New("denied"), "")
	a.Close()
	l := lines(t, path)
	if len(l) != 1 || len(l[0]) > maxAuditRecord || !strings.Contains(l[0], "batchdOmitted") {
		t.Fatalf("%d lines, first %d bytes", len(l), len(l[0]))
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(l[0]), &rec); err != nil {
		t.Fatal(err)
	}
}

// When the file cannot be written the records are kept and said to be,
// loudly; once it can again they are written, none lost.
func TestAuditRecoversAfterWriteErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	var logged lockedLog
	a, err := OpenAudit(path, "us-east-1", AuditOptions{Log: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	spaceBack := fillDisk(a)
	for i := range 5 {
		a.Record(testCall(fmt.Sprintf("Op%d", i), nil), nil, "")
	}
	if n := len(lines(t, path)); n != 0 {
		t.Fatalf("%d records written on a full disk", n)
	}
	if !strings.Contains(logged.String(), "cannot write records") {
		t.Fatalf("no loud line: %q", logged.String())
	}
	spaceBack()
	a.Record(testCall("Op5", nil), nil, "")
	if n := len(lines(t, path)); n != 6 {
		t.Fatalf("%d records after space returned, want 6", n)
	}
	if !strings.Contains(logged.String(), "writing again") {
		t.Errorf("recovery not said: %q", logged.String())
	}
}

// fillDisk makes the trail's writes fail as on a full disk, until the
// function it returns is called.
func fillDisk(a *Audit) (spaceBack func()) {
	var mu sync.Mutex
	full := true
	a.mu.Lock()
	a.writeFn = func(f *os.File, b []byte) error {
		mu.Lock()
		defer mu.Unlock()
		if full {
			return errors.New("no space left on device")
		}
		return writeSync(f, b)
	}
	a.mu.Unlock()
	return func() {
		mu.Lock()
		full = false
		mu.Unlock()
	}
}

type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fakeQueue is an AuditQueue in memory.
type fakeQueue struct {
	mu   sync.Mutex
	keys []string
	recs map[string][]byte
}

func (q *fakeQueue) add(key string, rec []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.recs == nil {
		q.recs = map[string][]byte{}
	}
	q.keys, q.recs[key] = append(q.keys, key), rec
}

func (q *fakeQueue) Pending(_ context.Context, n int) ([]string, [][]byte, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var keys []string
	var recs [][]byte
	for _, k := range q.keys {
		if len(keys) == n {
			break
		}
		keys, recs = append(keys, k), append(recs, q.recs[k])
	}
	return keys, recs, nil
}

func (q *fakeQueue) Remove(_ context.Context, keys []string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range keys {
		delete(q.recs, k)
		q.keys = slices.DeleteFunc(q.keys, func(x string) bool { return x == k })
	}
	return nil
}

func (q *fakeQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.keys)
}

func queuedRecord(t *testing.T, a *Audit, op string) (line []byte, eventID string) {
	t.Helper()
	eventID = newRequestID()
	line, err := a.encodeAs(testCall(op, nil), nil, "", eventID)
	if err != nil {
		t.Fatal(err)
	}
	return line, eventID
}

// Records calls committed with their writes reach the file: those a crash
// left queued when the trail opens (but not those the file has already:
// written before the crash, not yet removed), then those calls commit.
func TestAuditQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	q := &fakeQueue{}
	enc, err := OpenAudit(filepath.Join(t.TempDir(), "enc.jsonl"), "us-east-1", AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	written, _ := queuedRecord(t, enc, "Written")
	left, _ := queuedRecord(t, enc, "Left")
	if err := os.WriteFile(path, written, 0o600); err != nil {
		t.Fatal(err)
	}
	q.add("1", written)
	q.add("2", left)
	a, err := OpenAudit(path, "us-east-1", AuditOptions{Queue: q})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	got := lines(t, path)
	if len(got) != 2 || !strings.Contains(got[0], "Written") || !strings.Contains(got[1], "Left") || q.len() != 0 {
		t.Fatalf("after open: %q, %d queued; want Written once, then Left", got, q.len())
	}
	for i := range 3 {
		rec, _ := queuedRecord(t, enc, fmt.Sprintf("Call%d", i))
		q.add(fmt.Sprintf("3-%d", i), rec)
	}
	a.Kick()
	deadline := time.Now().Add(2 * time.Second)
	for len(lines(t, path)) != 5 || q.len() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("after Kick: %d records in the file, %d queued; want 5 and 0", len(lines(t, path)), q.len())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A call that fails after its record was committed with its write gets a
// record of its own that names the one it replaces.
func TestAuditReplacingRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := OpenAudit(path, "us-east-1", AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c := testCall("SubmitJob", map[string]any{"jobName": "j"})
	a.Record(c, errors.New("boom"), "ahead-id")
	var rec auditRecord
	got := lines(t, path)
	if len(got) != 1 || json.Unmarshal([]byte(got[0]), &rec) != nil {
		t.Fatalf("records %q", got)
	}
	if rec.Replaces != "ahead-id" || rec.ErrorCode != "InternalFailure" || rec.EventID == "ahead-id" || rec.RequestID != c.RequestID {
		t.Errorf("replacing record %+v", rec)
	}
}

// On a full disk the queued records wait in the queue (not once more in
// memory each time the trail tries): once space returns, each is written
// once.
func TestAuditQueueFullDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	q := &fakeQueue{}
	a, err := OpenAudit(path, "us-east-1", AuditOptions{Queue: q, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	spaceBack := fillDisk(a)
	for i := range 3 {
		rec, _ := queuedRecord(t, a, fmt.Sprintf("Queued%d", i))
		q.add(fmt.Sprint(i), rec)
	}
	for range 3 {
		if err := a.export(false); err != nil {
			t.Fatal(err)
		}
	}
	if n := q.len(); n != 3 {
		t.Fatalf("%d queued on a full disk, want the 3 kept", n)
	}
	spaceBack()
	a.Record(testCall("Direct", nil), nil, "") // the file takes records again
	if err := a.export(false); err != nil {
		t.Fatal(err)
	}
	got := lines(t, path)
	if len(got) != 4 || q.len() != 0 {
		t.Fatalf("after space returned: %d records (want 4: 3 queued once, 1 direct), %d queued", len(got), q.len())
	}
}

// Passwords of the login profile operations and ChangePassword never reach
// the audit trail; the other parameters do.
func TestAuditRedactsPasswords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := OpenAudit(path, "us-east-1", AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{"Pl41n-Secret-1", "0ld-Secret-2", "N3w-Secret-3"}
	for _, body := range []string{
		"Action=CreateLoginProfile&Version=2010-05-08&UserName=alice&Password=" + secrets[0] + "&PasswordResetRequired=true",
		"Action=UpdateLoginProfile&Version=2010-05-08&UserName=alice&Password=" + secrets[0],
		"Action=ChangePassword&Version=2010-05-08&OldPassword=" + secrets[1] + "&NewPassword=" + secrets[2],
	} {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		q, err := awsproto.ParseQuery(r, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		c := testCall(q.Action, nil)
		c.Service, c.Params = "iam", &q.Params
		a.Record(c, nil, "")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	l := lines(t, path)
	if len(l) != 3 {
		t.Fatalf("%d records, want 3", len(l))
	}
	for _, line := range l {
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("a password is in the audit trail: %s", line)
			}
		}
		var rec struct{ RequestParameters map[string]any }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		for k := range rec.RequestParameters {
			if strings.Contains(strings.ToLower(k), "password") && k != "PasswordResetRequired" {
				t.Errorf("parameter %s recorded: %s", k, line)
			}
		}
	}
	if !strings.Contains(l[0], `"UserName":"alice"`) || !strings.Contains(l[0], `"PasswordResetRequired":"true"`) {
		t.Errorf("UserName and PasswordResetRequired not recorded: %s", l[0])
	}
}

// TestSecretParam checks which parameter names the audit trail leaves
// out: any holding password, secret, token or privatekey in any case,
// Unicode's folding included, but the password settings.
func TestSecretParam(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"Password":                         true,
		"NewPassword":                      true,
		"SecretAccessKey":                  true,
		"sessionToken":                     true,
		"X-Amz-Security-Token":             true,
		"PRIVATEKEY":                       true,
		"sshPrivateKeyBody":                true,
		"private\u212aey":                  true, // a Kelvin sign for the k
		"pa\u017f\u017fword":               true, // long s
		strings.Repeat("a", 100) + "Token": true,
		"PasswordResetRequired":            false,
		"MinimumPasswordLength":            false,
		"jobName":                          false,
		"":                                 false,
		"Pass word":                        false,
		"sécret":                           false,
		strings.Repeat("b", 100):           false,
	} {
		if got := isSecretParam(name); got != want {
			t.Errorf("isSecretParam(%q) = %v, want %v", name, got, want)
		}
	}
}
