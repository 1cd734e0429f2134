package policy

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
)

// Input is one case for batch evaluation (`batchd policy eval`): the policies
// as JSON documents, the caller, the action, the resource and the context.
// Every field but Action and Resource may be absent. In Context a JSON string
// is a string value, an array a multivalued key, a bool or number its text.
type Input struct {
	ID                   json.RawMessage            `json:"id,omitempty"`
	IdentityPolicies     []json.RawMessage          `json:"identityPolicies"`
	PermissionBoundaries []json.RawMessage          `json:"permissionBoundaries"`
	SessionPolicies      []json.RawMessage          `json:"sessionPolicies"`
	ResourcePolicy       json.RawMessage            `json:"resourcePolicy"`
	Principal            string                     `json:"principal"`
	Action               string                     `json:"action"`
	Resource             string                     `json:"resource"`
	Context              map[string]json.RawMessage `json:"context"`
}

// Output is the answer to one Input.
type Output struct {
	ID       json.RawMessage `json:"id,omitempty"`
	Decision Outcome         `json:"decision,omitempty"`
	Reasons  []string        `json:"reasons,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// Evaluator evaluates Inputs, compiling each distinct policy document once:
// compiled documents are cached by their exact text. It is safe for
// concurrent use.
type Evaluator struct {
	mu    sync.RWMutex
	cache map[string]*Policy
	errs  map[string]error
	// MaxCached bounds the cache; when full it is emptied. Zero means 10,000.
	MaxCached int
}

// NewEvaluator returns an Evaluator with an empty cache.
func NewEvaluator() *Evaluator {
	return &Evaluator{cache: map[string]*Policy{}, errs: map[string]error{}}
}

func (e *Evaluator) compiled(raw json.RawMessage, name string) (*Policy, error) {
	raw = bytes.TrimSpace(raw)
	e.mu.RLock()
	p, ok := e.cache[string(raw)]
	err := e.errs[string(raw)]
	e.mu.RUnlock()
	if ok {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, fmt.Errorf("%s: a policy document must be a JSON object", name)
	}
	p, err = Load(name, raw)
	e.mu.Lock()
	max := e.MaxCached
	if max == 0 {
		max = 10000
	}
	if len(e.cache)+len(e.errs) >= max {
		clear(e.cache)
		clear(e.errs)
	}
	if err != nil {
		e.errs[string(raw)] = err
	} else {
		e.cache[string(raw)] = p
	}
	e.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// inputName names a policy by its place in the input ("identityPolicies[1]"):
// a cached compiled policy carries the name of the input it first came in.
func (s *Set) inputName(p *Policy, t PolicyType) string {
	var list []*Policy
	field := ""
	switch t {
	case IdentityBased:
		list, field = s.Identity, "identityPolicies"
	case PermissionsBoundary:
		list, field = s.Boundary, "permissionBoundaries"
	case SessionPolicy:
		list, field = s.Session, "sessionPolicies"
	case ResourceBased:
		return "resourcePolicy"
	}
	for i, q := range list {
		if q == p {
			return field + "[" + strconv.Itoa(i) + "]"
		}
	}
	return p.Name
}

// Build turns an Input into a policy set and a request. Keys that follow from
// the principal are added only where the context lacks them; nothing else is
// added.
func (e *Evaluator) Build(in *Input) (*Set, *Request, error) {
	return e.build(in, nil)
}

// build is Build with the context given either as in.Context or, already
// decoded, as values (then in.Context is ignored).
func (e *Evaluator) build(in *Input, values map[string][]string) (*Set, *Request, error) {
	if in.Action == "" {
		return nil, nil, errors.New("action is required")
	}
	if in.Resource == "" {
		return nil, nil, errors.New("resource is required")
	}
	s := &Set{}
	add := func(list []json.RawMessage, field string) ([]*Policy, error) {
		var out []*Policy
		for i, raw := range list {
			p, err := e.compiled(raw, field+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	}
	var err error
	if s.Identity, err = add(in.IdentityPolicies, "identityPolicies"); err != nil {
		return nil, nil, err
	}
	if s.Boundary, err = add(in.PermissionBoundaries, "permissionBoundaries"); err != nil {
		return nil, nil, err
	}
	if s.Session, err = add(in.SessionPolicies, "sessionPolicies"); err != nil {
		return nil, nil, err
	}
	if len(bytes.TrimSpace(in.ResourcePolicy)) > 0 && string(bytes.TrimSpace(in.ResourcePolicy)) != "null" {
		if s.Resource, err = e.compiled(in.ResourcePolicy, "resourcePolicy"); err != nil {
			return nil, nil, err
		}
		if err := s.Resource.AsResourcePolicy(); err != nil {
			return nil, nil, fmt.Errorf("resourcePolicy: %w", err)
		}
	}
	caller, err := ParseCaller(in.Principal)
	if err != nil {
		return nil, nil, err
	}
	ctx := &Context{m: make(map[string][]string, len(in.Context)+len(values)+4)}
	if values != nil {
		for k, v := range values {
			ctx.Set(k, v...)
		}
	} else {
		for k, raw := range in.Context {
			vals, err := contextValues(raw)
			if err != nil {
				return nil, nil, fmt.Errorf("context[%q]: %w", k, err)
			}
			ctx.Set(k, vals...)
		}
	}
	caller.FillContext(ctx)
	return s, &Request{Caller: caller, Action: in.Action, Resource: in.Resource, Context: ctx}, nil
}

func contextValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, errors.New("empty value")
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return []string{s}, nil
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		out := make([]string, 0, len(list))
		for _, el := range list {
			v, err := contextValues(el)
			if err != nil {
				return nil, err
			}
			if len(v) != 1 {
				return nil, errors.New("a list must hold strings, numbers or booleans")
			}
			out = append(out, v[0])
		}
		return out, nil
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, err
		}
		return []string{strconv.FormatBool(b)}, nil
	case 'n':
		return nil, errors.New("null is not a value; leave the key out")
	case '{':
		return nil, errors.New("an object is not a value")
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, err
	}
	return []string{n.String()}, nil
}

// EvalLine evaluates one JSON line and returns the output line (without a
// newline). A line that cannot be read or evaluated gives an error output.
func (e *Evaluator) EvalLine(line []byte) []byte {
	var in Input
	var out Output
	values := map[string][]string{}
	var err error
	if !decodeFast(line, &in, values) {
		in, values = Input{}, nil
		err = json.Unmarshal(line, &in)
	}
	if err != nil {
		out.ID = salvageID(line)
		out.Error = "invalid input line: " + err.Error()
	} else {
		out.ID = in.ID
		if s, r, err := e.build(&in, values); err != nil {
			out.Error = err.Error()
		} else {
			d := s.Evaluate(r)
			out.Decision, out.Reasons = d.Outcome, d.ReasonsNamed(s.inputName)
		}
	}
	return appendOutput(make([]byte, 0, 256), &out)
}

// salvageID finds the id of a line that does not decode as an Input.
func salvageID(line []byte) json.RawMessage {
	var probe struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(line, &probe) == nil {
		return probe.ID
	}
	return nil
}

// maxLine bounds one input line of Stream.
const maxLine = 64 << 20

// Stream reads JSON Lines from r and writes one output line per input line
// to w, in input order, evaluating on every CPU. Blank lines are skipped.
// Lines are handed to the workers in batches: a batch closes when it is full
// or when no more input is waiting, so bulk input is evaluated in bulk and
// an interactive producer gets each answer as soon as its line is in. Stream
// returns when r ends, w fails or ctx is done.
func (e *Evaluator) Stream(ctx context.Context, r io.Reader, w io.Writer) error {
	workers := runtime.GOMAXPROCS(0)
	const batchSize = 512
	type batch struct {
		arena []byte
		ends  []int
		outs  [][]byte
		done  chan struct{}
	}
	work := make(chan *batch, workers*2)
	ordered := make(chan *batch, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				start := 0
				for i, end := range b.ends {
					b.outs[i] = e.EvalLine(b.arena[start:end])
					start = end
				}
				close(b.done)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(ordered)
		defer close(work)
		br := bufio.NewReaderSize(r, 1<<20)
		newBatch := func() *batch { return &batch{arena: make([]byte, 0, 512<<10), done: make(chan struct{})} }
		cur := newBatch()
		dispatch := func() bool {
			if len(cur.ends) == 0 {
				return true
			}
			cur.outs = make([][]byte, len(cur.ends))
			for _, ch := range []chan *batch{ordered, work} {
				select {
				case ch <- cur:
				case <-ctx.Done():
					return false
				}
			}
			cur = newBatch()
			return true
		}
		var long []byte // a line longer than the reader's buffer
		for {
			chunk, err := br.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				if len(long)+len(chunk) > maxLine {
					readErr <- fmt.Errorf("input line longer than %d bytes", maxLine)
					return
				}
				long = append(long, chunk...)
				continue
			}
			line := chunk
			if long != nil {
				line = append(long, chunk...)
				long = nil
			}
			if line = bytes.TrimSpace(line); len(line) > 0 {
				cur.arena = append(cur.arena, line...)
				cur.ends = append(cur.ends, len(cur.arena))
			}
			if err != nil {
				if !dispatch() {
					readErr <- ctx.Err()
				} else if err == io.EOF {
					readErr <- nil
				} else {
					readErr <- err
				}
				return
			}
			if len(cur.ends) >= batchSize || br.Buffered() == 0 {
				if !dispatch() {
					readErr <- ctx.Err()
					return
				}
			}
		}
	}()
	bw := bufio.NewWriterSize(w, 256<<10)
	var werr error
	for b := range ordered {
		<-b.done
		if werr != nil {
			continue
		}
		for _, o := range b.outs {
			bw.Write(o)
			if err := bw.WriteByte('\n'); err != nil {
				werr = err
				break
			}
		}
		// Flush when nothing more is ready, so that answers stream.
		if len(ordered) == 0 && werr == nil {
			werr = bw.Flush()
		}
	}
	wg.Wait()
	if werr == nil {
		werr = bw.Flush()
	}
	if err := <-readErr; err != nil {
		return err
	}
	return werr
}
