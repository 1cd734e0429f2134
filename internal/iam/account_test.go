package iam

import (
	"context"
	"maps"
	"slices"
	"testing"
)

const rtLocalPolicy = "arn:aws:iam::123456789012:policy/team/Local"

// rtAccountFixture makes an account with a user in a group, a role in an
// instance profile, a customer managed policy and AWS managed policies
// attached here and there.
func rtAccountFixture(t *testing.T) *Service {
	t.Helper()
	ctx := context.Background()
	s := newRolesTestService(t)
	_, err := s.CreateUser(ctx, CreateUserInput{Name: "alice", Boundary: rtAdmin, Tags: []Tag{{"team", "a"}}})
	rtMust(t, err)
	rtMust(t, s.PutUserPolicy(ctx, "alice", "own", rtInline))
	rtMust(t, s.AttachUserPolicy(ctx, "alice", rtAdmin))
	rtStore(t, s, kindGroup, nameKey("devs"), &Group{
		Name: "devs", Path: "/", ID: "AGPAEXAMPLEEXAMPLE23", ARN: "arn:aws:iam::123456789012:group/devs", CreateDate: rtNow,
		AttachedPolicies: []string{rtLocalPolicy}, InlinePolicies: map[string]string{"g": rtInline},
	})
	u, err := s.GetUser(ctx, "alice")
	rtMust(t, err)
	u.Groups = []string{"devs"}
	rtStore(t, s, kindUser, nameKey("alice"), u)
	rtStore(t, s, kindPolicy, rtLocalPolicy, &ManagedPolicy{
		Name: "Local", Path: "/team/", ID: "ANPAEXAMPLEEXAMPLE23", ARN: rtLocalPolicy, CreateDate: rtNow, UpdateDate: rtNow,
		DefaultVersion: "v2", NextVersion: 3, IsAttachable: true, Versions: []PolicyVersion{
			{ID: "v1", Document: rtInline, CreateDate: rtNow},
			{ID: "v2", Document: rtInline, CreateDate: rtNow},
		},
	})
	rtRole(t, s, "app", "")
	rtMust(t, s.AttachRolePolicy(ctx, "app", rtAdmin))
	rtMust(t, s.AttachRolePolicy(ctx, "app", "arn:aws:iam::aws:policy/ReadOnlyAccess"))
	_, err = s.CreateInstanceProfile(ctx, "web", "", nil)
	rtMust(t, err)
	rtMust(t, s.AddRoleToInstanceProfile(ctx, "web", "app"))
	return s
}

func TestGetAccountSummary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := rtAccountFixture(t)
	m, err := s.GetAccountSummary(ctx)
	rtMust(t, err)
	want := map[string]int32{
		"Users": 1, "UsersQuota": 5000, "Groups": 1, "GroupsQuota": 300, "Roles": 1, "RolesQuota": 1000,
		"Policies": 1, "PoliciesQuota": 1500, "InstanceProfiles": 1, "InstanceProfilesQuota": 1000,
		"AccessKeysPerUserQuota": 2, "GroupsPerUserQuota": 10, "AttachedPoliciesPerUserQuota": 10,
		"AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
		"PolicyVersionsInUse": 4, "PolicyVersionsInUseQuota": 10000, "VersionsPerPolicyQuota": 5,
		"PolicySizeQuota": 6144, "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120, "RolePolicySizeQuota": 10240,
		"AssumeRolePolicySizeQuota": 2048, "ServerCertificates": 0, "ServerCertificatesQuota": 20,
		"SigningCertificatesPerUserQuota": 2, "MFADevices": 0, "MFADevicesInUse": 0, "Providers": 0,
		"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0, "AccountPasswordPresent": 0,
		"AccountSigningCertificatesPresent": 0, "GlobalEndpointTokenVersion": 1,
	}
	if !maps.Equal(m, want) {
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s = %d, want %d", k, m[k], v)
			}
		}
		for k := range m {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected key %s", k)
			}
		}
	}
	_, _, err = s.CreateAccessKey(ctx, "")
	rtMust(t, err)
	m, err = s.GetAccountSummary(ctx)
	rtMust(t, err)
	if m["AccountAccessKeysPresent"] != 1 {
		t.Errorf("AccountAccessKeysPresent = %d after a root key", m["AccountAccessKeysPresent"])
	}
}

func TestGetAccountSummaryLimits(t *testing.T) {
	t.Parallel()
	s := newRolesTestServiceLimits(t, Limits{Roles: 7, ManagedPoliciesPerEntity: 20})
	m, err := s.GetAccountSummary(context.Background())
	rtMust(t, err)
	if m["RolesQuota"] != 7 || m["AttachedPoliciesPerRoleQuota"] != 20 || m["Roles"] != 0 {
		t.Errorf("summary %v", m)
	}
}

func TestGetAccountAuthorizationDetails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := rtAccountFixture(t)
	policyARNs := func(ps []*ManagedPolicyDetail) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ARN)
		}
		return out
	}
	t.Run("everything", func(t *testing.T) {
		d, err := s.GetAccountAuthorizationDetails(ctx, nil, Page{})
		rtMust(t, err)
		if d.Truncated || len(d.Users) != 1 || len(d.Groups) != 1 || len(d.Roles) != 1 {
			t.Fatalf("details %+v", d)
		}
		u := d.Users[0]
		if u.Name != "alice" || u.Boundary != rtAdmin || !slices.Equal(u.Groups, []string{"devs"}) ||
			!slices.Equal(u.AttachedPolicies, []string{rtAdmin}) || u.InlinePolicies["own"] != rtInline || len(u.Tags) != 1 {
			t.Errorf("user %+v", u)
		}
		if g := d.Groups[0]; g.InlinePolicies["g"] != rtInline || !slices.Equal(g.AttachedPolicies, []string{rtLocalPolicy}) {
			t.Errorf("group %+v", g)
		}
		r := d.Roles[0]
		if r.Name != "app" || r.TrustPolicy != rtTrust || len(r.InstanceProfiles) != 1 || r.InstanceProfiles[0].Profile.Name != "web" ||
			len(r.InstanceProfiles[0].Roles) != 1 {
			t.Errorf("role %+v", r)
		}
		// AWS managed policies appear only when attached: ReadOnlyAccess
		// and AdministratorAccess, not the other built-ins.
		want := []string{rtAdmin, "arn:aws:iam::aws:policy/ReadOnlyAccess", rtLocalPolicy}
		if got := policyARNs(d.Policies); !slices.Equal(got, want) {
			t.Errorf("policies %v, want %v", got, want)
		}
		for _, p := range d.Policies {
			switch p.ARN {
			case rtAdmin:
				if p.AttachmentCount != 2 || p.PermissionsBoundaryUsageCount != 1 || !p.AWS {
					t.Errorf("AdministratorAccess %+v", p)
				}
			case rtLocalPolicy:
				if p.AttachmentCount != 1 || len(p.Versions) != 2 || p.DefaultVersion != "v2" || p.AWS {
					t.Errorf("Local %+v", p)
				}
			}
		}
	})
	filters := []struct {
		name                           string
		filter                         []string
		users, groups, roles, policies int
	}{
		{"users", []string{"User"}, 1, 0, 0, 0},
		{"groups and roles", []string{"Group", "Role"}, 0, 1, 1, 0},
		{"local policies", []string{"LocalManagedPolicy"}, 0, 0, 0, 1},
		{"AWS policies", []string{"AWSManagedPolicy"}, 0, 0, 0, 2},
	}
	for _, tc := range filters {
		t.Run(tc.name, func(t *testing.T) {
			d, err := s.GetAccountAuthorizationDetails(ctx, tc.filter, Page{})
			rtMust(t, err)
			if len(d.Users) != tc.users || len(d.Groups) != tc.groups || len(d.Roles) != tc.roles || len(d.Policies) != tc.policies {
				t.Errorf("%d users, %d groups, %d roles, %d policies", len(d.Users), len(d.Groups), len(d.Roles), len(d.Policies))
			}
		})
	}
	t.Run("pages", func(t *testing.T) {
		var users, groups, roles, policies int
		p := Page{MaxItems: 2}
		for i := 0; ; i++ {
			d, err := s.GetAccountAuthorizationDetails(ctx, nil, p)
			rtMust(t, err)
			users, groups, roles, policies = users+len(d.Users), groups+len(d.Groups), roles+len(d.Roles), policies+len(d.Policies)
			if !d.Truncated {
				break
			}
			if i > 5 {
				t.Fatal("too many pages")
			}
			p.Marker = d.Marker
		}
		if users != 1 || groups != 1 || roles != 1 || policies != 3 {
			t.Errorf("%d users, %d groups, %d roles, %d policies", users, groups, roles, policies)
		}
	})
	t.Run("bad filter", func(t *testing.T) {
		_, err := s.GetAccountAuthorizationDetails(ctx, []string{"User", "Bogus"}, Page{})
		rtWantErr(t, err, CodeValidationError, "1 validation error detected: Value '[User, Bogus]' at 'filter' failed to satisfy constraint: "+
			"Member must satisfy constraint: [Member must satisfy enum value set: [LocalManagedPolicy, AWSManagedPolicy, Role, Group, User]]")
	})
	t.Run("bad marker", func(t *testing.T) {
		_, err := s.GetAccountAuthorizationDetails(ctx, nil, Page{Marker: "x"})
		rtWantErr(t, err, CodeInvalidInput, "Invalid Marker.")
	})
}
