package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"batchd/internal/awsproto"
	"batchd/internal/batch"
	"batchd/internal/iam"
	"batchd/internal/logs"
	"batchd/internal/sigv4"
	"batchd/internal/sts"
)

// Config wires a Server.
type Config struct {
	IAM      *iam.Service
	STS      *sts.Service
	Batch    *batch.Service
	Logs     *logs.Service
	Verifier *sigv4.Verifier
	Log      *slog.Logger
	Audit    *Audit // nil: no audit trail
	// WithCommitHook returns a context whose next write that commits
	// stores, in the same transaction, the record prepare gives (nil:
	// none) in the queue of Audit (AuditOptions.Queue); done says whether
	// it committed. cmd/batchd makes it of store.WithCommitHook. nil:
	// every record is written to the file as its call ends.
	WithCommitHook func(ctx context.Context, prepare func() []byte, done func(committed bool)) context.Context
	Region         string
	// TLS tells handlers that requests arrive over TLS (aws:SecureTransport).
	TLS bool
	// Credentials serves job roles' credentials under
	// CredentialsPathPrefix, ahead of SigV4; nil: not served.
	Credentials http.Handler
	// Ready answers /readyz: nil when batchd can serve, else an error
	// whose text is a short reason ("store: not ready") sent as it is.
	// nil: always ready.
	Ready func(ctx context.Context) error
	// Leading, when set, reports whether this replica leads; /readyz
	// says "ok (leader)" or "ok (standby)".
	Leading func() bool
	// Metrics hears every request and authorization decision; nil: none
	// kept. ServeMetrics serves them at MetricsPath, ahead of SigV4 (else
	// that path is an AWS path like any other).
	Metrics      *Metrics
	ServeMetrics bool
	// Activity counts the AWS API requests served (not health, metrics
	// or job credentials); nil: none counted.
	Activity *Activity
}

// Server is batchd's http.Handler.
type Server struct {
	cfg Config
	log *slog.Logger
}

// New returns a Server.
func New(cfg Config) *Server {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Server{cfg: cfg, log: log}
}

// Request body bounds, by service: what the largest operation of each can
// take, with room for its encoding. CloudWatch Logs: PutLogEvents' batch
// of 1,048,576 bytes (CloudWatch Logs API Reference, PutLogEvents) as
// escaped JSON; Batch: its job definitions and submissions (SubmitJob's
// own quota is 30 KiB); IAM and STS: policy documents of at most 10,240
// characters, form-encoded. A body is read only after the caller's key is
// known, within bodyTimeout.
const (
	maxBodyLogs  = 3 << 20
	maxBodyBatch = 1 << 20
	maxBodyQuery = 256 << 10
	bodyTimeout  = 60 * time.Second
	// unauthenticatedTimeout bounds what an unknown caller may hold.
	unauthenticatedTimeout = 10 * time.Second
)

// maxBodyFor is the body bound of a service.
func maxBodyFor(service string) int64 {
	switch service {
	case "logs":
		return maxBodyLogs
	case "batch":
		return maxBodyBatch
	}
	return maxBodyQuery
}

// protocol is the wire protocol a request speaks.
type protocol int

const (
	protoQuery protocol = iota
	protoJSON
	protoRESTJSON
)

// guessProtocol tells the protocol from the request's shape, for requests
// whose signature does not name a service.
func guessProtocol(r *http.Request) protocol {
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		return protoJSON
	case strings.HasPrefix(r.URL.Path, "/v1/"):
		return protoRESTJSON
	}
	return protoQuery
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.operatorPath(w, r) {
		return
	}
	if s.cfg.Credentials != nil && strings.HasPrefix(r.URL.Path, CredentialsPathPrefix) {
		// The container credentials protocol: a token, no signature.
		s.cfg.Credentials.ServeHTTP(w, r)
		return
	}
	s.cfg.Activity.begin()
	defer s.cfg.Activity.end()
	start := time.Now()
	reqID := newRequestID()
	w.Header().Set("x-amzn-RequestId", reqID)
	debug := s.log.Enabled(r.Context(), slog.LevelDebug)
	var sw *statusWriter
	if debug {
		sw = &statusWriter{ResponseWriter: w, status: http.StatusOK}
		w = sw
	}
	c, code := s.serveAWS(w, r, reqID)
	s.observe(r, c, code, reqID, sw, start)
}

// serveAWS serves an AWS API request and returns its call (nil when the
// request ended before it was authenticated) and, for a request that ended
// before it was routed, its error code.
func (s *Server) serveAWS(w http.ResponseWriter, r *http.Request, reqID string) (*Call, string) {
	// Until the caller's key is known, the connection gets a short time
	// for what it still has to send.
	rc := http.NewResponseController(w)
	if err := rc.SetReadDeadline(time.Now().Add(unauthenticatedTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.log.Warn("setting the read deadline", "requestId", reqID, "err", err)
	}
	proto := guessProtocol(r)
	signed, err := sigv4.Parse(r)
	if err != nil {
		return nil, s.writeError(w, r, proto, reqID, err)
	}
	ctx := r.Context()
	xmlns := iamXMLNS
	if signed.Service == "sts" {
		xmlns = stsXMLNS
	}
	fail := func(err error) (*Call, string) { return nil, s.writeErrorNS(w, r, proto, xmlns, reqID, err) }
	if err := s.cfg.Verifier.Validate(signed); err != nil {
		return fail(err)
	}
	if !s.regionServed(signed) {
		// AWS refuses a scope for another region than the endpoint's, as
		// a signature mismatch ("Signature Version 4 ... credential
		// scope"): a Deny on aws:RequestedRegion must not be bypassed by
		// signing for another region.
		return fail(signatureMismatch("Credential should be scoped to a valid region, not '" + signed.Region + "'. "))
	}
	// The key first, the body after: a caller without a key batchd knows
	// never gets a body read.
	p, secret, err := s.cfg.IAM.Authenticate(ctx, signed.AccessKeyID, signed.SecurityToken)
	if err != nil {
		return fail(err)
	}
	limit := maxBodyFor(signed.Service)
	tooLarge := awsproto.Errorf("RequestEntityTooLarge", "Request body exceeds %d bytes.", limit)
	if r.ContentLength > limit {
		return fail(tooLarge)
	}
	if err := rc.SetReadDeadline(time.Now().Add(bodyTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.log.Warn("setting the body's read deadline", "requestId", reqID, "err", err)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return fail(awsproto.Errorf("IncompleteBody", "The request body could not be read."))
	}
	if int64(len(body)) > limit {
		return fail(tooLarge)
	}
	if hash := signed.PayloadHash; (hash == "UNSIGNED-PAYLOAD" || strings.HasPrefix(hash, "STREAMING-")) && (!signed.Presigned || len(body) > 0) {
		// An Amazon S3 feature: every operation batchd serves carries its
		// parameters in the body or the signed URL, so the body must be
		// signed. (A presigned URL of an empty body may be signed over
		// UNSIGNED-PAYLOAD, as S3-style presigners do.)
		return fail(signatureMismatch("The request body must be signed: X-Amz-Content-Sha256 " + hash + " is not accepted by this service."))
	}
	if err := s.cfg.Verifier.Verify(r, body, signed, secret); err != nil {
		return fail(err)
	}
	s.cfg.IAM.RecordKeyUse(ctx, signed.AccessKeyID, signed.Service, signed.Region)
	call := &Call{
		Ctx: ctx, Principal: p, RequestID: reqID, srv: s, start: time.Now(),
		Env:       iam.Env{SourceIP: sourceIP(r), Secure: s.cfg.TLS || r.TLS != nil, Region: signed.Region},
		UserAgent: r.UserAgent(), Service: signed.Service,
	}
	switch signed.Service {
	case "iam":
		s.serveQuery(w, r, body, call, "iam", iamXMLNS, iamOps)
	case "sts":
		s.serveQuery(w, r, body, call, "sts", stsXMLNS, stsOps)
	case "batch":
		if s.cfg.Batch == nil {
			return call, s.writeError(w, r, protoRESTJSON, reqID, awsproto.Errorf("UnknownService", "AWS Batch is not enabled."))
		}
		s.serveTyped(w, r, body, call, "batch", protoRESTJSON, batchOps)
	case "logs":
		if s.cfg.Logs == nil {
			return call, s.writeError(w, r, protoJSON, reqID, awsproto.Errorf("UnknownService", "CloudWatch Logs is not enabled."))
		}
		s.serveTyped(w, r, body, call, "logs", protoJSON, logsOps)
	default:
		return call, s.writeError(w, r, guessProtocol(r), reqID, awsproto.Errorf("UnknownService", "The service %q is not served by batchd.", signed.Service))
	}
	return call, ""
}

// observe ends a request: its duration in the metrics, and a line at
// debug level. Labels come from bounded sets: a service batchd serves, an
// operation of its table, an AWS error code batchd returns.
func (s *Server) observe(r *http.Request, c *Call, code, reqID string, sw *statusWriter, start time.Time) {
	d := time.Since(start)
	service, operation, principal, decision := "unknown", "unknown", "", "none"
	if c != nil {
		if ops, ok := serviceOps[c.Service]; ok {
			service = c.Service
			if _, ok := ops[c.Operation]; ok {
				operation = c.Operation
			}
		}
		if code == "" {
			code = c.code
		}
		if c.Principal != nil {
			principal = c.Principal.ARN
		}
		switch {
		case c.denied:
			decision = "deny"
		case len(c.verdicts) > 0:
			decision = "allow"
		}
	}
	if code == "" {
		code = "OK"
	}
	if m := s.cfg.Metrics; m != nil {
		m.request(service, operation, code, d)
	}
	if sw != nil {
		// Never the body, a header or a signature: what was asked, by
		// whom, and how it ended.
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("requestId", reqID), slog.String("service", service), slog.String("operation", operation),
			slog.String("principal", principal), slog.String("decision", decision), slog.String("code", code),
			slog.Int("status", sw.status), slog.Duration("latency", d), slog.String("sourceIp", sourceIP(r)))
	}
}

// serviceOps are the operation tables by the service names of signatures.
var serviceOps = map[string]map[string]op{"iam": iamOps, "sts": stsOps, "batch": batchOps, "logs": logsOps}

// statusWriter keeps the status a response was written with, for the
// request's log line.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// regionServed reports whether the request's credential scope names a
// region this server answers for: its own, or, for the global services
// (IAM, and STS's global endpoint), us-east-1, where AWS scopes them.
func (s *Server) regionServed(signed *sigv4.Signed) bool {
	if signed.Region == s.cfg.Region {
		return true
	}
	switch signed.Service {
	case "iam", "sts":
		return signed.Region == globalRegion
	}
	return false
}

// signatureMismatch is a refused signature with batchd's own reason, 403
// as AWS answers SignatureDoesNotMatch (InvalidSignatureException in the
// JSON protocols).
func signatureMismatch(msg string) error {
	return &awsproto.Error{Code: "SignatureDoesNotMatch", Status: http.StatusForbidden, Sender: true, Message: msg}
}

// globalRegion is the region AWS scopes its global services' signatures to.
const globalRegion = "us-east-1"

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// writeError writes err in the protocol's wire format; errors that are not
// AWS errors are logged with the request ID and sent as an internal error.
// It returns the error's code ("InternalFailure" for those).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, p protocol, reqID string, err error) string {
	return s.writeErrorNS(w, r, p, iamXMLNS, reqID, err)
}

func (s *Server) writeErrorNS(w http.ResponseWriter, r *http.Request, p protocol, xmlns, reqID string, err error) string {
	code := "InternalFailure"
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) || coded.ErrorCode() == "InternalFailure" {
		s.log.Error("internal error", "requestId", reqID, "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		code = coded.ErrorCode()
	}
	switch p {
	case protoJSON:
		awsproto.WriteJSONError(w, err, reqID, awsproto.ProtocolJSON)
	case protoRESTJSON:
		awsproto.WriteJSONError(w, err, reqID, awsproto.ProtocolRESTJSON)
	default:
		awsproto.WriteQueryError(w, xmlns, err, reqID)
	}
	return code
}

func newRequestID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("server: crypto/rand failed: " + err.Error())
	}
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Call is one authenticated request on its way through an operation.
type Call struct {
	Ctx       context.Context
	Principal *iam.Principal
	Env       iam.Env
	Params    *awsproto.Params
	RequestID string
	UserAgent string
	Service   string
	Operation string
	srv       *Server
	start     time.Time
	verdicts  []*iam.Verdict
	xmlns     string
	// paramErr is the first parameter that could not be read; the
	// operation fails with it.
	paramErr error
	// Input is a REST-JSON operation's decoded input, for the audit trail.
	Input any
	// deniedCode is the code of a denial in the service's protocol:
	// AccessDenied (Query) or AccessDeniedException (JSON).
	deniedCode string
	// eventType is the audit record's (default AwsApiCall), and
	// responseElements what it records of the response (ConsoleLogin).
	eventType        string
	responseElements any
	// sim, when set, makes the call a simulation (see Simulate).
	sim *simulation
	// code is the AWS error code the call ended with ("" on success);
	// denied is set when it was refused by a decision.
	code   string
	denied bool
	// The audit record committed with the call's first write (auditAhead):
	// its state, event ID and the verdicts it holds.
	aheadMu       sync.Mutex
	ahead         aheadState
	aheadID       string
	aheadVerdicts int
}

// aheadState is where a call's audit record committed with its write is.
type aheadState int

const (
	aheadNone      aheadState = iota // none: end records the call
	aheadPending                     // in a write not yet committed
	aheadCommitted                   // committed with the write
)
