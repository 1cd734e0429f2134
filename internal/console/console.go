package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"batchd/internal/awsproto"
	"batchd/internal/iam"
)

// API runs operations as a principal through the server's request
// pipeline; *server.Server implements it.
type API interface {
	// Invoke runs operation of service as p (see server.Server.Invoke):
	// input in the protocol's encoding, the output value back.
	Invoke(ctx context.Context, p *iam.Principal, env iam.Env, userAgent, service, operation string, input []byte) (any, error)
	// AuthorizationMessage is a denial's encoded authorization message.
	AuthorizationMessage(p *iam.Principal, err error) string
	// LookupEvents returns the audit trail's newest records, when p may
	// cloudtrail:LookupEvents.
	LookupEvents(ctx context.Context, p *iam.Principal, env iam.Env, userAgent string, max int) ([]json.RawMessage, error)
	// ConsoleLogin records a sign-in, failed when failure is not nil.
	ConsoleLogin(p *iam.Principal, account string, env iam.Env, userAgent string, failure error)
}

// Identities checks passwords; *iam.Service implements it through a small
// adapter in cmd/batchd.
type Identities interface {
	// SignIn checks an IAM user's password; mustChange says the user has
	// to set a new one before anything else (a reset was required, or the
	// password expired).
	SignIn(ctx context.Context, userName, password string) (p *iam.Principal, mustChange bool, err error)
	// SignInRoot checks the account root's password.
	SignInRoot(ctx context.Context, password string) (*iam.Principal, error)
	// Valid reports whether a signed-in principal still exists.
	Valid(ctx context.Context, p *iam.Principal) error
}

// Config wires a Console.
type Config struct {
	API        API
	Identities Identities
	AccountID  string
	Region     string
	// Secure marks the cookies Secure: the console is served over TLS.
	Secure bool
	Log    *slog.Logger
	// Sessions keeps the sessions; nil keeps them in memory.
	Sessions SessionStore
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// userAgent is what the audit trail records of the console's calls.
const userAgent = "batchd-console"

// sessionTTL is how long a sign-in lasts: 12 hours, as an IAM user's AWS
// console session.
const sessionTTL = 12 * time.Hour

// Sign-in throttling: at most maxUserFailures failed sign-ins per user
// name, and maxAddrFailures per source address, within failureWindow.
const (
	maxUserFailures = 5
	maxAddrFailures = 30
	failureWindow   = 15 * time.Minute
	maxSessions     = 100_000
)

// Console is the web console's http.Handler, mounted at /console/.
type Console struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux

	mu       sync.Mutex
	sessions SessionStore
	failures map[string][]time.Time
}

// Session is one signed-in browser, as a SessionStore keeps it.
type Session struct {
	P          *iam.Principal
	Name       string // shown: the user name, or "root"
	CSRF       string
	Expires    time.Time
	MustChange bool
	key        string // its SessionStore key
}

// SessionStore keeps the signed-in sessions, by a key that is the
// SHA-256 of the cookie's token (the token itself is never kept): in the
// shared store, every replica sees them and they outlive a restart.
type SessionStore interface {
	Get(ctx context.Context, key string) (*Session, bool, error)
	Put(ctx context.Context, key string, s *Session) error
	Delete(ctx context.Context, key string) error
}

// memSessions keeps sessions in this process's memory (Config.Sessions
// nil): a restart signs everyone out.
type memSessions struct {
	mu  sync.Mutex
	m   map[string]*Session
	now func() time.Time
}

func (m *memSessions) Get(_ context.Context, key string) (*Session, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.m[key]
	return s, ok, nil
}

func (m *memSessions) Put(_ context.Context, key string, s *Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.m) >= maxSessions {
		now := m.now()
		for k, old := range m.m {
			if !now.Before(old.Expires) {
				delete(m.m, k)
			}
		}
	}
	m.m[key] = s
	return nil
}

func (m *memSessions) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, key)
	return nil
}

// New returns a Console.
func New(cfg Config) *Console {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	sessions := cfg.Sessions
	if sessions == nil {
		sessions = &memSessions{m: map[string]*Session{}, now: cfg.Now}
	}
	c := &Console{cfg: cfg, log: log, sessions: sessions, failures: map[string][]time.Time{}}
	c.routes()
	return c
}

const (
	sessionCookie = "batchd-console"
	signinCookie  = "batchd-console-signin"
	cookiePath    = "/console/"
)

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	if r.URL.Path == "/console" {
		http.Redirect(w, r, "/console/", http.StatusFound)
		return
	}
	c.mux.ServeHTTP(w, r)
}

// page is a handler of a signed-in user's request.
type page func(w http.ResponseWriter, r *http.Request, s *Session)

// signedIn wraps a page: no session sends the browser to the sign-in
// page; a form without the session's CSRF token is refused.
func (c *Console) signedIn(h page) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := c.current(r)
		if err != nil {
			c.log.Error("console: reading the session", "err", err)
			http.Error(w, "An internal error occurred.", http.StatusInternalServerError)
			return
		}
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
				return
			}
			http.Error(w, "Your session has ended. Sign in again.", http.StatusUnauthorized)
			return
		}
		if err := c.cfg.Identities.Valid(r.Context(), s.P); err != nil {
			c.endSession(w, r)
			http.Redirect(w, r, "/console/signin", http.StatusFound)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !sameOrigin(r) || !equal(r.PostFormValue("csrf"), s.CSRF) {
				http.Error(w, "The form has expired or did not come from this console. Reload the page and try again.", http.StatusForbidden)
				return
			}
		}
		if s.MustChange && r.URL.Path != "/console/password" && r.URL.Path != "/console/signout" {
			http.Redirect(w, r, "/console/password", http.StatusFound)
			return
		}
		h(w, r, s)
	}
}

// sameOrigin refuses a form posted from another origin, where the browser
// says (Origin or, failing that, Sec-Fetch-Site): SameSite=Strict cookies
// already keep a cross-site post signed out; this is a second lock.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func token() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("console: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// current is the request's session, nil when it has none (or it ended).
func (c *Console) current(r *http.Request) (*Session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	key := sessionKey(ck.Value)
	s, found, err := c.sessions.Get(r.Context(), key)
	if err != nil || !found {
		return nil, err
	}
	if !c.cfg.Now().Before(s.Expires) {
		return nil, c.sessions.Delete(r.Context(), key)
	}
	s.key = key
	return s, nil
}

// sessionKey is where a token's session is kept: its SHA-256, so that
// what is kept cannot be played back as a cookie.
func sessionKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (c *Console) startSession(w http.ResponseWriter, r *http.Request, s *Session) error {
	tok := token()
	s.CSRF = token()
	s.Expires = c.cfg.Now().Add(sessionTTL)
	s.key = sessionKey(tok)
	if err := c.sessions.Put(r.Context(), s.key, s); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: cookiePath, Expires: s.Expires,
		HttpOnly: true, Secure: c.cfg.Secure, SameSite: http.SameSiteStrictMode})
	return nil
}

func (c *Console) endSession(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := c.sessions.Delete(r.Context(), sessionKey(ck.Value)); err != nil {
			// The cookie goes all the same; the session expires by itself.
			c.log.Error("console: ending a session", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: cookiePath, MaxAge: -1,
		HttpOnly: true, Secure: c.cfg.Secure, SameSite: http.SameSiteStrictMode})
}

// throttled reports whether sign-ins for user from addr are refused for
// now, and for how long.
func (c *Console) throttled(user, addr string) (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	var wait time.Duration
	for key, limit := range map[string]int{"u:" + strings.ToLower(user): maxUserFailures, "a:" + addr: maxAddrFailures} {
		recent := c.recentLocked(key, now)
		if len(recent) >= limit {
			wait = max(wait, recent[len(recent)-limit].Add(failureWindow).Sub(now))
		}
	}
	return wait, wait > 0
}

func (c *Console) recentLocked(key string, now time.Time) []time.Time {
	list := c.failures[key]
	i := 0
	for i < len(list) && now.Sub(list[i]) >= failureWindow {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(c.failures, key)
	} else {
		c.failures[key] = list
	}
	return list
}

func (c *Console) failed(user, addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.Now()
	if len(c.failures) > maxSessions {
		for k := range c.failures {
			c.recentLocked(k, now)
		}
	}
	for _, key := range []string{"u:" + strings.ToLower(user), "a:" + addr} {
		c.failures[key] = append(c.recentLocked(key, now), now)
	}
}

func (c *Console) env(r *http.Request) iam.Env {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return iam.Env{SourceIP: host, Secure: c.cfg.Secure || r.TLS != nil, Region: c.cfg.Region}
}

// call runs a Batch or CloudWatch Logs operation as the session's
// principal: in is marshalled as the operation's JSON input, and the
// output unmarshalled into out (nil: dropped), as a client of the API
// would see them.
func (c *Console) call(r *http.Request, s *Session, service, operation string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	res, err := c.cfg.API.Invoke(r.Context(), s.P, c.env(r), userAgent, service, operation, body)
	if err != nil || out == nil {
		return err
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// query runs an IAM or STS operation as the session's principal.
func (c *Console) query(r *http.Request, s *Session, service, operation string, params url.Values) (awsproto.Fields, error) {
	res, err := c.cfg.API.Invoke(r.Context(), s.P, c.env(r), userAgent, service, operation, []byte(params.Encode()))
	if err != nil {
		return nil, err
	}
	f, _ := res.(awsproto.Fields) // IAM and STS answer Fields
	return f, nil
}

// why is the decoded authorization message of a denial, when the user
// may decode it (sts:DecodeAuthorizationMessage); "" otherwise.
func (c *Console) why(r *http.Request, s *Session, denial error) string {
	enc := c.cfg.API.AuthorizationMessage(s.P, denial)
	if enc == "" {
		return ""
	}
	f, err := c.query(r, s, "sts", "DecodeAuthorizationMessage", url.Values{"EncodedMessage": {enc}})
	if err != nil {
		return ""
	}
	for _, field := range f {
		if m, ok := field.Value.(string); ok && field.Name == "DecodedMessage" {
			var v any
			if json.Unmarshal([]byte(m), &v) == nil {
				if pretty, err := json.MarshalIndent(v, "", "  "); err == nil {
					return string(pretty)
				}
			}
			return m
		}
	}
	return ""
}

// apiError is what a page shows of a failed call: AWS's code and message.
type apiError struct {
	Code, Message string
	Status        int
	Why           string
}

func (c *Console) describe(r *http.Request, s *Session, err error) apiError {
	var coded interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if !errors.As(err, &coded) || coded.ErrorCode() == "InternalFailure" {
		c.log.Error("console: internal error", "path", r.URL.Path, "err", err)
		return apiError{Code: "InternalFailure", Message: "An internal error occurred.", Status: http.StatusInternalServerError}
	}
	e := apiError{Code: coded.ErrorCode(), Message: coded.ErrorMessage(), Status: awsproto.StatusOf(err)}
	if e.Status == http.StatusForbidden {
		e.Why = c.why(r, s, err)
	}
	return e
}
