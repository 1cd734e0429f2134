package server

// The job-role credentials endpoint: the container credentials protocol the
// AWS SDKs and CLIs read when AWS_CONTAINER_CREDENTIALS_FULL_URI is set
// (AWS SDKs and Tools Reference Guide, "Container credential provider";
// Amazon ECS Developer Guide, "Task IAM role"). A GET of the URI with the
// header Authorization: <AWS_CONTAINER_AUTHORIZATION_TOKEN> answers
//
//	{"AccessKeyId": "...", "SecretAccessKey": "...", "Token": "...",
//	 "Expiration": "2026-01-02T03:04:05Z", "RoleArn": "arn:aws:iam::...:role/..."}
//
// Each job attempt with a jobRoleArn gets its own URI and random token
// (Grant), compared in constant time, and loses them when it ends
// (Revoke). The credentials are the role's, assumed as
// ecs-tasks.amazonaws.com (sts.AssumeRoleForService) with the job ID as
// session name, and are issued again before they expire. The endpoint
// shares batchd's listener under CredentialsPathPrefix, ahead of SigV4:
// the token is the only proof asked.

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"batchd/internal/sts"
)

// CredentialsPathPrefix is where the credentials endpoint listens.
const CredentialsPathPrefix = "/batchd/credentials/"

// Job roles are assumed by ECS's service principal, as AWS Batch does.
const ecsTasksPrincipal = "ecs-tasks.amazonaws.com"

// Credential lifetimes: the session lasts credentialsDuration and is
// issued again once less than credentialsRefresh is left (the SDKs refresh
// theirs in the last 5 to 15 minutes).
const (
	credentialsDuration = time.Hour
	credentialsRefresh  = 30 * time.Minute
)

// CredentialsEndpoint serves job roles' credentials. It is safe for
// concurrent use.
type CredentialsEndpoint struct {
	sts  *sts.Service
	base string // batchd's URL as jobs reach it, without a trailing slash
	now  func() time.Time

	mu     sync.Mutex
	grants map[string]*grant // by the ID in the path
}

type grant struct {
	token       []byte
	roleARN     string
	sessionName string

	mu    sync.Mutex // one issue at a time
	creds *sts.Credentials
}

// NewCredentialsEndpoint returns an endpoint issuing through s; baseURL is
// batchd's URL as jobs reach it (http://127.0.0.1:PORT: the SDKs accept
// plain HTTP only to a loopback address). now is the clock of expiry; nil
// is time.Now.
func NewCredentialsEndpoint(s *sts.Service, baseURL string, now func() time.Time) *CredentialsEndpoint {
	if now == nil {
		now = time.Now
	}
	return &CredentialsEndpoint{sts: s, base: strings.TrimSuffix(baseURL, "/"), now: now, grants: map[string]*grant{}}
}

// Grant makes credentials of roleARN available at a new URI to whoever
// presents the returned token. It assumes the role at once, so that a role
// that ecs-tasks.amazonaws.com may not assume fails the grant.
func (e *CredentialsEndpoint) Grant(ctx context.Context, sessionName, roleARN string) (uri, token string, err error) {
	g := &grant{roleARN: roleARN, sessionName: sessionName}
	if _, err := e.issue(ctx, g); err != nil {
		return "", "", err
	}
	id, tok := randomHex(16), randomHex(32)
	g.token = []byte(tok)
	e.mu.Lock()
	e.grants[id] = g
	e.mu.Unlock()
	return e.base + CredentialsPathPrefix + id, tok, nil
}

// Revoke ends the grant at uri: its token is refused from then on. The
// credentials already handed out stay valid until they expire, as an ECS
// task role's do.
func (e *CredentialsEndpoint) Revoke(uri string) {
	_, id, ok := strings.Cut(uri, CredentialsPathPrefix)
	if !ok {
		return
	}
	e.mu.Lock()
	delete(e.grants, id)
	e.mu.Unlock()
}

// issue returns g's credentials, assuming the role again when they are
// missing or close to expiry.
func (e *CredentialsEndpoint) issue(ctx context.Context, g *grant) (*sts.Credentials, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.creds != nil && g.creds.Expiration.Sub(e.now()) > credentialsRefresh {
		return g.creds, nil
	}
	c, _, err := e.sts.AssumeRoleForService(ctx, g.roleARN, ecsTasksPrincipal, g.sessionName, int32(credentialsDuration/time.Second))
	if err != nil {
		return nil, err
	}
	g.creds = c
	return c, nil
}

// credentialsResponse is the container credentials protocol's answer.
type credentialsResponse struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
	RoleArn         string `json:"RoleArn"`
}

// credentialsError is the body of a refusal, in the form the ECS agent
// gives: {"code": ..., "message": ...}.
type credentialsError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeCredentialsJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP answers GET <prefix><id> with the grant's credentials when the
// Authorization header carries its token.
func (e *CredentialsEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeCredentialsJSON(w, http.StatusMethodNotAllowed, credentialsError{"InvalidRequest", "Only GET is supported."})
		return
	}
	id := strings.TrimPrefix(r.URL.Path, CredentialsPathPrefix)
	e.mu.Lock()
	g := e.grants[id]
	e.mu.Unlock()
	tok := []byte(r.Header.Get("Authorization"))
	// Compare against a token of the same length when the grant is
	// unknown, so that timing tells nothing either way.
	want := []byte(strings.Repeat("0", 64))
	if g != nil {
		want = g.token
	}
	if subtle.ConstantTimeCompare(tok, want) != 1 || g == nil {
		writeCredentialsJSON(w, http.StatusForbidden, credentialsError{"AccessDenied", "The authorization token is missing, wrong, or no longer valid."})
		return
	}
	c, err := e.issue(r.Context(), g)
	if err != nil {
		var coded interface{ ErrorMessage() string }
		msg := "Credentials could not be issued."
		if errors.As(err, &coded) {
			msg = coded.ErrorMessage()
		}
		writeCredentialsJSON(w, http.StatusInternalServerError, credentialsError{"InternalError", msg})
		return
	}
	writeCredentialsJSON(w, http.StatusOK, credentialsResponse{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Token: c.SessionToken,
		Expiration: c.Expiration.UTC().Format(time.RFC3339), RoleArn: g.roleARN,
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("server: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}
