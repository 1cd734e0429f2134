package iam

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"batchd/internal/iam/policy"
	"batchd/internal/store"
)

// Env is what a request says about itself beyond its parameters.
type Env struct {
	SourceIP string
	Secure   bool   // TLS
	Region   string // the region the request was signed for
	Time     time.Time
}

// Check is one authorization question: may the principal do Action on
// Resource, with the operation's condition keys (aws:RequestTag/...,
// aws:TagKeys, aws:ResourceTag/..., iam:PassedToService, ...).
type Check struct {
	Action   string
	Resource string
	Keys     map[string][]string
}

// Verdict is the engine's decision with the request it was made for, so that
// the caller can word an AccessDenied message and audit it.
type Verdict struct {
	policy.Decision
	Request *policy.Request
}

// Allowed reports whether the decision allows.
func (v *Verdict) Allowed() bool { return v.Outcome == policy.Allowed }

// cachedCaller is a principal's policies as of an IAM generation.
type cachedCaller struct {
	gen  uint64
	set  *policy.Set
	tags map[string]string // principal tags (role or user tags, then session tags)
}

// Authorize decides c for p. The account root is allowed everything in the
// account; everyone else gets the engine's answer over their policies.
func (s *Service) Authorize(ctx context.Context, p *Principal, env Env, c Check) (*Verdict, error) {
	cc, err := s.callerPolicies(ctx, p)
	if err != nil {
		return nil, err
	}
	req := s.request(p, cc, env, c)
	d := cc.set.Evaluate(req)
	return &Verdict{Decision: d, Request: req}, nil
}

// request builds the engine's request: the operation's keys plus the global
// keys AWS puts in every request context (IAM User Guide, "AWS global
// condition context keys").
func (s *Service) request(p *Principal, cc *cachedCaller, env Env, c Check) *policy.Request {
	caller := policy.Caller{ARN: p.ARN, Kind: p.Kind, Partition: s.partition, Account: p.Account, Name: p.UserName}
	if p.Kind == policy.AssumedRole {
		caller.Name, caller.Session = p.RoleName, p.Session.SessionName
		caller.RoleARN = "arn:" + s.partition + ":iam::" + s.account + ":role/" + p.RoleName
	}
	if p.Kind == policy.FederatedUser {
		caller.Name = p.Session.SessionName
	}
	ctx := policy.NewContext()
	for k, v := range c.Keys {
		ctx.Set(k, v...)
	}
	for k, v := range cc.tags {
		ctx.Set("aws:PrincipalTag/"+k, v)
	}
	principalARN := p.ARN
	if p.Kind == policy.AssumedRole {
		principalARN = p.RoleARN
	}
	ctx.Set("aws:PrincipalArn", principalARN)
	ctx.Set("aws:PrincipalAccount", p.Account)
	ctx.Set("aws:PrincipalType", p.Kind.String())
	ctx.Set("aws:userid", p.UserID)
	if p.Kind == policy.User {
		ctx.Set("aws:username", p.UserName)
	}
	now := env.Time
	if now.IsZero() {
		now = s.Now()
	}
	ctx.Set("aws:CurrentTime", now.UTC().Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	ctx.Set("aws:SecureTransport", strconv.FormatBool(env.Secure))
	if env.SourceIP != "" {
		if a, err := netip.ParseAddr(env.SourceIP); err == nil {
			ctx.Set("aws:SourceIp", a.Unmap().String())
		}
	}
	if env.Region != "" {
		ctx.Set("aws:RequestedRegion", env.Region)
	}
	if p.Session != nil {
		// Present only for temporary credentials (IAM User Guide,
		// aws:TokenIssueTime and aws:MultiFactorAuthPresent).
		ctx.Set("aws:TokenIssueTime", p.Session.Issued.UTC().Format(time.RFC3339))
		ctx.Set("aws:MultiFactorAuthPresent", "false")
		if p.Session.SourceIdentity != "" {
			ctx.Set("aws:SourceIdentity", p.Session.SourceIdentity)
		}
	}
	return &policy.Request{Caller: caller, Action: c.Action, Resource: c.Resource, Context: ctx}
}

// callerPolicies returns p's policy set, from the cache while no IAM write
// has happened since it was built.
func (s *Service) callerPolicies(ctx context.Context, p *Principal) (*cachedCaller, error) {
	gen := s.gen.Load()
	key := p.AccessKeyID + "|" + p.ARN
	s.mu.RLock()
	cc := s.callers[key]
	s.mu.RUnlock()
	if cc != nil && cc.gen == gen {
		return cc, nil
	}
	cc = &cachedCaller{gen: gen, set: &policy.Set{}, tags: map[string]string{}}
	err := s.view(ctx, func(tx store.Tx) error { return s.gather(tx, p, cc) })
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.callers) > 10000 {
		clear(s.callers)
	}
	s.callers[key] = cc
	s.mu.Unlock()
	return cc, nil
}

// gather collects p's policies: identity-based (own and groups', or the
// role's), boundary and session policies, and its principal tags.
func (s *Service) gather(tx store.Tx, p *Principal, cc *cachedCaller) error {
	set := cc.set
	addInline := func(owner string, docs map[string]string) error {
		for name, doc := range docs {
			cp, err := s.compile(owner+" inline policy "+name, doc)
			if err != nil {
				return err
			}
			set.Identity = append(set.Identity, cp)
		}
		return nil
	}
	addManaged := func(arns []string) error {
		for _, a := range arns {
			cp, err := s.managedPolicy(tx, a)
			if err != nil {
				return err
			}
			if cp != nil {
				set.Identity = append(set.Identity, cp)
			}
		}
		return nil
	}
	boundary := func(arn string) error {
		if arn == "" {
			return nil
		}
		cp, err := s.managedPolicy(tx, arn)
		if err != nil {
			return err
		}
		if cp == nil {
			// A boundary whose policy is gone allows nothing.
			cp, _ = s.compile("missing boundary "+arn, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`)
		}
		set.Boundary = append(set.Boundary, cp)
		return nil
	}
	switch {
	case p.Kind == policy.Root:
		return nil
	case p.Kind == policy.AssumedRole:
		r, found, err := get[Role](tx, kindRole, nameKey(p.RoleName))
		if err != nil || !found {
			return err // a deleted role's sessions have no policies
		}
		for _, t := range r.Tags {
			cc.tags[t.Key] = t.Value
		}
		if err := addInline("role "+r.Name, r.InlinePolicies); err != nil {
			return err
		}
		if err := addManaged(r.AttachedPolicies); err != nil {
			return err
		}
		if err := boundary(r.Boundary); err != nil {
			return err
		}
	case p.UserName != "":
		u, found, err := get[User](tx, kindUser, nameKey(p.UserName))
		if err != nil || !found {
			return err
		}
		for _, t := range u.Tags {
			cc.tags[t.Key] = t.Value
		}
		if err := addInline("user "+u.Name, u.InlinePolicies); err != nil {
			return err
		}
		if err := addManaged(u.AttachedPolicies); err != nil {
			return err
		}
		for _, gname := range u.Groups {
			g, found, err := get[Group](tx, kindGroup, nameKey(gname))
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			if err := addInline("group "+g.Name, g.InlinePolicies); err != nil {
				return err
			}
			if err := addManaged(g.AttachedPolicies); err != nil {
				return err
			}
		}
		if err := boundary(u.Boundary); err != nil {
			return err
		}
	}
	if sess := p.Session; sess != nil && (sess.Kind == "AssumedRole" || sess.Kind == "FederatedUser") {
		for i, doc := range sess.Policies {
			cp, err := s.compile("session policy "+strconv.Itoa(i), doc)
			if err != nil {
				return err
			}
			set.Session = append(set.Session, cp)
		}
		for _, a := range sess.PolicyARNs {
			cp, err := s.managedPolicy(tx, a)
			if err != nil {
				return err
			}
			if cp != nil {
				set.Session = append(set.Session, cp)
			}
		}
		for _, t := range sess.Tags {
			cc.tags[t.Key] = t.Value
		}
	}
	return nil
}

// managedPolicy compiles the default version of a managed policy (built-in
// or customer); nil when it does not exist.
func (s *Service) managedPolicy(tx store.Tx, arn string) (*policy.Policy, error) {
	if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
		m, ok := policy.Builtin(arn)
		if !ok {
			return nil, nil
		}
		return m.Policy, nil
	}
	mp, found, err := get[ManagedPolicy](tx, kindPolicy, arn)
	if err != nil || !found {
		return nil, err
	}
	return s.compile(mp.ARN, mp.Default())
}

// compile compiles a stored document, caching by text. Stored documents
// were validated when written, so an error here means a damaged store.
func (s *Service) compile(name, doc string) (*policy.Policy, error) {
	s.mu.RLock()
	cp := s.compiled[name+"\x00"+doc]
	s.mu.RUnlock()
	if cp != nil {
		return cp, nil
	}
	cp, err := policy.Load(name, []byte(doc))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.compiled) > 10000 {
		clear(s.compiled)
	}
	s.compiled[name+"\x00"+doc] = cp
	s.mu.Unlock()
	return cp, nil
}
