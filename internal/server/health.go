package server

import (
	"context"
	"net/http"
	"time"
)

// Operator endpoints, answered ahead of SigV4 and never an AWS API path:
// Batch's REST paths are under /v1/, the Query and JSON 1.1 protocols POST
// to /, and the container credentials under CredentialsPathPrefix.
const (
	HealthzPath = "/healthz"
	ReadyzPath  = "/readyz"
	MetricsPath = "/metrics"
)

// readyTimeout bounds a readiness check.
const readyTimeout = 2 * time.Second

// operatorPath serves the operator endpoints and reports whether r was
// one: GET or HEAD only (405 otherwise), no authentication.
func (s *Server) operatorPath(w http.ResponseWriter, r *http.Request) bool {
	var h func(http.ResponseWriter, *http.Request)
	switch r.URL.Path {
	case HealthzPath:
		h = serveHealthz
	case ReadyzPath:
		h = s.serveReadyz
	case MetricsPath:
		if s.cfg.ServeMetrics && s.cfg.Metrics != nil {
			h = s.cfg.Metrics.Handler().ServeHTTP
		}
	}
	if h == nil {
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return true
	}
	h(w, r)
	return true
}

// serveHealthz answers while the process serves.
func serveHealthz(w http.ResponseWriter, _ *http.Request) {
	writePlain(w, http.StatusOK, "ok")
}

// serveReadyz answers 200 when Config.Ready passes, else 503 with its
// short reason: what is not ready ("store: not ready"), no detail (the
// cause is logged where it happens).
func (s *Server) serveReadyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready == nil {
		writePlain(w, http.StatusOK, "ok")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.cfg.Ready(ctx); err != nil {
		writePlain(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	switch {
	case s.cfg.Leading == nil:
		writePlain(w, http.StatusOK, "ok")
	case s.cfg.Leading():
		writePlain(w, http.StatusOK, "ok (leader)")
	default:
		writePlain(w, http.StatusOK, "ok (standby)")
	}
}

func writePlain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n")) // a client gone away is nothing to report
}
