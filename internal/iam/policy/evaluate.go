package policy

import (
	"strings"

	"batchd/internal/arn"
)

// PolicyType is where a policy applies in evaluation.
type PolicyType uint8

// The policy types evaluated within one account.
const (
	NoPolicyType PolicyType = iota
	IdentityBased
	ResourceBased
	PermissionsBoundary
	SessionPolicy
)

func (t PolicyType) String() string {
	return [...]string{"", "identity-based policy", "resource-based policy", "permissions boundary", "session policy"}[t]
}

// Outcome is the result of an evaluation.
type Outcome string

// The three outcomes of AWS policy evaluation.
const (
	Allowed      Outcome = "Allow"
	ExplicitDeny Outcome = "ExplicitDeny"
	ImplicitDeny Outcome = "ImplicitDeny"
)

// Set is every policy that applies to one caller: its identity-based policies
// (managed and inline, its own and its groups', or its role's), the
// documents of its permissions boundary (any Allow among them is the
// boundary's Allow), the session policies of its session (inline and managed:
// any Allow among them), and the resource's resource-based policy. A Set is
// read-only once built and safe for concurrent use.
type Set struct {
	Identity []*Policy
	Boundary []*Policy
	Session  []*Policy
	Resource *Policy
}

// Request is what is evaluated: who does what to which resource, in what
// context. Build it once; Evaluate only reads it.
type Request struct {
	Caller   Caller
	Action   string // service:Operation, any case
	Resource string // an ARN, or "*" for actions without resource-level permissions
	Context  *Context
}

// Decision is an evaluation's outcome with the statements that led to it.
// Every pointer refers into the compiled policies: a Decision costs no
// allocation.
type Decision struct {
	Outcome Outcome
	// Deny is the statement that denied explicitly, DenyIn its policy type.
	Deny   *StatementRef
	DenyIn PolicyType
	// Allow is the identity-based or resource-based statement that allowed,
	// AllowIn its policy type.
	Allow   *StatementRef
	AllowIn PolicyType
	// BoundaryAllow and SessionAllow are the statements of the permissions
	// boundary and the session policies that let the Allow through.
	BoundaryAllow *StatementRef
	SessionAllow  *StatementRef
	// Missing is, for an implicit deny, the policy type that lacked an Allow.
	Missing PolicyType
	// Root is set when the account root's own access decided.
	Root bool
	// ResourceAlone is set when a resource-based policy naming the caller
	// itself allowed regardless of boundary and session policies.
	ResourceAlone bool
}

// Evaluate decides r against the policies in s, as AWS's "Policy evaluation
// logic" for a request within one account describes:
//
//  1. An explicit Deny in any applicable policy — identity-based, resource-
//     based, permissions boundary or session policy — denies.
//  2. The account root is allowed everything in its own account.
//  3. A resource-based policy whose Principal names the caller itself (user
//     ARN, role session ARN, federated user ARN, service, or "*") allows on its
//     own: an implicit deny in a boundary or session policy does not limit it.
//  4. Otherwise an Allow must come from an identity-based policy or from a
//     resource-based policy naming the caller's role (one naming only the
//     account delegates to identity-based policies), and then a permissions
//     boundary, if any, and session policies, if any, must each allow too. A
//     federated user session always has session policies: with none it has
//     no permissions.
//
// Evaluate is pure, allocates nothing and is safe for concurrent use.
func (s *Set) Evaluate(r *Request) Decision {
	var d Decision
	q := newQuery(r)
	var idAllow, rpAllow, bAllow, sAllow *compiled
	rpMatch := matchNone
	for _, p := range s.Identity {
		deny, allow, _ := p.scan(&q)
		if deny != nil {
			return denied(deny, IdentityBased)
		}
		if idAllow == nil {
			idAllow = allow
		}
	}
	if p := s.Resource; p != nil {
		deny, allow, m := p.scan(&q)
		if deny != nil {
			return denied(deny, ResourceBased)
		}
		rpAllow, rpMatch = allow, m
	}
	usesBoundary := len(s.Boundary) > 0 && r.Caller.Kind != Root
	for _, p := range s.Boundary {
		deny, allow, _ := p.scan(&q)
		if deny != nil {
			return denied(deny, PermissionsBoundary)
		}
		if bAllow == nil {
			bAllow = allow
		}
	}
	usesSession := (len(s.Session) > 0 || r.Caller.Kind == FederatedUser) && r.Caller.Kind != Root
	for _, p := range s.Session {
		deny, allow, _ := p.scan(&q)
		if deny != nil {
			return denied(deny, SessionPolicy)
		}
		if sAllow == nil {
			sAllow = allow
		}
	}

	if r.Caller.Kind == Root && sameAccount(r.Caller.Account, r.Resource) {
		d.Outcome, d.Root = Allowed, true
		return d
	}
	if rpAllow != nil && rpMatch == matchDirect {
		d.Outcome, d.Allow, d.AllowIn, d.ResourceAlone = Allowed, &rpAllow.ref, ResourceBased, true
		return d
	}
	switch {
	case idAllow != nil && r.Caller.Kind != Anonymous && r.Caller.Kind != ServicePrincipal:
		d.Allow, d.AllowIn = &idAllow.ref, IdentityBased
	case rpAllow != nil && rpMatch == matchRole:
		d.Allow, d.AllowIn = &rpAllow.ref, ResourceBased
	default:
		d.Outcome, d.Missing = ImplicitDeny, IdentityBased
		if r.Caller.Kind == Anonymous || r.Caller.Kind == ServicePrincipal {
			d.Missing = ResourceBased
		}
		return d
	}
	if usesBoundary {
		if bAllow == nil {
			return Decision{Outcome: ImplicitDeny, Missing: PermissionsBoundary, Allow: d.Allow, AllowIn: d.AllowIn}
		}
		d.BoundaryAllow = &bAllow.ref
	}
	if usesSession {
		if sAllow == nil {
			return Decision{Outcome: ImplicitDeny, Missing: SessionPolicy, Allow: d.Allow, AllowIn: d.AllowIn, BoundaryAllow: d.BoundaryAllow}
		}
		d.SessionAllow = &sAllow.ref
	}
	d.Outcome = Allowed
	return d
}

func denied(c *compiled, t PolicyType) Decision {
	return Decision{Outcome: ExplicitDeny, Deny: &c.ref, DenyIn: t}
}

// sameAccount reports whether resource belongs to account; a resource
// without an account ("*", IAM's global names) is taken to be the caller's,
// and so are AWS managed policies (account "aws"), which every account
// reads as its own.
func sameAccount(account, resource string) bool {
	parts, ok := arn.Split(resource)
	return !ok || parts[4] == "" || parts[4] == account || parts[4] == "aws"
}

// query is a request taken apart once per evaluation: the action's service
// and name and the resource's ARN parts.
type query struct {
	*Request
	svc, op string
	parts   [6]string
	isARN   bool
}

func newQuery(r *Request) query {
	q := query{Request: r}
	q.svc, q.op = splitAction(r.Action)
	q.parts, q.isARN = arn.Split(r.Resource)
	return q
}

func splitAction(a string) (svc, op string) {
	i := strings.IndexByte(a, ':')
	if i < 0 {
		return "", a
	}
	return a[:i], a[i+1:]
}

// scan finds the first matching Deny and the first matching Allow of p
// (with, for an Allow naming principals, how closely it names the caller).
// It stops at the first Deny.
func (p *Policy) scan(q *query) (deny, allow *compiled, m principalMatch) {
	for i := range p.stmts {
		c := &p.stmts[i]
		pm, ok := c.matches(q)
		if !ok {
			continue
		}
		if c.ref.Effect == Deny {
			return c, allow, m
		}
		if allow == nil || pm > m {
			allow, m = c, pm
		}
	}
	return nil, allow, m
}

// matches reports whether statement c applies to r and, when c has a
// Principal element, how closely it names the caller.
func (c *compiled) matches(q *query) (principalMatch, bool) {
	if c.matchAction(q.svc, q.op) == c.notAction {
		return matchNone, false
	}
	if c.resources != nil && c.matchResource(q) == c.notResource {
		return matchNone, false
	}
	pm := matchDirect
	if c.hasPrincipal {
		pm = matchPrincipals(c.principals, &q.Caller)
		if c.notPrincipal {
			if pm != matchNone {
				return matchNone, false
			}
			pm = matchDirect
		} else if pm == matchNone {
			return matchNone, false
		}
	}
	for i := range c.conds {
		if !c.conds[i].eval(q.Context) {
			return matchNone, false
		}
	}
	return pm, true
}

func (c *compiled) matchAction(svc, op string) bool {
	for i := range c.actions {
		a := &c.actions[i]
		if a.service == "" {
			return true // "*"
		}
		if !strings.EqualFold(a.service, svc) {
			continue
		}
		if a.any || (a.wild && arn.GlobFold(a.name, op)) || (!a.wild && strings.EqualFold(a.name, op)) {
			return true
		}
	}
	return false
}

func (c *compiled) matchResource(q *query) bool {
	for i := range c.resources {
		if c.resources[i].matchParts(q) {
			return true
		}
	}
	return false
}

// ResourceAllows reports whether p, read as a resource-based policy, has an
// Allow that applies to r — naming the caller in any way, its account
// included — and no Deny that does. A role's trust policy must allow the
// caller this way, even within one account (IAM User Guide, "Policy
// evaluation logic": role trust policies are an exception to the union of
// identity-based and resource-based policies).
func (p *Policy) ResourceAllows(r *Request) bool {
	q := newQuery(r)
	deny, allow, _ := p.scan(&q)
	return deny == nil && allow != nil
}
