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
	}
	caller, err := ParseCaller(in.Principal)
	if err != nil {
		return nil, nil, err
	}
	ctx := &Context{m: make(map[string][]string, len(in.Context)+4)}
	for k, raw := range in.Context {
		vals, err := contextValues(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("context[%q]: %w", k, err)
		}
		ctx.Set(k, vals...)
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
	if err := json.Unmarshal(line, &in); err != nil {
		out.ID = salvageID(line)
		out.Error = "invalid input line: " + err.Error()
	} else {
		out.ID = in.ID
		if s, r, err := e.Build(&in); err != nil {
			out.Error = err.Error()
		} else {
			d := s.Evaluate(r)
			out.Decision, out.Reasons = d.Outcome, d.ReasonsNamed(s.inputName)
		}
	}
	b, err := json.Marshal(&out)
	if err != nil {
		return []byte(`{"error":"cannot encode output"}`)
	}
	return b
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

// Stream reads JSON Lines from r and writes one output line per input line
// to w, in input order, evaluating on every CPU. Blank lines are skipped. It
// returns when r ends, w fails or ctx is done.
func (e *Evaluator) Stream(ctx context.Context, r io.Reader, w io.Writer) error {
	workers := runtime.GOMAXPROCS(0)
	const batchSize = 256
	type batch struct {
		lines [][]byte
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
				for i, l := range b.lines {
					b.outs[i] = e.EvalLine(l)
				}
				close(b.done)
			}
		}()
	}
	// The scanner feeds lines; the batcher takes whatever has arrived (up to
	// batchSize) so that bulk input is batched and interactive input is
	// answered line by line.
	lines := make(chan []byte, batchSize*4)
	readErr := make(chan error, 1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			select {
			case lines <- bytes.Clone(line):
			case <-ctx.Done():
				readErr <- ctx.Err()
				return
			}
		}
		readErr <- sc.Err()
	}()
	go func() {
		defer close(ordered)
		defer close(work)
		for first := range lines {
			b := &batch{lines: [][]byte{first}, done: make(chan struct{})}
		fill:
			for len(b.lines) < batchSize {
				select {
				case l, ok := <-lines:
					if !ok {
						break fill
					}
					b.lines = append(b.lines, l)
				default:
					break fill
				}
			}
			b.outs = make([][]byte, len(b.lines))
			ordered <- b
			work <- b
		}
	}()
	bw := bufio.NewWriterSize(w, 64<<10)
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
		// Flush per batch so that a slow producer still sees answers stream.
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
