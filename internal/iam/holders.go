package iam

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"batchd/internal/iam/policy"
	"batchd/internal/store"
)

// holder is an entity that policies attach to: a user, group or role.
type holder interface {
	attached() *[]string
	inline() *map[string]string
}

func (u *User) attached() *[]string         { return &u.AttachedPolicies }
func (u *User) inline() *map[string]string  { return &u.InlinePolicies }
func (g *Group) attached() *[]string        { return &g.AttachedPolicies }
func (g *Group) inline() *map[string]string { return &g.InlinePolicies }
func (r *Role) attached() *[]string         { return &r.AttachedPolicies }
func (r *Role) inline() *map[string]string  { return &r.InlinePolicies }

// holderKind describes one kind of holder for messages and limits.
type holderKind struct {
	kind    string // store kind
	label   string // "user", "group", "role"
	docKind policy.DocKind
	quota   string // quota name in LimitExceeded messages
}

var (
	userHolder  = holderKind{kindUser, "user", policy.KindInlineUser, "PoliciesPerUser"}
	groupHolder = holderKind{kindGroup, "group", policy.KindInlineGroup, "PoliciesPerGroup"}
	roleHolder  = holderKind{kindRole, "role", policy.KindInlineRole, "PoliciesPerRole"}
)

// loadHolder reads a holder by name or fails with AWS's NoSuchEntity.
func loadHolder[T any, PT interface {
	*T
	holder
}](tx store.Tx, hk holderKind, name string) (PT, error) {
	v, found, err := get[T](tx, hk.kind, nameKey(name))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, noSuchEntity("The %s with name %s cannot be found.", hk.label, name)
	}
	return PT(v), nil
}

// editHolder loads a holder, lets fn change it and stores it, in one
// transaction. A role that is service-linked cannot be changed this way.
func editHolder[T any, PT interface {
	*T
	holder
}](ctx context.Context, s *Service, hk holderKind, name string, fn func(tx store.Tx, h PT) error) error {
	return s.update(ctx, func(tx store.Tx) error {
		h, err := loadHolder[T, PT](tx, hk, name)
		if err != nil {
			return err
		}
		if r, ok := any(h).(*Role); ok && r.ServiceLinked != "" {
			return errorf(CodeUnmodifiableEntity, "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", r.Name)
		}
		if err := fn(tx, h); err != nil {
			return err
		}
		return put(tx, hk.kind, nameKey(name), h)
	})
}

func putInline[T any, PT interface {
	*T
	holder
}](ctx context.Context, s *Service, hk holderKind, name, policyName, doc string) error {
	if err := checkPolicyDocument(doc, hk.docKind, hk.label+" "+name); err != nil {
		return err
	}
	return editHolder[T, PT](ctx, s, hk, name, func(_ store.Tx, h PT) error {
		m := h.inline()
		if *m == nil {
			*m = map[string]string{}
		}
		for k := range *m {
			if strings.EqualFold(k, policyName) && k != policyName {
				delete(*m, k)
			}
		}
		(*m)[policyName] = doc
		return nil
	})
}

func getInline[T any, PT interface {
	*T
	holder
}](ctx context.Context, s *Service, hk holderKind, name, policyName string) (string, error) {
	var doc string
	err := s.view(ctx, func(tx store.Tx) error {
		h, err := loadHolder[T, PT](tx, hk, name)
		if err != nil {
			return err
		}
		for k, v := range *h.inline() {
			if strings.EqualFold(k, policyName) {
				doc = v
				return nil
			}
		}
		return noSuchEntity("The %s policy with name %s cannot be found.", hk.label, policyName)
	})
	return doc, err
}

func listInline[T any, PT interface {
	*T
	holder
}](ctx context.Context, s *Service, hk holderKind, name string) ([]string, error) {
	var names []string
	err := s.view(ctx, func(tx store.Tx) error {
		h, err := loadHolder[T, PT](tx, hk, name)
		if err != nil {
			return err
		}
		names = sortedKeys(*h.inline())
		return nil
	})
	return names, err
}

func deleteInline[T any, PT interface {
	*T
	holder
}](ctx context.Context, s *Service, hk holderKind, name, policyName string) error {
	return editHolder[T, PT](ctx, s, hk, name, func(_ store.Tx, h PT) error {
		for k := range *h.inline() {
			if strings.EqualFold(k, policyName) {
				delete(*h.inline(), k)
				return nil
			}
		}
		return noSuchEntity("The %s policy with name %s cannot be found.", hk.label, policyName)
	})
}

func attachPolicy[T any, PT interface {
	*T
	holder
}](ctx context.Context, s *Service, hk holderKind, name, policyARN string) error {
	return editHolder[T, PT](ctx, s, hk, name, func(tx store.Tx, h PT) error {
		mp, err := s.loadManaged(tx, policyARN)
		if err != nil {
			return err
		}
		if !mp.IsAttachable {
			return errorf(CodePolicyNotAttachable, "Policy %s is not attachable.", policyARN)
		}
		list := h.attached()
		if slices.Contains(*list, mp.ARN) {
			return nil
		}
		if len(*list) >= s.limits.ManagedPoliciesPerEntity {
			return limitExceeded("Cannot exceed quota for %s: %d", hk.quota, s.limits.ManagedPoliciesPerEntity)
		}
		*list = append(*list, mp.ARN)
		return nil
	})
}

func detachPolicy[T any, PT interface {
	*T
	holder
}](ctx context.Context, s *Service, hk holderKind, name, policyARN string) error {
	return editHolder[T, PT](ctx, s, hk, name, func(_ store.Tx, h PT) error {
		list := h.attached()
		i := slices.Index(*list, policyARN)
		if i < 0 {
			return noSuchEntity("Policy %s was not found.", policyARN)
		}
		*list = slices.Delete(*list, i, i+1)
		return nil
	})
}

// AttachedPolicy is a managed policy attached to an entity.
type AttachedPolicy struct {
	Name string
	ARN  string
}

func listAttached[T any, PT interface {
	*T
	holder
}](ctx context.Context, s *Service, hk holderKind, name, pathPrefix string) ([]AttachedPolicy, error) {
	var out []AttachedPolicy
	err := s.view(ctx, func(tx store.Tx) error {
		h, err := loadHolder[T, PT](tx, hk, name)
		if err != nil {
			return err
		}
		for _, a := range *h.attached() {
			pname := a[strings.LastIndexByte(a, '/')+1:]
			path := policyPathOf(a)
			if pathPrefix != "" && !strings.HasPrefix(path, pathPrefix) {
				continue
			}
			out = append(out, AttachedPolicy{Name: pname, ARN: a})
		}
		return nil
	})
	return out, err
}

// policyPathOf extracts the path of a policy ARN: arn:aws:iam::ACCT:policy/PATH/NAME.
func policyPathOf(a string) string {
	_, res, _ := strings.Cut(a, ":policy")
	if i := strings.LastIndexByte(res, '/'); i >= 0 {
		return res[:i+1]
	}
	return "/"
}

// loadManaged finds a managed policy by ARN, built-in or customer.
func (s *Service) loadManaged(tx store.Tx, arn string) (*ManagedPolicy, error) {
	if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
		if m, ok := policy.Builtin(arn); ok {
			return builtinManaged(m), nil
		}
		return nil, noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	mp, found, err := get[ManagedPolicy](tx, kindPolicy, arn)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	return mp, nil
}

// builtinManaged presents a built-in AWS managed policy as a ManagedPolicy.
func builtinManaged(m *policy.ManagedPolicy) *ManagedPolicy {
	return &ManagedPolicy{
		Name: m.Name, Path: m.Path, ARN: m.ARN, ID: "ANPA" + strings.ToUpper(fmt.Sprintf("%017x", fnv(m.Name)))[:17],
		Description: m.Description, CreateDate: m.CreateDate, UpdateDate: m.UpdateDate,
		DefaultVersion: m.DefaultVersionID, Versions: []PolicyVersion{{ID: m.DefaultVersionID, Document: m.Document, CreateDate: m.UpdateDate}},
		AWS: true, IsAttachable: m.IsAttachable,
	}
}

// fnv hashes a name into a stable ID for built-in policies.
func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
