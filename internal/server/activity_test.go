package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestActivity: the API is busy while a request is served and for
// apiQuiet after it; health probes are not API requests; a nil Activity
// is never busy.
func TestActivity(t *testing.T) {
	t.Parallel()
	var none *Activity
	none.begin()
	none.end()
	if none.Busy() {
		t.Error("a nil Activity is busy")
	}

	a := &Activity{}
	if a.Busy() {
		t.Fatal("busy before any request")
	}
	a.begin()
	if !a.Busy() {
		t.Error("not busy while a request is served")
	}
	a.end()
	if !a.Busy() {
		t.Error("not busy just after a request")
	}
	a.last.Store(time.Now().Add(-apiQuiet).UnixNano())
	if a.Busy() {
		t.Errorf("busy %v after the last request", apiQuiet)
	}

	a = &Activity{}
	s := New(Config{Activity: a})
	s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, HealthzPath, nil))
	if a.last.Load() != 0 {
		t.Error("a health probe counted as an API request")
	}
	// Unsigned: refused, and served all the same.
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/describejobqueues", nil))
	if rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
		t.Errorf("unsigned request: %d %s", rec.Code, rec.Body)
	}
	if a.last.Load() == 0 || a.serving.Load() != 0 {
		t.Errorf("after an API request: last %d, serving %d; want it counted and done", a.last.Load(), a.serving.Load())
	}
}
