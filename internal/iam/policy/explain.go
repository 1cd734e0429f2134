package policy

import (
	"fmt"
	"sort"
)

// Reasons says, in plain words, why the decision came out as it did: which
// policy and statement allowed or denied, or which policy type lacked an
// Allow. Policies are called by their Name.
func (d *Decision) Reasons() []string { return d.ReasonsNamed(nil) }

// ReasonsNamed is Reasons with the policies called by name(policy, type),
// for callers that share one compiled policy under several names (policy
// eval caches documents by their text).
func (d *Decision) ReasonsNamed(name func(*Policy, PolicyType) string) []string {
	ref := func(r *StatementRef, t PolicyType) string {
		n := r.Policy.Name
		if name != nil {
			n = name(r.Policy, t)
		}
		if r.Sid != "" {
			return fmt.Sprintf("%s statement %q", n, r.Sid)
		}
		return fmt.Sprintf("%s statement #%d", n, r.Index)
	}
	var out []string
	switch d.Rule {
	case NoPermissionNeeded:
		return []string{"allowed: sts:GetCallerIdentity needs no permission, and an explicit deny does not apply to it (AWS STS API Reference, GetCallerIdentity)"}
	case RootCannotAssume:
		return []string{"denied: the account root user cannot assume a role (AWS STS API Reference, AssumeRole)"}
	}
	trust := d.Rule == TrustPolicy
	switch d.Outcome {
	case ExplicitDeny:
		out = append(out, fmt.Sprintf("explicitly denied by %s in %s %s", ref(d.Deny, d.DenyIn), article(d.DenyIn), d.DenyIn))
		if st := d.Deny.Policy.Doc.Statements[d.Deny.Index]; st.NotPrincipal != nil {
			out = append(out, "its NotPrincipal does not exempt the caller: only a caller whose account and whose own ARN (user, or role or session) are both listed is exempt, and never one with a permissions boundary (IAM User Guide, \"AWS JSON policy elements: NotPrincipal\")")
		}
	case ImplicitDeny:
		if trust && d.Trust != nil {
			out = append(out, fmt.Sprintf("trusted by %s in the role's trust policy", ref(d.Trust, ResourceBased)))
		}
		if d.Allow != nil && (!trust || d.AllowIn == IdentityBased) {
			out = append(out, fmt.Sprintf("allowed by %s in %s %s", ref(d.Allow, d.AllowIn), article(d.AllowIn), d.AllowIn))
		}
		if d.BoundaryAllow != nil {
			out = append(out, fmt.Sprintf("within the permissions boundary: %s", ref(d.BoundaryAllow, PermissionsBoundary)))
		}
		switch {
		case trust && d.Missing == ResourceBased:
			out = append(out, "implicitly denied: the role's trust policy does not allow the caller; a trust policy must allow explicitly, and an identity-based Allow alone is not enough (IAM User Guide, \"Policy evaluation logic\")")
		case trust && d.Missing == IdentityBased:
			out = append(out, "implicitly denied: the trust policy names only the caller's account (or the caller is of another account), so an identity-based policy must allow the action too, and none does")
		case trust && d.Missing == PermissionsBoundary:
			out = append(out, "implicitly denied: no permissions boundary allows the action; the caller's boundary must allow it even when the trust policy names the caller (IAM User Guide, \"Update a role trust policy\")")
		default:
			out = append(out, fmt.Sprintf("implicitly denied: no %s allows the action", d.Missing))
		}
	case Allowed:
		switch {
		case d.Root:
			out = append(out, "allowed: the account root user has full access to its own account")
		case trust:
			out = append(out, fmt.Sprintf("trusted by %s in the role's trust policy", ref(d.Trust, ResourceBased)))
			if d.AllowIn == IdentityBased {
				out = append(out, fmt.Sprintf("allowed by %s in an identity-based policy", ref(d.Allow, d.AllowIn)))
			}
		case d.ResourceAlone:
			out = append(out, fmt.Sprintf("allowed by %s in a resource-based policy that names the caller", ref(d.Allow, ResourceBased)))
		default:
			out = append(out, fmt.Sprintf("allowed by %s in %s %s", ref(d.Allow, d.AllowIn), article(d.AllowIn), d.AllowIn))
		}
		if d.BoundaryAllow != nil {
			out = append(out, fmt.Sprintf("within the permissions boundary: %s", ref(d.BoundaryAllow, PermissionsBoundary)))
		}
		if d.SessionAllow != nil {
			out = append(out, fmt.Sprintf("within the session policy: %s", ref(d.SessionAllow, SessionPolicy)))
		}
	}
	return out
}

// Message is the AccessDenied message AWS gives for this decision, e.g. "User:
// ARN is not authorized to perform: batch:SubmitJob on resource: ARN because no
// identity-based policy allows the batch:SubmitJob action". It is empty for an
// Allow.
func (d *Decision) Message(r *Request) string {
	who := r.Caller.ARN
	if who == "" {
		who = "anonymous"
	}
	head := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", who, r.Action, r.Resource)
	switch {
	case d.Outcome == Allowed:
		return ""
	case d.Rule == TrustPolicy || d.Rule == RootCannotAssume:
		// STS words a refused AssumeRole without a reason (AWS STS API
		// Reference, AssumeRole errors; observed answers).
		return head
	}
	switch d.Outcome {
	case ExplicitDeny:
		return fmt.Sprintf("%s with an explicit deny in %s %s", head, article(d.DenyIn), d.DenyIn)
	case ImplicitDeny:
		return fmt.Sprintf("%s because no %s allows the %s action", head, d.Missing, r.Action)
	}
	return ""
}

func article(t PolicyType) string {
	if t == IdentityBased {
		return "an"
	}
	return "a"
}

// Match is one statement that applies to a request, for explanations and
// for SimulatePrincipalPolicy's MatchedStatements.
type Match struct {
	Type      PolicyType
	Statement *StatementRef
}

// Explanation is a decision with every statement that applied to the request
// and the condition keys the applicable statements asked for but the context
// lacked.
type Explanation struct {
	Decision
	Matched       []Match
	MissingValues []string
}

// Explain evaluates r like Evaluate and also lists every matching statement
// and the missing context keys. It allocates; use it to explain, not to
// decide on the hot path.
func (s *Set) Explain(r *Request) Explanation {
	e := Explanation{Decision: s.Evaluate(r)}
	q := newQuery(r)
	missing := map[string]bool{}
	visit := func(p *Policy, t PolicyType) {
		if p == nil {
			return
		}
		for i := range p.stmts {
			c := &p.stmts[i]
			if c.matchAction(q.svc, q.op) == c.notAction {
				continue
			}
			if c.resources != nil && c.matchResource(&q) == c.notResource {
				continue
			}
			for _, k := range c.conditionKeys() {
				if !r.Context.Has(k) {
					missing[k] = true
				}
			}
			if _, ok := c.matches(&q); ok {
				e.Matched = append(e.Matched, Match{Type: t, Statement: &c.ref})
			}
		}
	}
	for _, p := range s.Identity {
		visit(p, IdentityBased)
	}
	visit(s.Resource, ResourceBased)
	for _, p := range s.Boundary {
		visit(p, PermissionsBoundary)
	}
	for _, p := range s.Session {
		visit(p, SessionPolicy)
	}
	for k := range missing {
		e.MissingValues = append(e.MissingValues, k)
	}
	sort.Strings(e.MissingValues)
	return e
}

// conditionKeys lists the context keys c's conditions and variables read,
// as written in the policy.
func (c *compiled) conditionKeys() []string {
	d := c.ref.Policy.Doc.Statements[c.ref.Index]
	var keys []string
	for _, op := range d.Condition {
		for _, k := range op.Keys {
			keys = append(keys, k.Key)
		}
	}
	for i := range c.conds {
		for _, p := range c.conds[i].strs {
			keys = append(keys, p.varKeys()...)
		}
	}
	return keys
}

func (p *pattern) varKeys() []string {
	var out []string
	for _, t := range p.toks {
		if t.kind == tokVar && !t.hasDef {
			out = append(out, t.text)
		}
	}
	return out
}
