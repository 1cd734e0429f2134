package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
	var full sync.Mutex
	diskFull := true
	a.mu.Lock()
	a.writeFn = func(f *os.File, b []byte) error {
		full.Lock()
		defer full.Unlock()
		if diskFull {
			return errors.New("no space left on device")
		}
		return writeSync(f, b)
	}
	a.mu.Unlock()
	for i := range 5 {
		a.Record(testCall(fmt.Sprintf("Op%d", i), nil), nil, "")
	}
	if n := len(lines(t, path)); n != 0 {
		t.Fatalf("%d records written on a full disk", n)
	}
	if !strings.Contains(logged.String(), "cannot write records") {
		t.Fatalf("no loud line: %q", logged.String())
	}
	full.Lock()
	diskFull = false
	full.Unlock()
	a.Record(testCall("Op5", nil), nil, "")
	if n := len(lines(t, path)); n != 6 {
		t.Fatalf("%d records after space returned, want 6", n)
	}
	if !strings.Contains(logged.String(), "writing again") {
		t.Errorf("recovery not said: %q", logged.String())
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

// A record written ahead (while the call's write commits) is in the file
// once its wait returns; should the call fail after all, the record that
// Record then writes names the one it replaces.
func TestAuditRecordAhead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, err := OpenAudit(path, "us-east-1", AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	c := testCall("SubmitJob", map[string]any{"jobName": "j"})
	id, wait := a.RecordAhead(c)
	wait()
	got := lines(t, path)
	if len(got) != 1 || !strings.Contains(got[0], `"eventID":"`+id+`"`) || strings.Contains(got[0], "errorCode") {
		t.Fatalf("after wait: %q, want the success record %s", got, id)
	}
	a.Record(c, errors.New("boom"), id)
	got = lines(t, path)
	var rec auditRecord
	if len(got) != 2 || json.Unmarshal([]byte(got[1]), &rec) != nil {
		t.Fatalf("records %q", got)
	}
	if rec.Replaces != id || rec.ErrorCode != "InternalFailure" || rec.EventID == id || rec.RequestID != c.RequestID {
		t.Errorf("replacing record %+v, want it to replace %s", rec, id)
	}
}
