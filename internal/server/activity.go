package server

import (
	"sync/atomic"
	"time"
)

// Activity tracks the AWS API requests a Server serves, for the work that
// yields to them: the scheduler spaces its passes while the API is busy.
// Its methods are safe for concurrent use and on a nil Activity (which
// is never busy).
type Activity struct {
	serving atomic.Int64
	last    atomic.Int64 // when the last request ended, Unix nanoseconds
}

// apiQuiet is how long after its last request the API still counts as
// busy: a client that sends one request after another sends the next
// within it.
const apiQuiet = 2 * time.Millisecond

func (a *Activity) begin() {
	if a != nil {
		a.serving.Add(1)
	}
}

func (a *Activity) end() {
	if a != nil {
		a.last.Store(time.Now().UnixNano())
		a.serving.Add(-1)
	}
}

// Busy reports whether a request is being served, or one ended less than
// apiQuiet ago.
func (a *Activity) Busy() bool {
	if a == nil {
		return false
	}
	return a.serving.Load() > 0 || time.Now().UnixNano()-a.last.Load() < int64(apiQuiet)
}
