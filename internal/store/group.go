package store

import (
	"context"
	"sync/atomic"
)

// The plumbing of a store whose Updates one writer goroutine runs in
// groups (sqlite, postgres): a caller sends an UpdateRequest and waits for
// its UpdateResult (Submit); the writer gathers the requests waiting
// together (Gather), takes each (Take), runs its fn (Run), and answers.

// MaxGroup bounds how many Updates share one transaction.
const MaxGroup = 256

// UpdateRequest is one Update waiting for a writer.
type UpdateRequest struct {
	Fn   func(Tx) error
	Ctx  context.Context
	done chan UpdateResult
	// state is reqWaiting until the writer takes the request (reqTaken)
	// or its caller gives up waiting (reqAbandoned), whichever is first.
	state atomic.Int32
}

const (
	reqWaiting int32 = iota
	reqTaken
	reqAbandoned
)

// UpdateResult is how an Update ended: its error, or the panic of its fn,
// which goes on in the caller.
type UpdateResult struct {
	Err      error
	Panicked bool
	PanicVal any
}

// Submit sends an Update to the writer on reqs and waits for its result.
// A caller whose ctx ends before the writer took the request gets ctx's
// error and the writer skips it; once taken, its outcome decides. closed
// is returned when quit is closed first.
func Submit(ctx context.Context, fn func(Tx) error, reqs chan<- *UpdateRequest, quit <-chan struct{}, closed error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &UpdateRequest{Fn: fn, Ctx: ctx, done: make(chan UpdateResult, 1)}
	select {
	case reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-quit:
		return closed
	}
	var res UpdateResult
	select {
	case res = <-req.done:
	case <-ctx.Done():
		if req.state.CompareAndSwap(reqWaiting, reqAbandoned) {
			return ctx.Err() // the writer will skip it
		}
		res = <-req.done // already running: its outcome decides
	}
	if res.Panicked {
		panic(res.PanicVal)
	}
	return res.Err
}

// Gather returns first and the requests waiting on reqs behind it, up to
// MaxGroup.
func Gather(first *UpdateRequest, reqs <-chan *UpdateRequest) []*UpdateRequest {
	group := []*UpdateRequest{first}
	for len(group) < MaxGroup {
		select {
		case r := <-reqs:
			group = append(group, r)
		default:
			return group
		}
	}
	return group
}

// Take marks r as running, and reports false (with its ctx's error to
// answer) when its caller gave up first or its ctx has ended.
func (r *UpdateRequest) Take() (bool, error) {
	if !r.state.CompareAndSwap(reqWaiting, reqTaken) {
		return false, r.Ctx.Err()
	}
	if err := r.Ctx.Err(); err != nil {
		return false, err
	}
	return true, nil
}

// Answer tells r's caller how it ended.
func (r *UpdateRequest) Answer(res UpdateResult) { r.done <- res }

// Run calls r's fn on t, turning a panic into a result for the caller;
// done runs once fn returned (the Tx is done). An fn that succeeded after
// its caller gave up (r's ctx ended) fails with ctx's error: what it
// wrote must not be kept.
func (r *UpdateRequest) Run(t Tx, done func()) (res UpdateResult) {
	defer func() {
		done()
		if p := recover(); p != nil {
			res = UpdateResult{Panicked: true, PanicVal: p}
		} else if res.Err == nil {
			res.Err = r.Ctx.Err()
		}
	}()
	return UpdateResult{Err: r.Fn(t)}
}

// AnswerAll tells each request of a group its result.
func AnswerAll(group []*UpdateRequest, results []UpdateResult) {
	for i, r := range group {
		r.Answer(results[i])
	}
}

// Failed reports whether an Update failed: its error, or its panic.
func (res UpdateResult) Failed() bool { return res.Err != nil || res.Panicked }

// FailRest gives err to each of a group's results that has not failed:
// the group's transaction failed as a whole.
func FailRest(results []UpdateResult, err error) {
	for i := range results {
		if !results[i].Failed() {
			results[i].Err = err
		}
	}
}
