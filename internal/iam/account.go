package iam

import (
	"context"
	"slices"
	"strings"

	"batchd/internal/iam/policy"
	"batchd/internal/store"
)

// Quotas that batchd does not let Config change, with AWS's default values
// (IAM User Guide, "IAM and AWS STS quotas").
const (
	quotaPolicySize            = 6144  // managed policy document
	quotaUserPolicySize        = 2048  // a user's inline policies together
	quotaGroupPolicySize       = 5120  // a group's inline policies together
	quotaRolePolicySize        = 10240 // a role's inline policies together
	quotaAssumeRolePolicySize  = 2048  // a role's trust policy
	quotaPolicyVersionsInUse   = 10000 // managed policy attachments in the account
	quotaServerCertificates    = 20
	quotaSigningCertsPerUser   = 2
	globalEndpointTokenVersion = 1
)

// GetAccountSummary returns the account's IAM usage and quotas under the
// keys of AWS's SummaryMap (IAM API Reference, GetAccountSummary). Entities
// batchd does not have (MFA devices, server and signing certificates,
// identity providers) count 0; AccountPasswordPresent is 1 once the root
// has a password (SetRootPassword).
func (s *Service) GetAccountSummary(ctx context.Context) (map[string]int32, error) {
	m := map[string]int32{
		"UsersQuota":                        int32(s.limits.Users),
		"GroupsQuota":                       int32(s.limits.Groups),
		"RolesQuota":                        int32(s.limits.Roles),
		"PoliciesQuota":                     int32(s.limits.Policies),
		"InstanceProfilesQuota":             int32(s.limits.InstanceProfiles),
		"AccessKeysPerUserQuota":            int32(s.limits.AccessKeysPerUser),
		"GroupsPerUserQuota":                int32(s.limits.GroupsPerUser),
		"AttachedPoliciesPerUserQuota":      int32(s.limits.ManagedPoliciesPerEntity),
		"AttachedPoliciesPerGroupQuota":     int32(s.limits.ManagedPoliciesPerEntity),
		"AttachedPoliciesPerRoleQuota":      int32(s.limits.ManagedPoliciesPerEntity),
		"VersionsPerPolicyQuota":            int32(s.limits.PolicyVersions),
		"PolicyVersionsInUseQuota":          quotaPolicyVersionsInUse,
		"PolicySizeQuota":                   quotaPolicySize,
		"UserPolicySizeQuota":               quotaUserPolicySize,
		"GroupPolicySizeQuota":              quotaGroupPolicySize,
		"RolePolicySizeQuota":               quotaRolePolicySize,
		"AssumeRolePolicySizeQuota":         quotaAssumeRolePolicySize,
		"ServerCertificatesQuota":           quotaServerCertificates,
		"SigningCertificatesPerUserQuota":   quotaSigningCertsPerUser,
		"GlobalEndpointTokenVersion":        globalEndpointTokenVersion,
		"ServerCertificates":                0,
		"MFADevices":                        0,
		"MFADevicesInUse":                   0,
		"Providers":                         0,
		"AccountMFAEnabled":                 0,
		"AccountPasswordPresent":            0,
		"AccountSigningCertificatesPresent": 0,
	}
	err := s.view(ctx, func(tx store.Tx) error {
		users, err := list[User](tx, kindUser, "")
		if err != nil {
			return err
		}
		groups, err := list[Group](tx, kindGroup, "")
		if err != nil {
			return err
		}
		roles, err := list[Role](tx, kindRole, "")
		if err != nil {
			return err
		}
		policies, err := list[ManagedPolicy](tx, kindPolicy, "")
		if err != nil {
			return err
		}
		profiles, err := tx.Count(kindProfile, "")
		if err != nil {
			return err
		}
		keys, err := list[AccessKey](tx, kindAccessKey, "")
		if err != nil {
			return err
		}
		m["Users"], m["Groups"], m["Roles"] = int32(len(users)), int32(len(groups)), int32(len(roles))
		m["Policies"] = int32(len(slices.DeleteFunc(policies, func(p *ManagedPolicy) bool { return p.AWS })))
		m["InstanceProfiles"] = int32(profiles)
		// PolicyVersionsInUse counts attachments of managed policies, AWS
		// and customer, to users, groups and roles.
		inUse := 0
		for _, u := range users {
			inUse += len(u.AttachedPolicies)
		}
		for _, g := range groups {
			inUse += len(g.AttachedPolicies)
		}
		for _, r := range roles {
			inUse += len(r.AttachedPolicies)
		}
		m["PolicyVersionsInUse"] = int32(inUse)
		if set, err := rootPasswordSet(tx, s.account); err != nil {
			return err
		} else if set {
			m["AccountPasswordPresent"] = 1
		}
		m["AccountAccessKeysPresent"] = 0
		if slices.ContainsFunc(keys, func(k *AccessKey) bool { return k.User == "" }) {
			m["AccountAccessKeysPresent"] = 1
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// The entity filters of GetAccountAuthorizationDetails.
const (
	FilterUser               = "User"
	FilterRole               = "Role"
	FilterGroup              = "Group"
	FilterLocalManagedPolicy = "LocalManagedPolicy"
	FilterAWSManagedPolicy   = "AWSManagedPolicy"
)

var authorizationFilters = []string{FilterLocalManagedPolicy, FilterAWSManagedPolicy, FilterRole, FilterGroup, FilterUser}

// RoleDetail is a role with the instance profiles that hold it.
type RoleDetail struct {
	*Role
	InstanceProfiles []*InstanceProfileDetail
}

// ManagedPolicyDetail is a managed policy with all its versions and how the
// account uses it.
type ManagedPolicyDetail struct {
	*ManagedPolicy
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
}

// AuthorizationDetails is one page of GetAccountAuthorizationDetails. Users
// carry their inline policies, attached policies, groups, tags and
// boundary; groups their policies; roles their policies, trust policy and
// instance profiles; policies every version.
type AuthorizationDetails struct {
	Users     []*User
	Groups    []*Group
	Roles     []*RoleDetail
	Policies  []*ManagedPolicyDetail
	Marker    string
	Truncated bool
}

// GetAccountAuthorizationDetails returns the account's users, groups, roles
// and managed policies with their relationships (IAM API Reference,
// GetAccountAuthorizationDetails). filter picks entity kinds (none: all).
// AWS managed policies appear only when attached to something, as in AWS.
// One page spans the kinds in the order users, groups, roles, policies.
func (s *Service) GetAccountAuthorizationDetails(ctx context.Context, filter []string, p Page) (*AuthorizationDetails, error) {
	for _, f := range filter {
		if !slices.Contains(authorizationFilters, f) {
			return nil, awsValidation("["+strings.Join(filter, ", ")+"]", "filter",
				"Member must satisfy constraint: [Member must satisfy enum value set: ["+strings.Join(authorizationFilters, ", ")+"]]")
		}
	}
	want := func(f string) bool { return len(filter) == 0 || slices.Contains(filter, f) }
	out := &AuthorizationDetails{}
	err := s.view(ctx, func(tx store.Tx) error {
		users, err := list[User](tx, kindUser, "")
		if err != nil {
			return err
		}
		groups, err := list[Group](tx, kindGroup, "")
		if err != nil {
			return err
		}
		roles, err := list[Role](tx, kindRole, "")
		if err != nil {
			return err
		}
		attached, boundary := map[string]int{}, map[string]int{}
		for _, u := range users {
			for _, a := range u.AttachedPolicies {
				attached[a]++
			}
			if u.Boundary != "" {
				boundary[u.Boundary]++
			}
		}
		for _, g := range groups {
			for _, a := range g.AttachedPolicies {
				attached[a]++
			}
		}
		for _, r := range roles {
			for _, a := range r.AttachedPolicies {
				attached[a]++
			}
			if r.Boundary != "" {
				boundary[r.Boundary]++
			}
		}

		var items []any
		if want(FilterUser) {
			for _, u := range users {
				items = append(items, u)
			}
		}
		if want(FilterGroup) {
			for _, g := range groups {
				items = append(items, g)
			}
		}
		if want(FilterRole) {
			for _, r := range roles {
				items = append(items, r)
			}
		}
		var policies []*ManagedPolicy
		if want(FilterAWSManagedPolicy) {
			for _, m := range policy.Builtins() {
				if attached[m.ARN] > 0 {
					policies = append(policies, builtinManaged(m))
				}
			}
		}
		if want(FilterLocalManagedPolicy) {
			local, err := list[ManagedPolicy](tx, kindPolicy, "")
			if err != nil {
				return err
			}
			policies = append(policies, slices.DeleteFunc(local, func(mp *ManagedPolicy) bool { return mp.AWS })...)
		}
		for _, mp := range policies {
			items = append(items, mp)
		}

		page, next, more, err := paginate(items, p)
		if err != nil {
			return err
		}
		out.Marker, out.Truncated = next, more
		for _, it := range page {
			switch v := it.(type) {
			case *User:
				out.Users = append(out.Users, v)
			case *Group:
				out.Groups = append(out.Groups, v)
			case *Role:
				profiles, err := profilesOfRole(tx, v.Name)
				if err != nil {
					return err
				}
				rd := &RoleDetail{Role: v, InstanceProfiles: []*InstanceProfileDetail{}}
				for _, ip := range profiles {
					d, err := profileDetail(tx, ip)
					if err != nil {
						return err
					}
					rd.InstanceProfiles = append(rd.InstanceProfiles, d)
				}
				out.Roles = append(out.Roles, rd)
			case *ManagedPolicy:
				out.Policies = append(out.Policies, &ManagedPolicyDetail{
					ManagedPolicy: v, AttachmentCount: attached[v.ARN], PermissionsBoundaryUsageCount: boundary[v.ARN],
				})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
