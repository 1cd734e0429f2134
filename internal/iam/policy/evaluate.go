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
	// Rule is the rule of AWS's, beyond the policies' statements, that
	// shaped the decision.
	Rule Rule
	// Trust is, for a role's trust policy (Rule TrustPolicy), the trust
	// policy's statement that allowed the caller.
	Trust *StatementRef
}

// Rule is a rule of AWS's evaluation that applies to some requests only.
type Rule uint8

const (
	NoRule Rule = iota
	// NoPermissionNeeded: sts:GetCallerIdentity. "No permissions are
	// required to perform this operation. If an administrator attaches a
	// policy to your identity that explicitly denies access to the
	// sts:GetCallerIdentity action, you can still perform this operation"
	// (AWS STS API Reference, GetCallerIdentity).
	NoPermissionNeeded
	// TrustPolicy: sts:AssumeRole, AssumeRoleWithSAML,
	// AssumeRoleWithWebIdentity, TagSession or SetSourceIdentity on a role,
	// with the role's trust policy as the resource-based policy. The trust
	// policy must allow the caller explicitly, even within one account
	// (IAM User Guide, "Policy evaluation logic": role trust policies are
	// an exception); a permissions boundary of the caller must allow too,
	// even when the trust policy names the caller (IAM User Guide, "Update
	// a role trust policy", notes); and where the trust policy names only
	// the caller's account, or the caller is of another account, an
	// identity-based policy must allow as well.
	TrustPolicy
	// RootCannotAssume: the account root user cannot assume a role (AWS
	// STS API Reference, AssumeRole: "Roles may not be assumed by root
	// accounts").
	RootCannotAssume
)

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
	if len(r.Action) == len("sts:GetCallerIdentity") && strings.EqualFold(r.Action, "sts:GetCallerIdentity") {
		return Decision{Outcome: Allowed, Rule: NoPermissionNeeded}
	}
	var d Decision
	q := newQuery(r)
	q.boundary = len(s.Boundary) > 0 && r.Caller.Kind != Root
	var idAllow, rpAllow, bAllow, sAllow *compiled
	rpMatch := matchNone
	for _, p := range s.Identity {
		deny, allow, _ := p.scan(&q, false)
		if deny != nil {
			return denied(deny, IdentityBased)
		}
		if idAllow == nil {
			idAllow = allow
		}
	}
	if p := s.Resource; p != nil {
		deny, allow, m := p.scan(&q, true)
		if deny != nil {
			return denied(deny, ResourceBased)
		}
		rpAllow, rpMatch = allow, m
	}
	usesBoundary := q.boundary
	for _, p := range s.Boundary {
		deny, allow, _ := p.scan(&q, false)
		if deny != nil {
			return denied(deny, PermissionsBoundary)
		}
		if bAllow == nil {
			bAllow = allow
		}
	}
	usesSession := (len(s.Session) > 0 || r.Caller.Kind == FederatedUser) && r.Caller.Kind != Root
	for _, p := range s.Session {
		deny, allow, _ := p.scan(&q, false)
		if deny != nil {
			return denied(deny, SessionPolicy)
		}
		if sAllow == nil {
			sAllow = allow
		}
	}

	if s.Resource != nil && q.isTrust() {
		return trustDecision(&q, idAllow, rpAllow, rpMatch, bAllow, sAllow, usesBoundary, usesSession)
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
	limit(&d, bAllow, sAllow, usesBoundary, usesSession)
	return d
}

// limit applies the permissions boundary and the session policies to an
// Allow in d.
func limit(d *Decision, bAllow, sAllow *compiled, usesBoundary, usesSession bool) {
	if usesBoundary {
		if bAllow == nil {
			d.Outcome, d.Missing = ImplicitDeny, PermissionsBoundary
			return
		}
		d.BoundaryAllow = &bAllow.ref
	}
	if usesSession {
		if sAllow == nil {
			d.Outcome, d.Missing = ImplicitDeny, SessionPolicy
			return
		}
		d.SessionAllow = &sAllow.ref
	}
	d.Outcome = Allowed
}

// trustDecision decides a request on a role whose trust policy is the
// resource-based policy (Rule TrustPolicy), after no policy denied
// explicitly.
func trustDecision(q *query, idAllow, rpAllow *compiled, rpMatch principalMatch, bAllow, sAllow *compiled, usesBoundary, usesSession bool) Decision {
	d := Decision{Rule: TrustPolicy}
	c := &q.Caller
	if c.Kind == Root {
		return Decision{Outcome: ImplicitDeny, Missing: ResourceBased, Rule: RootCannotAssume}
	}
	if rpAllow == nil {
		d.Outcome, d.Missing = ImplicitDeny, ResourceBased
		if idAllow != nil {
			d.Allow, d.AllowIn = &idAllow.ref, IdentityBased
		}
		return d
	}
	d.Trust = &rpAllow.ref
	// A trust policy naming the caller itself (or the role behind its
	// session) allows on its own within the account; one naming only the
	// account delegates to identity-based policies, and across accounts
	// both sides must allow (IAM User Guide, "Cross-account policy
	// evaluation logic").
	cross := c.Account != "" && q.isARN && q.parts[4] != "" && q.parts[4] != c.Account
	if rpMatch == matchAccount || cross {
		if idAllow == nil || c.Kind == Anonymous || c.Kind == ServicePrincipal {
			d.Outcome, d.Missing = ImplicitDeny, IdentityBased
			return d
		}
		d.Allow, d.AllowIn = &idAllow.ref, IdentityBased
	} else {
		d.Allow, d.AllowIn = &rpAllow.ref, ResourceBased
	}
	if rpMatch == matchDirect && !cross {
		// Session policies do not limit what a resource-based policy
		// grants the session itself; the boundary still must allow.
		usesSession = false
	}
	limit(&d, bAllow, sAllow, usesBoundary, usesSession)
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
	// boundary is set when the caller has a permissions boundary.
	boundary bool
}

// isTrust reports whether q is a request a role's trust policy decides:
// one of the actions a trust policy grants, on an IAM role.
func (q *query) isTrust() bool {
	if !q.isARN || q.parts[2] != "iam" || !strings.HasPrefix(q.parts[5], "role/") || !strings.EqualFold(q.svc, "sts") {
		return false
	}
	switch strings.ToLower(q.op) {
	case "assumerole", "assumerolewithsaml", "assumerolewithwebidentity", "tagsession", "setsourceidentity":
		return true
	}
	return false
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
// It stops at the first Deny. In a resource-based policy a statement that
// names no principal is invalid and applies to no one.
func (p *Policy) scan(q *query, resource bool) (deny, allow *compiled, m principalMatch) {
	for i := range p.stmts {
		c := &p.stmts[i]
		if resource && !c.hasPrincipal {
			continue
		}
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
		if c.notPrincipal {
			if notPrincipalExempt(c.principals, &q.Caller, q.boundary) {
				return matchNone, false
			}
		} else if pm = matchPrincipals(c.principals, &q.Caller); pm == matchNone {
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
