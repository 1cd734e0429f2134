package executor

import (
	"sync"
	"time"
	"unicode/utf8"
)

// Escalation stops something that may end by itself meanwhile, as
// `docker stop` does: a termination request first, a kill when the grace
// period has passed. The zero value is ready; it is safe for concurrent
// use. term and kill run with the Escalation's lock held, so none runs
// after End returned (a process's ID is never signalled once reaped).
type Escalation struct {
	mu     sync.Mutex
	ended  bool
	termed bool
	killAt time.Time
	timer  *time.Timer
}

// Stop calls term the first time it is called, and kill after grace
// unless the thing ended before; a later call may only shorten the grace
// period. It does nothing once ended.
func (e *Escalation) Stop(grace time.Duration, term, kill func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended {
		return
	}
	if !e.termed {
		e.termed = true
		term()
	}
	grace = max(grace, 0)
	at := time.Now().Add(grace)
	if e.timer != nil && !at.Before(e.killAt) {
		return
	}
	if e.timer != nil {
		e.timer.Stop()
	}
	e.killAt = at
	e.timer = time.AfterFunc(grace, func() { e.Kill(kill) })
}

// Kill calls kill now unless the thing ended.
func (e *Escalation) Kill(kill func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.ended {
		kill()
	}
}

// End records that the thing ended and cancels a pending kill; last, if
// not nil, runs under the lock first (a last kill of what is left).
func (e *Escalation) End(last func()) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended {
		return
	}
	e.ended = true
	if e.timer != nil {
		e.timer.Stop()
	}
	if last != nil {
		last()
	}
}

// Ended reports whether End was called.
func (e *Escalation) Ended() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ended
}

// Termed reports whether a termination was requested.
func (e *Escalation) Termed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.termed
}

// MaxLine is the longest line of output passed on whole: CloudWatch Logs'
// event size limit.
const MaxLine = 256 << 10

// RuneCut returns how much of b can be passed on without splitting a UTF-8
// sequence at its end.
func RuneCut(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if i > 0 && !utf8.FullRune(b[i:]) {
				return i
			}
			break
		}
	}
	return len(b)
}
