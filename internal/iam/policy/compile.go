package policy

import (
	"fmt"
	"strings"
)

// Policy is a compiled policy document: immutable, shared, safe for
// concurrent use. Name identifies it in decisions (a policy name, ARN or file).
type Policy struct {
	Name  string
	Doc   *Document
	stmts []compiled
}

// StatementRef names one statement of a policy in a decision.
type StatementRef struct {
	Policy *Policy
	Index  int
	Sid    string
	Effect Effect
}

// String is "POLICY statement SID" or "POLICY statement #N".
func (r *StatementRef) String() string {
	if r == nil {
		return ""
	}
	if r.Sid != "" {
		return fmt.Sprintf("%s statement %q", r.Policy.Name, r.Sid)
	}
	return fmt.Sprintf("%s statement #%d", r.Policy.Name, r.Index)
}

type actionPattern struct {
	any     bool
	service string // lower-case, no wildcards
	name    string // lower-case, may hold * and ?
	wild    bool
}

type compiled struct {
	ref          StatementRef
	notAction    bool
	actions      []actionPattern
	notResource  bool
	resources    []arnPattern // nil: the statement has no Resource element
	notPrincipal bool
	hasPrincipal bool
	principals   []principalPattern
	conds        []condition
}

// Load parses and compiles a document.
func Load(name string, data []byte) (*Policy, error) {
	d, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return Compile(name, d)
}

// Compile turns a parsed document into an evaluable policy. It fails on what
// AWS refuses when a policy is stored: unknown condition operators and
// condition values that do not fit their operator.
func Compile(name string, d *Document) (*Policy, error) {
	p := &Policy{Name: name, Doc: d, stmts: make([]compiled, len(d.Statements))}
	vars := d.UsesVariables()
	for i := range d.Statements {
		s := &d.Statements[i]
		c := &p.stmts[i]
		c.ref = StatementRef{Policy: p, Index: i, Sid: s.Sid, Effect: s.Effect}
		acts := s.Action
		if s.NotAction != nil {
			c.notAction, acts = true, s.NotAction
		}
		for _, a := range acts {
			c.actions = append(c.actions, compileAction(a))
		}
		res := s.Resource
		if s.NotResource != nil {
			c.notResource, res = true, s.NotResource
		}
		for _, r := range res {
			c.resources = append(c.resources, compileARNPattern(r, vars))
		}
		switch {
		case s.Principal != nil:
			c.hasPrincipal, c.principals = true, compilePrincipal(s.Principal)
		case s.NotPrincipal != nil:
			c.hasPrincipal, c.notPrincipal, c.principals = true, true, compilePrincipal(s.NotPrincipal)
		}
		for _, op := range s.Condition {
			po, err := parseOperator(op.Operator)
			path := statementPath(d, i) + ".Condition"
			if err != nil {
				return nil, &Error{Path: path, Msg: err.Error()}
			}
			for _, k := range op.Keys {
				cond, err := compileCondition(po, k.Key, k.Values, vars, childPath(childPath(path, op.Operator), k.Key))
				if err != nil {
					return nil, err
				}
				c.conds = append(c.conds, cond)
			}
		}
	}
	return p, nil
}

// AsResourcePolicy reports why p cannot be a resource-based policy: a
// statement that names no Principal or NotPrincipal (policy validate's
// MISSING_PRINCIPAL; AWS refuses to store such a policy). Evaluation reads
// such a statement as applying to no one; eval, simulate and the simulator
// API refuse the policy with this error instead.
func (p *Policy) AsResourcePolicy() error {
	for i := range p.stmts {
		if !p.stmts[i].hasPrincipal {
			return &Error{Path: statementPath(p.Doc, i), Msg: "a statement of a resource-based policy must have Principal or NotPrincipal; the policy is invalid"}
		}
	}
	return nil
}

func compileAction(a string) actionPattern {
	if a == "*" {
		return actionPattern{any: true}
	}
	svc, name, _ := strings.Cut(strings.ToLower(a), ":")
	if name == "*" {
		return actionPattern{service: svc, any: true}
	}
	return actionPattern{service: svc, name: name, wild: strings.ContainsAny(name, "*?")}
}
