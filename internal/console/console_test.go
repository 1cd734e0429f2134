package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"batchd/internal/iam"
	"batchd/internal/iam/policy"
)

// fakeAPI answers DescribeJobQueues with one queue for alice, and denies
// everyone else.
type fakeAPI struct {
	mu     sync.Mutex
	logins []string
}

func (f *fakeAPI) Invoke(_ context.Context, p *iam.Principal, _ iam.Env, _, service, operation string, _ []byte) (any, error) {
	if p.UserName != "alice" {
		return nil, denied{"User: " + p.ARN + " is not authorized to perform: " + service + ":" + operation}
	}
	switch operation {
	case "DescribeJobQueues":
		return map[string]any{"jobQueues": []map[string]any{{"jobQueueName": "q", "jobQueueArn": "arn:aws:batch:us-east-1:123456789012:job-queue/q", "state": "ENABLED"}}}, nil
	case "ListJobs":
		return map[string]any{"jobSummaryList": []any{}}, nil
	}
	return map[string]any{}, nil
}

// denied is a denial as the server gives it: 403 on every protocol.
type denied struct{ msg string }

func (d denied) Error() string        { return d.msg }
func (d denied) ErrorCode() string    { return "AccessDeniedException" }
func (d denied) ErrorMessage() string { return d.msg }
func (d denied) HTTPStatus() int      { return http.StatusForbidden }

func (f *fakeAPI) AuthorizationMessage(*iam.Principal, error) string { return "" }

func (f *fakeAPI) LookupEvents(context.Context, *iam.Principal, iam.Env, string, int) ([]json.RawMessage, error) {
	return nil, nil
}

func (f *fakeAPI) ConsoleLogin(p *iam.Principal, _ string, _ iam.Env, _ string, failure error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if failure != nil {
		f.logins = append(f.logins, "Failure")
	} else {
		f.logins = append(f.logins, "Success:"+p.UserName)
	}
}

type fakeIdentities struct{ gone bool }

var errFailed = &iam.Error{Code: "AccessDenied", Message: "Your authentication information is incorrect. Please try again."}

func (f *fakeIdentities) SignIn(_ context.Context, user, password string) (*iam.Principal, bool, error) {
	if user == "alice" && password == "Alice-pass-1" {
		return &iam.Principal{Kind: policy.User, UserName: "alice", ARN: "arn:aws:iam::123456789012:user/alice", Account: "123456789012"}, false, nil
	}
	return nil, false, errFailed
}

func (f *fakeIdentities) SignInRoot(context.Context, string) (*iam.Principal, error) {
	return nil, errFailed
}

func (f *fakeIdentities) Valid(context.Context, *iam.Principal) error {
	if f.gone {
		return errors.New("gone")
	}
	return nil
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type harness struct {
	t   *testing.T
	srv *httptest.Server
	hc  *http.Client
	api *fakeAPI
	ids *fakeIdentities
	clk *clock
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, api: &fakeAPI{}, ids: &fakeIdentities{}, clk: &clock{now: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)}}
	con := New(Config{API: h.api, Identities: h.ids, AccountID: "123456789012", Region: "us-east-1", Now: h.clk.Now})
	h.srv = httptest.NewServer(con)
	t.Cleanup(h.srv.Close)
	h.hc = h.client()
	return h
}

func (h *harness) client() *http.Client {
	jar := &simpleJar{cookies: map[string]*http.Cookie{}}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// simpleJar keeps cookies by name, whatever their expiry: the console's
// clock is the test's, not the jar's.
type simpleJar struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func (j *simpleJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cs {
		if c.MaxAge < 0 {
			delete(j.cookies, c.Name)
			continue
		}
		j.cookies[c.Name] = c
	}
}

func (j *simpleJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.cookies {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (h *harness) get(hc *http.Client, path string) (int, string, http.Header) {
	h.t.Helper()
	res, err := hc.Get(h.srv.URL + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return res.StatusCode, string(b), res.Header
}

func (h *harness) signIn(hc *http.Client, user, password string) int {
	h.t.Helper()
	_, page, _ := h.get(hc, "/console/signin")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		h.t.Fatalf("no token on the sign-in page: %s", page)
	}
	res, err := hc.PostForm(h.srv.URL+"/console/signin", url.Values{"csrf": {m[1]}, "account": {"123456789012"}, "user": {user}, "password": {password}})
	if err != nil {
		h.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestSessionExpires(t *testing.T) {
	h := newHarness(t)
	if code := h.signIn(h.hc, "alice", "Alice-pass-1"); code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", code)
	}
	code, page, hdr := h.get(h.hc, "/console/")
	if code != http.StatusOK || !strings.Contains(page, `data-queue="q"`) {
		t.Fatalf("dashboard: %d %s", code, page)
	}
	if !strings.Contains(hdr.Get("Content-Security-Policy"), "frame-ancestors 'none'") || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", hdr)
	}
	h.clk.add(sessionTTL - time.Minute)
	if code, _, _ := h.get(h.hc, "/console/"); code != http.StatusOK {
		t.Fatalf("before expiry: %d", code)
	}
	h.clk.add(2 * time.Minute)
	if code, _, hdr := h.get(h.hc, "/console/"); code != http.StatusFound || !strings.HasPrefix(hdr.Get("Location"), "/console/signin") {
		t.Fatalf("after expiry: %d %s", code, hdr.Get("Location"))
	}
}

func TestDeletedUserSignedOut(t *testing.T) {
	h := newHarness(t)
	h.signIn(h.hc, "alice", "Alice-pass-1")
	h.ids.gone = true
	if code, _, hdr := h.get(h.hc, "/console/"); code != http.StatusFound || !strings.HasPrefix(hdr.Get("Location"), "/console/signin") {
		t.Fatalf("deleted user: %d %s", code, hdr.Get("Location"))
	}
}

func TestSignInThrottleWindow(t *testing.T) {
	h := newHarness(t)
	for range maxUserFailures {
		if code := h.signIn(h.hc, "alice", "wrong"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", code)
		}
	}
	if code := h.signIn(h.hc, "alice", "Alice-pass-1"); code != http.StatusTooManyRequests {
		t.Fatalf("throttled: %d", code)
	}
	// Another user from the same address is not held back by alice's.
	if code := h.signIn(h.client(), "bob", "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("bob: %d", code)
	}
	h.clk.add(failureWindow)
	if code := h.signIn(h.hc, "alice", "Alice-pass-1"); code != http.StatusSeeOther {
		t.Fatalf("after the window: %d", code)
	}
	h.api.mu.Lock()
	defer h.api.mu.Unlock()
	want := []string{"Failure", "Failure", "Failure", "Failure", "Failure", "Failure", "Success:alice"}
	if strings.Join(h.api.logins, ",") != strings.Join(want, ",") {
		t.Fatalf("sign-ins recorded %v, want %v", h.api.logins, want)
	}
}

func TestDeniedPageShowsAWSWording(t *testing.T) {
	h := newHarness(t)
	h.ids = &fakeIdentities{}
	// bob signs in through a console whose identities know him.
	con := New(Config{API: h.api, Identities: bobToo{h.ids}, AccountID: "123456789012", Region: "us-east-1", Now: h.clk.Now})
	h.srv = httptest.NewServer(con)
	t.Cleanup(h.srv.Close)
	if code := h.signIn(h.hc, "bob", "Bob-pass-1"); code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", code)
	}
	code, page, _ := h.get(h.hc, "/console/")
	if code != http.StatusForbidden || !strings.Contains(page, "AccessDeniedException") ||
		!strings.Contains(page, "is not authorized to perform: batch:DescribeJobQueues") || strings.Contains(page, `data-queue="q"`) {
		t.Fatalf("denied dashboard: %d %s", code, page)
	}
}

type bobToo struct{ *fakeIdentities }

func (b bobToo) SignIn(ctx context.Context, user, password string) (*iam.Principal, bool, error) {
	if user == "bob" && password == "Bob-pass-1" {
		return &iam.Principal{Kind: policy.User, UserName: "bob", ARN: "arn:aws:iam::123456789012:user/bob", Account: "123456789012"}, false, nil
	}
	return b.fakeIdentities.SignIn(ctx, user, password)
}

func TestPairs(t *testing.T) {
	got, err := pairs("A=1\r\n\nB = two=2\n")
	if err != nil || got["A"] != "1" || got["B"] != " two=2" || len(got) != 2 {
		t.Fatalf("pairs: %v %v", got, err)
	}
	if _, err := pairs("no equals"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad line: %v", err)
	}
}
