package iam

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"batchd/internal/iam/policy"
	"batchd/internal/store"
)

// CreatePolicyInput is CreatePolicy's input.
type CreatePolicyInput struct {
	Name        string
	Path        string
	Description string
	Document    string
	Tags        []Tag
}

// PolicyInfo is a managed policy with how the account uses it, as GetPolicy
// and ListPolicies report it.
type PolicyInfo struct {
	*ManagedPolicy
	AttachmentCount               int // users, groups and roles it is attached to
	PermissionsBoundaryUsageCount int // users and roles it is the boundary of
}

// PolicyVersionInfo is one version of a managed policy as the version
// operations report it.
type PolicyVersionInfo struct {
	PolicyVersion
	IsDefaultVersion bool
}

// ListPoliciesInput is ListPolicies' input.
type ListPoliciesInput struct {
	Scope             string // All (also ""), AWS or Local
	OnlyAttached      bool
	PathPrefix        string
	PolicyUsageFilter string // PermissionsPolicy, PermissionsBoundary or ""
	Page              Page
}

// PolicyEntity is a user, group or role that uses a managed policy.
type PolicyEntity struct {
	Name string
	ID   string
}

// PolicyEntities is ListEntitiesForPolicy's answer: one page of the
// entities, groups first, then users, then roles, each by name.
type PolicyEntities struct {
	Groups    []PolicyEntity
	Users     []PolicyEntity
	Roles     []PolicyEntity
	Marker    string
	Truncated bool
}

// isAWSPolicyARN reports whether arn names an AWS managed policy
// (arn:PARTITION:iam::aws:policy/...), which nobody can change.
func isAWSPolicyARN(arn string) bool {
	return strings.HasPrefix(arn, "arn:") && strings.Contains(arn, ":iam::aws:policy/")
}

// errAWSManagedPolicy refuses a write to an AWS managed policy ("AWS managed
// policies cannot be edited", IAM User Guide, "Edit IAM policies").
func errAWSManagedPolicy(arn string) *Error {
	return errorf(CodeUnmodifiableEntity, "Cannot perform the operation on the AWS managed policy %s - AWS managed policies are only modifiable by AWS.", arn)
}

func policyNotFound(arn string) *Error { return noSuchEntity("Policy %s was not found.", arn) }

func policyVersionNotFound(arn, version string) *Error {
	return noSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, version)
}

// findPolicy reads a managed policy, built-in or customer, for the
// operations that read one.
func (s *Service) findPolicy(tx store.Tx, arn string) (*ManagedPolicy, error) {
	if isAWSPolicyARN(arn) {
		if m, ok := policy.Builtin(arn); ok && m.ARN == arn {
			return builtinManaged(m), nil
		}
		return nil, policyNotFound(arn)
	}
	mp, found, err := get[ManagedPolicy](tx, kindPolicy, arn)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, policyNotFound(arn)
	}
	return mp, nil
}

// ownPolicy reads a customer managed policy for an operation that changes
// it; an AWS managed policy is refused.
func (s *Service) ownPolicy(tx store.Tx, arn string) (*ManagedPolicy, error) {
	mp, err := s.findPolicy(tx, arn)
	if err != nil {
		return nil, err
	}
	if mp.AWS {
		return nil, errAWSManagedPolicy(arn)
	}
	return mp, nil
}

// checkManagedDocument checks a managed policy document. AWS words the size
// quota of managed policies as a quota (IAM API Reference, CreatePolicy and
// CreatePolicyVersion: LimitExceeded).
func checkManagedDocument(doc, name string) error {
	err := checkPolicyDocument(doc, policy.KindManaged, "policy "+name)
	if e, ok := err.(*Error); ok && e.Code == CodeLimitExceeded {
		return limitExceeded("Cannot exceed quota for PolicySize: 6144")
	}
	return err
}

// policyUsage is how the account's users, groups and roles use managed
// policies.
type policyUsage struct {
	users  []*User
	groups []*Group
	roles  []*Role
}

func loadPolicyUsage(tx store.Tx) (*policyUsage, error) {
	var u policyUsage
	var err error
	if u.users, err = list[User](tx, kindUser, ""); err != nil {
		return nil, err
	}
	if u.groups, err = list[Group](tx, kindGroup, ""); err != nil {
		return nil, err
	}
	if u.roles, err = list[Role](tx, kindRole, ""); err != nil {
		return nil, err
	}
	return &u, nil
}

// counts returns, by policy ARN, how many entities a policy is attached to
// and how many it is the permissions boundary of.
func (u *policyUsage) counts() (attached, boundary map[string]int) {
	attached, boundary = map[string]int{}, map[string]int{}
	for _, x := range u.users {
		for _, a := range x.AttachedPolicies {
			attached[a]++
		}
		if x.Boundary != "" {
			boundary[x.Boundary]++
		}
	}
	for _, x := range u.groups {
		for _, a := range x.AttachedPolicies {
			attached[a]++
		}
	}
	for _, x := range u.roles {
		for _, a := range x.AttachedPolicies {
			attached[a]++
		}
		if x.Boundary != "" {
			boundary[x.Boundary]++
		}
	}
	return attached, boundary
}

func (u *policyUsage) info(mp *ManagedPolicy) *PolicyInfo {
	attached, boundary := u.counts()
	return &PolicyInfo{ManagedPolicy: mp, AttachmentCount: attached[mp.ARN], PermissionsBoundaryUsageCount: boundary[mp.ARN]}
}

// checkPolicyEnum refuses a value outside an enumeration the way AWS's
// request validation does.
func checkPolicyEnum(field, v string, allowed ...string) error {
	if v == "" || slices.Contains(allowed, v) {
		return nil
	}
	return errorf(CodeValidationError, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", v, field, strings.Join(allowed, ", "))
}

// CreatePolicy creates a customer managed policy with its first version,
// v1, as the default (IAM API Reference, CreatePolicy). Policy names are
// unique in the account regardless of case and path.
func (s *Service) CreatePolicy(ctx context.Context, in CreatePolicyInput) (*ManagedPolicy, error) {
	path, err := normPath(in.Path)
	if err != nil {
		return nil, err
	}
	if err := checkManagedDocument(in.Document, in.Name); err != nil {
		return nil, err
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	mp := &ManagedPolicy{
		Name: in.Name, Path: path, ID: uniqueID(prefixPolicy), ARN: s.arn("policy" + path + in.Name),
		Description: in.Description, CreateDate: now, UpdateDate: now,
		DefaultVersion: "v1", Versions: []PolicyVersion{{ID: "v1", Document: in.Document, CreateDate: now}},
		NextVersion: 2, Tags: tags, IsAttachable: true,
	}
	err = s.update(ctx, func(tx store.Tx) error {
		all, err := list[ManagedPolicy](tx, kindPolicy, "")
		if err != nil {
			return err
		}
		if slices.ContainsFunc(all, func(p *ManagedPolicy) bool { return strings.EqualFold(p.Name, in.Name) }) {
			return alreadyExists("A policy called %s already exists. Duplicate names are not allowed.", in.Name)
		}
		if len(all) >= s.limits.Policies {
			return limitExceeded("Cannot exceed quota for PoliciesPerAccount: %d", s.limits.Policies)
		}
		if err := insert(tx, kindPolicy, mp.ARN, mp); errors.Is(err, store.ErrExists) {
			return alreadyExists("A policy called %s already exists. Duplicate names are not allowed.", in.Name)
		} else {
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	return mp, nil
}

// GetPolicy returns a managed policy, built-in or customer, with the number
// of entities it is attached to and is the boundary of.
func (s *Service) GetPolicy(ctx context.Context, arn string) (*PolicyInfo, error) {
	var out *PolicyInfo
	err := s.view(ctx, func(tx store.Tx) error {
		mp, err := s.findPolicy(tx, arn)
		if err != nil {
			return err
		}
		u, err := loadPolicyUsage(tx)
		if err != nil {
			return err
		}
		out = u.info(mp)
		return nil
	})
	return out, err
}

// ListPolicies lists managed policies by name (IAM API Reference,
// ListPolicies): scope AWS lists the built-in ones, Local the account's,
// All both. PolicyUsageFilter PermissionsBoundary keeps the policies that
// are some entity's boundary; OnlyAttached keeps those attached to an
// entity (with PermissionsBoundary: those that are a boundary).
func (s *Service) ListPolicies(ctx context.Context, in ListPoliciesInput) (policies []*PolicyInfo, marker string, truncated bool, err error) {
	if err := checkPolicyEnum("scope", in.Scope, "All", "AWS", "Local"); err != nil {
		return nil, "", false, err
	}
	if err := checkPolicyEnum("policyUsageFilter", in.PolicyUsageFilter, "PermissionsPolicy", "PermissionsBoundary"); err != nil {
		return nil, "", false, err
	}
	err = s.view(ctx, func(tx store.Tx) error {
		var all []*ManagedPolicy
		if in.Scope != "Local" {
			for _, m := range policy.Builtins() {
				all = append(all, builtinManaged(m))
			}
		}
		if in.Scope != "AWS" {
			local, err := list[ManagedPolicy](tx, kindPolicy, "")
			if err != nil {
				return err
			}
			all = append(all, local...)
		}
		u, err := loadPolicyUsage(tx)
		if err != nil {
			return err
		}
		attached, boundary := u.counts()
		prefix := pathPrefixOr(in.PathPrefix)
		var infos []*PolicyInfo
		for _, mp := range all {
			pi := &PolicyInfo{ManagedPolicy: mp, AttachmentCount: attached[mp.ARN], PermissionsBoundaryUsageCount: boundary[mp.ARN]}
			switch {
			case !strings.HasPrefix(mp.Path, prefix):
				continue
			case in.PolicyUsageFilter == "PermissionsBoundary" && pi.PermissionsBoundaryUsageCount == 0:
				continue
			case in.OnlyAttached && in.PolicyUsageFilter != "PermissionsBoundary" && pi.AttachmentCount == 0:
				continue
			}
			infos = append(infos, pi)
		}
		slices.SortFunc(infos, func(a, b *PolicyInfo) int {
			return cmp.Or(strings.Compare(nameKey(a.Name), nameKey(b.Name)), strings.Compare(a.Name, b.Name), strings.Compare(a.ARN, b.ARN))
		})
		policies, marker, truncated, err = paginate(infos, in.Page)
		return err
	})
	return
}

// DeletePolicy deletes a customer managed policy that no entity uses and
// that has no version but its default left (IAM API Reference,
// DeletePolicy).
func (s *Service) DeletePolicy(ctx context.Context, arn string) error {
	return s.update(ctx, func(tx store.Tx) error {
		mp, err := s.ownPolicy(tx, arn)
		if err != nil {
			return err
		}
		u, err := loadPolicyUsage(tx)
		if err != nil {
			return err
		}
		if pi := u.info(mp); pi.AttachmentCount > 0 || pi.PermissionsBoundaryUsageCount > 0 {
			return deleteConflict("Cannot delete a policy attached to entities.")
		}
		if len(mp.Versions) > 1 {
			return deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return tx.Delete(kindPolicy, mp.ARN)
	})
}

// editPolicy loads a customer managed policy, lets fn change it and stores
// it, in one transaction.
func (s *Service) editPolicy(ctx context.Context, arn string, fn func(mp *ManagedPolicy) error) error {
	return s.update(ctx, func(tx store.Tx) error {
		mp, err := s.ownPolicy(tx, arn)
		if err != nil {
			return err
		}
		if err := fn(mp); err != nil {
			return err
		}
		return put(tx, kindPolicy, mp.ARN, mp)
	})
}

// versionIndex finds a version by ID.
func versionIndex(mp *ManagedPolicy, id string) int {
	return slices.IndexFunc(mp.Versions, func(v PolicyVersion) bool { return v.ID == id })
}

// lastVersionDate is when the newest remaining version was created: a
// policy's UpdateDate (IAM API Reference, Policy data type).
func lastVersionDate(mp *ManagedPolicy) time.Time {
	var t time.Time
	for _, v := range mp.Versions {
		if v.CreateDate.After(t) {
			t = v.CreateDate
		}
	}
	return t
}

// CreatePolicyVersion adds a version to a customer managed policy,
// optionally making it the default (IAM API Reference,
// CreatePolicyVersion).
func (s *Service) CreatePolicyVersion(ctx context.Context, arn, doc string, setAsDefault bool) (*PolicyVersionInfo, error) {
	var out *PolicyVersionInfo
	err := s.editPolicy(ctx, arn, func(mp *ManagedPolicy) error {
		if err := checkManagedDocument(doc, mp.Name); err != nil {
			return err
		}
		if len(mp.Versions) >= s.limits.PolicyVersions {
			return limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", s.limits.PolicyVersions)
		}
		v := PolicyVersion{ID: "v" + strconv.Itoa(mp.NextVersion), Document: doc, CreateDate: s.Now()}
		mp.NextVersion++
		mp.Versions = append(mp.Versions, v)
		if setAsDefault {
			mp.DefaultVersion = v.ID
		}
		mp.UpdateDate = v.CreateDate
		out = &PolicyVersionInfo{PolicyVersion: v, IsDefaultVersion: setAsDefault}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetPolicyVersion returns one version of a managed policy. Of a built-in
// policy only the current (default) version is known.
func (s *Service) GetPolicyVersion(ctx context.Context, arn, versionID string) (*PolicyVersionInfo, error) {
	var out *PolicyVersionInfo
	err := s.view(ctx, func(tx store.Tx) error {
		mp, err := s.findPolicy(tx, arn)
		if err != nil {
			return err
		}
		i := versionIndex(mp, versionID)
		if i < 0 {
			return policyVersionNotFound(arn, versionID)
		}
		out = &PolicyVersionInfo{PolicyVersion: mp.Versions[i], IsDefaultVersion: mp.Versions[i].ID == mp.DefaultVersion}
		return nil
	})
	return out, err
}

// ListPolicyVersions lists the versions of a managed policy, newest first.
func (s *Service) ListPolicyVersions(ctx context.Context, arn string, p Page) (versions []*PolicyVersionInfo, marker string, truncated bool, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		mp, err := s.findPolicy(tx, arn)
		if err != nil {
			return err
		}
		all := make([]*PolicyVersionInfo, 0, len(mp.Versions))
		for _, v := range mp.Versions {
			all = append(all, &PolicyVersionInfo{PolicyVersion: v, IsDefaultVersion: v.ID == mp.DefaultVersion})
		}
		slices.SortFunc(all, func(a, b *PolicyVersionInfo) int { return cmp.Compare(versionNumber(b.ID), versionNumber(a.ID)) })
		versions, marker, truncated, err = paginate(all, p)
		return err
	})
	return
}

// versionNumber is N of a version ID vN, or 0.
func versionNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "v"))
	return n
}

// DeletePolicyVersion deletes a version of a customer managed policy other
// than its default (IAM API Reference, DeletePolicyVersion).
func (s *Service) DeletePolicyVersion(ctx context.Context, arn, versionID string) error {
	return s.editPolicy(ctx, arn, func(mp *ManagedPolicy) error {
		i := versionIndex(mp, versionID)
		if i < 0 {
			return policyVersionNotFound(arn, versionID)
		}
		if versionID == mp.DefaultVersion {
			return deleteConflict("Cannot delete the default version of a policy.")
		}
		mp.Versions = slices.Delete(mp.Versions, i, i+1)
		mp.UpdateDate = lastVersionDate(mp)
		return nil
	})
}

// SetDefaultPolicyVersion makes a version the one in effect (IAM API
// Reference, SetDefaultPolicyVersion).
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, arn, versionID string) error {
	return s.editPolicy(ctx, arn, func(mp *ManagedPolicy) error {
		if versionIndex(mp, versionID) < 0 {
			return policyVersionNotFound(arn, versionID)
		}
		mp.DefaultVersion = versionID
		return nil
	})
}

// TagPolicy adds or replaces tags on a customer managed policy.
func (s *Service) TagPolicy(ctx context.Context, arn string, tags []Tag) error {
	return s.editPolicy(ctx, arn, func(mp *ManagedPolicy) (err error) {
		mp.Tags, err = mergeTags(mp.Tags, tags)
		return err
	})
}

// UntagPolicy removes tags from a customer managed policy.
func (s *Service) UntagPolicy(ctx context.Context, arn string, keys []string) error {
	return s.editPolicy(ctx, arn, func(mp *ManagedPolicy) error {
		mp.Tags = removeTags(mp.Tags, keys)
		return nil
	})
}

// ListPolicyTags lists the tags of a managed policy; built-in policies
// have none.
func (s *Service) ListPolicyTags(ctx context.Context, arn string, p Page) (tags []Tag, marker string, truncated bool, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		mp, err := s.findPolicy(tx, arn)
		if err != nil {
			return err
		}
		tags, marker, truncated, err = paginate(mp.Tags, p)
		return err
	})
	return
}

// ListEntitiesForPolicy lists the groups, users and roles that use a
// managed policy (IAM API Reference, ListEntitiesForPolicy). entityFilter
// User, Group or Role keeps that kind only; LocalManagedPolicy and
// AWSManagedPolicy keep every kind when the policy is of that sort and
// none otherwise. usageFilter PermissionsPolicy keeps the entities it is
// attached to, PermissionsBoundary those it is the boundary of, "" both.
// pathPrefix filters the entities' paths.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, arn, entityFilter, pathPrefix, usageFilter string, p Page) (*PolicyEntities, error) {
	if err := checkPolicyEnum("entityFilter", entityFilter, "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"); err != nil {
		return nil, err
	}
	if err := checkPolicyEnum("policyUsageFilter", usageFilter, "PermissionsPolicy", "PermissionsBoundary"); err != nil {
		return nil, err
	}
	out := &PolicyEntities{}
	err := s.view(ctx, func(tx store.Tx) error {
		mp, err := s.loadManaged(tx, arn)
		if err != nil {
			return err
		}
		u, err := loadPolicyUsage(tx)
		if err != nil {
			return err
		}
		want := func(kind string) bool {
			switch entityFilter {
			case "":
				return true
			case "LocalManagedPolicy":
				return !mp.AWS
			case "AWSManagedPolicy":
				return mp.AWS
			}
			return entityFilter == kind
		}
		prefix := pathPrefixOr(pathPrefix)
		uses := func(path string, attached []string, boundary string) bool {
			if !strings.HasPrefix(path, prefix) {
				return false
			}
			asPolicy := usageFilter != "PermissionsBoundary" && slices.Contains(attached, mp.ARN)
			asBoundary := usageFilter != "PermissionsPolicy" && boundary == mp.ARN
			return asPolicy || asBoundary
		}
		type entity struct {
			kind string
			PolicyEntity
		}
		var all []entity
		if want("Group") {
			for _, g := range u.groups {
				if uses(g.Path, g.AttachedPolicies, "") {
					all = append(all, entity{"Group", PolicyEntity{g.Name, g.ID}})
				}
			}
		}
		if want("User") {
			for _, x := range u.users {
				if uses(x.Path, x.AttachedPolicies, x.Boundary) {
					all = append(all, entity{"User", PolicyEntity{x.Name, x.ID}})
				}
			}
		}
		if want("Role") {
			for _, r := range u.roles {
				if uses(r.Path, r.AttachedPolicies, r.Boundary) {
					all = append(all, entity{"Role", PolicyEntity{r.Name, r.ID}})
				}
			}
		}
		page, marker, truncated, err := paginate(all, p)
		if err != nil {
			return err
		}
		out.Marker, out.Truncated = marker, truncated
		for _, e := range page {
			switch e.kind {
			case "Group":
				out.Groups = append(out.Groups, e.PolicyEntity)
			case "User":
				out.Users = append(out.Users, e.PolicyEntity)
			case "Role":
				out.Roles = append(out.Roles, e.PolicyEntity)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
