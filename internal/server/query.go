package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"batchd/internal/awsproto"
	"batchd/internal/iam"
	"batchd/internal/iam/policy"
)

// queryOp is how a Query-protocol service (IAM, STS) declares a row of
// its operation table, which queryTable makes an op: the IAM action the
// operation needs, the resources it touches, the condition keys it sets,
// and its handler, all on the call's parameters.
type queryOp struct {
	// Action is the IAM action; "" means the operation needs no permission
	// (sts:GetCallerIdentity).
	Action string
	// Resources returns the ARNs the action is authorized on; nil means
	// the action has no resource-level permission ("*").
	Resources func(c *Call) []string
	// Keys returns the condition keys the operation sets.
	Keys func(c *Call) map[string][]string
	// ExplicitOnly, when set and true for the call, makes only an explicit
	// Deny refuse it: IAM itself grants the action (the password policy's
	// AllowUsersToChangePassword), so no Allow is needed.
	ExplicitOnly func(c *Call) bool
	// Handle runs the operation and returns its result fields.
	Handle func(c *Call) (awsproto.Fields, error)
}

// AccessDeniedError is an AccessDenied with the verdict behind it.
type AccessDeniedError struct {
	Code, Message string
	Verdict       *iam.Verdict
}

func (e *AccessDeniedError) Error() string        { return e.Code + ": " + e.Message }
func (e *AccessDeniedError) ErrorCode() string    { return e.Code }
func (e *AccessDeniedError) ErrorMessage() string { return e.Message }

// HTTPStatus is 403 for every protocol: AccessDenied and
// AccessDeniedException in AWS's "Common Errors".
func (e *AccessDeniedError) HTTPStatus() int { return http.StatusForbidden }

// queryTable makes a Query service's rows ops: authorize asks for Action
// on each of Resources with Keys (a parameter that could not be read
// fails the call first), handle runs Handle.
func queryTable(rows map[string]queryOp) map[string]op {
	out := make(map[string]op, len(rows))
	for name, row := range rows {
		out[name] = op{
			Action: row.Action,
			authorize: func(c *Call, _ any) error {
				if row.Action == "" {
					return nil
				}
				resources := []string{"*"}
				if row.Resources != nil {
					resources = row.Resources(c)
				}
				var keys map[string][]string
				if row.Keys != nil {
					keys = row.Keys(c)
				}
				explicitOnly := row.ExplicitOnly != nil && row.ExplicitOnly(c)
				if c.paramErr != nil {
					return c.paramErr
				}
				for _, res := range resources {
					chk := iam.Check{Action: row.Action, Resource: res, Keys: keys}
					if err := c.check(chk, explicitOnly); err != nil {
						return err
					}
				}
				return nil
			},
			handle: func(c *Call, _ any) (any, error) { return row.Handle(c) },
		}
	}
	return out
}

func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, body []byte, c *Call, service, xmlns string, ops map[string]op) {
	c.xmlns = xmlns
	q, err := awsproto.ParseQuery(r, body)
	if err != nil {
		c.code = s.writeErrorNS(w, r, protoQuery, xmlns, c.RequestID, err)
		return
	}
	fields, err := s.runQuery(c, q, service, ops)
	s.end(w, r, c, protoQuery, err)
	if err == nil {
		awsproto.WriteQueryResult(w, q.Action, xmlns, c.RequestID, fields)
	}
}

// runQuery checks, authorizes and handles a parsed Query request, and
// returns its result fields; the caller ends the call (end, finish).
func (s *Server) runQuery(c *Call, q *awsproto.QueryRequest, service string, ops map[string]op) (awsproto.Fields, error) {
	c.Operation, c.Params = q.Action, &q.Params
	row, ok := ops[q.Action]
	if !ok {
		return nil, awsproto.Errorf("InvalidAction", "Could not find operation %s for version %s", q.Action, q.Version)
	}
	if err := awsproto.Validate(service, q.Action, c.Params); err != nil {
		return nil, err
	}
	if err := row.authorize(c, nil); err != nil {
		return nil, err
	}
	s.auditAhead(c)
	result, err := row.handle(c, nil)
	if err == nil {
		err = c.paramErr
	}
	if err != nil {
		return nil, err
	}
	fields, _ := result.(awsproto.Fields) // Query handlers return Fields (queryTable)
	return fields, nil
}

// Authorize asks whether the caller may do action on resource with the
// given condition keys; a denial is an AccessDenied error in AWS's words.
// Every verdict is kept for the audit trail.
func (c *Call) Authorize(action, resource string, keys map[string][]string) error {
	return c.check(iam.Check{Action: action, Resource: resource, Keys: keys}, false)
}

// authorizeUnlessDenied is Authorize where only an explicit Deny refuses:
// an Allow is not required (SubmitJob's job resource).
func (c *Call) authorizeUnlessDenied(action, resource string, keys map[string][]string) error {
	return c.check(iam.Check{Action: action, Resource: resource, Keys: keys}, true)
}

// Step is one authorization check a request needs, with its verdict.
type Step struct {
	iam.Check
	Verdict *iam.Verdict
	// ExplicitOnly is set when only an explicit Deny of this check
	// refuses the request.
	ExplicitOnly bool
}

// Denies reports whether the step refuses the request.
func (s *Step) Denies() bool {
	if s.ExplicitOnly {
		return s.Verdict.Outcome == policy.ExplicitDeny
	}
	return !s.Verdict.Allowed()
}

func (c *Call) check(chk iam.Check, explicitOnly bool) error {
	if c.paramErr != nil {
		// What the decision needs could not be read in full (see
		// lookupFailed): no decision is made on partial context.
		return c.paramErr
	}
	var v *iam.Verdict
	var err error
	if c.sim != nil {
		v, err = c.sim.decide(chk)
	} else {
		v, err = c.srv.cfg.IAM.Authorize(c.Ctx, c.Principal, c.Env, chk)
	}
	if err != nil {
		return err
	}
	c.verdicts = append(c.verdicts, v)
	step := Step{Check: chk, Verdict: v, ExplicitOnly: explicitOnly}
	if c.sim != nil {
		// A simulation goes on past a denial, to show every check.
		c.sim.steps = append(c.sim.steps, step)
		return nil
	}
	if m := c.srv.cfg.Metrics; m != nil {
		m.decision(chk.Action, !step.Denies())
	}
	if !step.Denies() {
		return nil
	}
	code := c.deniedCode
	if code == "" {
		code = "AccessDenied"
	}
	return &AccessDeniedError{Code: code, Message: v.Message(v.Request), Verdict: v}
}

// lookupFailed records err, from a lookup of what a decision needs, unless
// it only says the entity does not exist (the decision then goes on without
// it, and the handler reports NoSuchEntity). Any other error fails the call
// closed: it ends with that error, before any decision is made on partial
// context (Authorize refuses to decide once one is recorded).
func (c *Call) lookupFailed(err error) {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) && coded.ErrorCode() == iam.CodeNoSuchEntity {
		return
	}
	if c.paramErr == nil {
		c.paramErr = fmt.Errorf("gathering the authorization context: %w", err)
	}
}

// Str returns a string parameter ("" when absent).
func (c *Call) Str(name string) string {
	v, _ := c.Params.String(name)
	return v
}

// List reads a Name.member.N list of strings.
func (c *Call) List(name string) []string {
	l, err := c.Params.StringList(name)
	if err != nil && c.paramErr == nil {
		c.paramErr = err
	}
	return l
}

// Structs reads a Name.member.N.Field list of structures.
func (c *Call) Structs(name string) []awsproto.Params {
	l, err := c.Params.StructList(name)
	if err != nil && c.paramErr == nil {
		c.paramErr = err
	}
	return l
}

// Int reads an integer parameter; ok is false when it is absent.
func (c *Call) Int(name string) (int64, bool) {
	n, ok, err := c.Params.Int(name)
	if err != nil && c.paramErr == nil {
		c.paramErr = err
	}
	return n, ok
}

// Bool reads a boolean parameter; ok is false when it is absent.
func (c *Call) Bool(name string) (bool, bool) {
	b, ok, err := c.Params.Bool(name)
	if err != nil && c.paramErr == nil {
		c.paramErr = err
	}
	return b, ok
}

// Tags reads a Tags.member.N.Key/Value list.
func (c *Call) Tags(name string) []iam.Tag {
	var out []iam.Tag
	for _, p := range c.Structs(name) {
		k, _ := p.String("Key")
		v, _ := p.String("Value")
		out = append(out, iam.Tag{Key: k, Value: v})
	}
	return out
}

// tagKeys returns the request-tag condition keys for tags given on create
// or tag operations: aws:RequestTag/K and aws:TagKeys.
func tagKeys(tags []iam.Tag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	m := map[string][]string{}
	var keys []string
	for _, t := range tags {
		m["aws:RequestTag/"+t.Key] = []string{t.Value}
		keys = append(keys, t.Key)
	}
	m["aws:TagKeys"] = keys
	return m
}

// tagFields renders tags as IAM's Tags list.
func tagFields(tags []iam.Tag) []awsproto.Fields {
	if tags == nil {
		return nil
	}
	out := make([]awsproto.Fields, 0, len(tags))
	for _, t := range tags {
		out = append(out, awsproto.Fields{{Name: "Key", Value: t.Key}, {Name: "Value", Value: t.Value}})
	}
	return out
}

// pathOr defaults an IAM path.
func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func lower(s string) string { return strings.ToLower(s) }
