package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"batchd/internal/iam"
	"batchd/internal/store/memstore"
	"batchd/internal/sts"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newCredentialsEndpoint(t *testing.T) (*CredentialsEndpoint, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	kr, err := iam.NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	i := iam.New(iam.Config{Store: memstore.New(), Keyring: kr, AccountID: "123456789012", Region: "us-east-1", Now: clock.now})
	ctx := context.Background()
	trust := func(svc string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + svc + `"},"Action":"sts:AssumeRole"}]}`
	}
	if _, err := i.CreateRole(ctx, iam.CreateRoleInput{Name: "job", Path: "/", TrustPolicy: trust("ecs-tasks.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := i.CreateRole(ctx, iam.CreateRoleInput{Name: "lambda", Path: "/", TrustPolicy: trust("lambda.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
	return NewCredentialsEndpoint(sts.New(i), "http://127.0.0.1:8080/", clock.now), clock
}

func getCredentials(e *CredentialsEndpoint, method, uri, token string) (*httptest.ResponseRecorder, credentialsResponse) {
	r := httptest.NewRequest(method, uri, nil)
	if token != "" {
		r.Header.Set("Authorization", token)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, r)
	var body credentialsResponse
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return w, body
}

// The endpoint answers the container credentials protocol to the holder of
// the grant's token only, and issues the role's credentials again before
// they expire.
func TestCredentialsEndpoint(t *testing.T) {
	e, clock := newCredentialsEndpoint(t)
	ctx := context.Background()
	const role = "arn:aws:iam::123456789012:role/job"
	uri, token, err := e.Grant(ctx, "0f4c8a1e-job-3", role)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(uri, "http://127.0.0.1:8080/batchd/credentials/") || len(token) != 64 {
		t.Fatalf("grant = %s %q", uri, token)
	}
	w, c := getCredentials(e, http.MethodGet, uri, token)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET = %d %s", w.Code, w.Body)
	}
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil || !strings.HasPrefix(c.AccessKeyID, "ASIA") || c.SecretAccessKey == "" || c.Token == "" || c.RoleArn != role ||
		!exp.Equal(clock.now().Add(time.Hour)) {
		t.Fatalf("credentials = %+v (%v)", c, err)
	}
	// Same credentials while more than 30 minutes are left; new ones after.
	clock.add(29 * time.Minute)
	if _, again := getCredentials(e, http.MethodGet, uri, token); again.AccessKeyID != c.AccessKeyID {
		t.Errorf("reissued with 31 minutes left")
	}
	clock.add(2 * time.Minute)
	if _, fresh := getCredentials(e, http.MethodGet, uri, token); fresh.AccessKeyID == c.AccessKeyID || fresh.AccessKeyID == "" {
		t.Errorf("not reissued with 29 minutes left")
	}

	for _, tc := range []struct {
		name, method, uri, token string
		want                     int
	}{
		{"no token", http.MethodGet, uri, "", http.StatusForbidden},
		{"wrong token", http.MethodGet, uri, strings.Repeat("a", 64), http.StatusForbidden},
		{"short token", http.MethodGet, uri, token[:10], http.StatusForbidden},
		{"unknown grant", http.MethodGet, uri + "x", token, http.StatusForbidden},
		{"POST", http.MethodPost, uri, token, http.StatusMethodNotAllowed},
	} {
		if w, _ := getCredentials(e, tc.method, tc.uri, tc.token); w.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, w.Code, tc.want)
		}
	}
	// A second attempt gets its own URI and token; the first one's token
	// does not open it.
	uri2, token2, err := e.Grant(ctx, "0f4c8a1e-job-3", role)
	if err != nil || uri2 == uri || token2 == token {
		t.Fatalf("second grant = %s %s %v", uri2, token2, err)
	}
	if w, _ := getCredentials(e, http.MethodGet, uri2, token); w.Code != http.StatusForbidden {
		t.Errorf("another grant's token: %d", w.Code)
	}
	e.Revoke(uri)
	if w, _ := getCredentials(e, http.MethodGet, uri, token); w.Code != http.StatusForbidden {
		t.Errorf("revoked: %d", w.Code)
	}
	if w, _ := getCredentials(e, http.MethodGet, uri2, token2); w.Code != http.StatusOK {
		t.Errorf("the other grant after a revoke: %d", w.Code)
	}

	// ecs-tasks.amazonaws.com may not assume a role that trusts only
	// Lambda: no grant.
	if _, _, err := e.Grant(ctx, "job", "arn:aws:iam::123456789012:role/lambda"); err == nil || !strings.Contains(err.Error(), "ecs-tasks.amazonaws.com is not authorized to perform: sts:AssumeRole") {
		t.Errorf("untrusted role: %v", err)
	}
}
