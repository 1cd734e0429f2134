package policy

import (
	"fmt"
	"strings"
)

// Parse reads a policy document. It checks the grammar AWS accepts for every
// policy type: known elements only, no duplicate keys, strings or string lists
// where AWS allows either, Effect present, exactly one of Action/NotAction, at
// most one of Resource/NotResource and of Principal/NotPrincipal, unique Sids.
// Requirements that depend on where the policy is used (an identity policy needs
// a Resource and must not name a Principal) are checked by Validate.
func Parse(data []byte) (*Document, error) {
	root, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	return parseDocument(root)
}

func parseDocument(root *node) (*Document, error) {
	if root.kind != jsonObject {
		return nil, typeError(root, "object")
	}
	d := &Document{}
	var stmts *node
	for _, m := range root.members {
		switch m.key {
		case "Version":
			s, err := stringValue(m.val)
			if err != nil {
				return nil, err
			}
			if s != Version2012 && s != Version2008 {
				return nil, &Error{Path: m.val.path, Msg: fmt.Sprintf("unsupported policy language version %q: use %q", s, Version2012)}
			}
			d.Version = s
		case "Id":
			s, err := stringValue(m.val)
			if err != nil {
				return nil, err
			}
			d.ID = s
		case "Statement":
			stmts = m.val
		default:
			return nil, unknownElement(m)
		}
	}
	if stmts == nil {
		return nil, &Error{Path: "$", Msg: "missing required element Statement"}
	}
	switch stmts.kind {
	case jsonObject:
		d.singleStatement = true
		s, err := parseStatement(stmts)
		if err != nil {
			return nil, err
		}
		d.Statements = []Statement{s}
	case jsonArray:
		if len(stmts.elems) == 0 {
			return nil, &Error{Path: stmts.path, Msg: "Statement must contain at least one statement"}
		}
		d.Statements = make([]Statement, 0, len(stmts.elems))
		for _, e := range stmts.elems {
			s, err := parseStatement(e)
			if err != nil {
				return nil, err
			}
			d.Statements = append(d.Statements, s)
		}
	default:
		return nil, typeError(stmts, "object or array of objects")
	}
	seen := map[string]int{}
	for i, s := range d.Statements {
		if s.Sid == "" {
			continue
		}
		if j, dup := seen[s.Sid]; dup {
			return nil, &Error{Path: statementPath(d, i) + ".Sid", Msg: fmt.Sprintf("statement IDs (SID) in a single policy must be unique: %q is also used by statement %d", s.Sid, j)}
		}
		seen[s.Sid] = i
	}
	return d, nil
}

func statementPath(d *Document, i int) string {
	if d.singleStatement {
		return "$.Statement"
	}
	return fmt.Sprintf("$.Statement[%d]", i)
}

func parseStatement(n *node) (Statement, error) {
	var s Statement
	if n.kind != jsonObject {
		return s, typeError(n, "object")
	}
	var err error
	for _, m := range n.members {
		switch m.key {
		case "Sid":
			s.Sid, err = stringValue(m.val)
		case "Effect":
			var e string
			e, err = stringValue(m.val)
			if err == nil && e != string(Allow) && e != string(Deny) {
				err = &Error{Path: m.val.path, Msg: fmt.Sprintf("Effect must be \"Allow\" or \"Deny\", not %q", e)}
			}
			s.Effect = Effect(e)
		case "Action":
			s.Action, err = actionList(m.val)
		case "NotAction":
			s.NotAction, err = actionList(m.val)
		case "Resource":
			s.Resource, err = stringList(m.val)
		case "NotResource":
			s.NotResource, err = stringList(m.val)
		case "Principal":
			s.Principal, err = parsePrincipal(m.val)
		case "NotPrincipal":
			s.NotPrincipal, err = parsePrincipal(m.val)
		case "Condition":
			s.Condition, err = parseCondition(m.val)
		default:
			err = unknownElement(m)
		}
		if err != nil {
			return s, err
		}
	}
	switch {
	case s.Effect == "":
		return s, &Error{Path: n.path, Msg: "missing required element Effect"}
	case s.Action == nil && s.NotAction == nil:
		return s, &Error{Path: n.path, Msg: "statement must contain Action or NotAction"}
	case s.Action != nil && s.NotAction != nil:
		return s, &Error{Path: n.path, Msg: "statement must not contain both Action and NotAction"}
	case s.Resource != nil && s.NotResource != nil:
		return s, &Error{Path: n.path, Msg: "statement must not contain both Resource and NotResource"}
	case s.Principal != nil && s.NotPrincipal != nil:
		return s, &Error{Path: n.path, Msg: "statement must not contain both Principal and NotPrincipal"}
	}
	return s, nil
}

func unknownElement(m member) error {
	return &Error{Path: m.val.path, Msg: fmt.Sprintf("unknown element %q", m.key)}
}

func typeError(n *node, want string) error {
	return &Error{Path: n.path, Msg: fmt.Sprintf("must be %s, not %s", want, n.kind)}
}

func stringValue(n *node) (string, error) {
	if n.kind != jsonString {
		return "", typeError(n, "a string")
	}
	return n.text, nil
}

// stringList reads a string or a non-empty array of strings.
func stringList(n *node) ([]string, error) {
	switch n.kind {
	case jsonString:
		return []string{n.text}, nil
	case jsonArray:
		if len(n.elems) == 0 {
			return nil, &Error{Path: n.path, Msg: "must not be an empty list"}
		}
		out := make([]string, len(n.elems))
		for i, e := range n.elems {
			if e.kind != jsonString {
				return nil, typeError(e, "a string")
			}
			out[i] = e.text
		}
		return out, nil
	}
	return nil, typeError(n, "a string or an array of strings")
}

func actionList(n *node) ([]string, error) {
	acts, err := stringList(n)
	if err != nil {
		return nil, err
	}
	for i, a := range acts {
		if a == "*" {
			continue
		}
		svc, name, ok := strings.Cut(a, ":")
		p := n.path
		if n.kind == jsonArray {
			p = n.elems[i].path
		}
		if !ok || svc == "" || name == "" {
			return nil, &Error{Path: p, Msg: fmt.Sprintf("action %q must be \"*\" or prefixed by a service, e.g. batch:SubmitJob", a)}
		}
		if strings.ContainsAny(svc, "*?") {
			return nil, &Error{Path: p, Msg: fmt.Sprintf("action %q: the service prefix must not contain wildcards", a)}
		}
	}
	return acts, nil
}

// principalTypes are the keys AWS accepts inside a Principal object.
var principalTypes = []string{"AWS", "Service", "Federated", "CanonicalUser"}

func parsePrincipal(n *node) (*Principal, error) {
	switch n.kind {
	case jsonString:
		if n.text != "*" {
			return nil, &Error{Path: n.path, Msg: fmt.Sprintf("a principal given as a string must be \"*\", not %q; use {\"AWS\": %q}", n.text, n.text)}
		}
		return &Principal{Wildcard: true}, nil
	case jsonObject:
		if len(n.members) == 0 {
			return nil, &Error{Path: n.path, Msg: "must name at least one principal"}
		}
		p := &Principal{}
		for _, m := range n.members {
			known := false
			for _, t := range principalTypes {
				known = known || m.key == t
			}
			if !known {
				return nil, &Error{Path: m.val.path, Msg: fmt.Sprintf("unknown principal type %q: use AWS, Service, Federated or CanonicalUser", m.key)}
			}
			vals, err := stringList(m.val)
			if err != nil {
				return nil, err
			}
			p.Entries = append(p.Entries, PrincipalEntry{Type: m.key, Values: vals})
		}
		return p, nil
	}
	return nil, typeError(n, "\"*\" or an object")
}

func parseCondition(n *node) ([]ConditionOperator, error) {
	if n.kind != jsonObject {
		return nil, typeError(n, "an object")
	}
	var ops []ConditionOperator
	for _, m := range n.members {
		if m.val.kind != jsonObject {
			return nil, typeError(m.val, "an object of condition keys")
		}
		if len(m.val.members) == 0 {
			return nil, &Error{Path: m.val.path, Msg: "condition operator must name at least one key"}
		}
		op := ConditionOperator{Operator: m.key}
		for _, km := range m.val.members {
			vals, err := conditionValues(km.val)
			if err != nil {
				return nil, err
			}
			op.Keys = append(op.Keys, ConditionKey{Key: km.key, Values: vals})
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func conditionValues(n *node) ([]string, error) {
	scalar := func(e *node) (string, error) {
		switch e.kind {
		case jsonString, jsonNumber, jsonBool:
			return e.text, nil
		}
		return "", typeError(e, "a string, number or boolean")
	}
	if n.kind != jsonArray {
		v, err := scalar(n)
		if err != nil {
			return nil, err
		}
		return []string{v}, nil
	}
	if len(n.elems) == 0 {
		return nil, &Error{Path: n.path, Msg: "must not be an empty list"}
	}
	out := make([]string, len(n.elems))
	for i, e := range n.elems {
		v, err := scalar(e)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
