package iam

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"batchd/internal/iam/policy"
)

const (
	adminARN    = "arn:aws:iam::aws:policy/AdministratorAccess"
	readOnlyARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"
)

func mustPolicy(t testing.TB, s *Service, name, path string) *ManagedPolicy {
	t.Helper()
	mp, err := s.CreatePolicy(context.Background(), CreatePolicyInput{Name: name, Path: path, Document: testDoc})
	must(t, err)
	return mp
}

func policyNames(ps []*PolicyInfo) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func entityNames(es []PolicyEntity) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

func TestCreatePolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newLimitedService(t, Limits{Policies: 2})
	mp, err := s.CreatePolicy(ctx, CreatePolicyInput{Name: "ReadOnly", Path: "/team/", Description: "reads", Document: testDoc, Tags: []Tag{{"env", "dev"}}})
	must(t, err)
	if mp.ARN != "arn:aws:iam::123456789012:policy/team/ReadOnly" || mp.Path != "/team/" || mp.Description != "reads" ||
		len(mp.ID) != 21 || !strings.HasPrefix(mp.ID, "ANPA") || mp.DefaultVersion != "v1" || mp.NextVersion != 2 ||
		!mp.IsAttachable || mp.AWS || len(mp.Versions) != 1 || mp.Versions[0].ID != "v1" || mp.Default() != testDoc ||
		!mp.CreateDate.Equal(mp.UpdateDate) || !slices.Equal(mp.Tags, []Tag{{"env", "dev"}}) {
		t.Fatalf("CreatePolicy = %+v", mp)
	}
	got, err := s.GetPolicy(ctx, mp.ARN)
	must(t, err)
	if got.ID != mp.ID || got.Default() != testDoc || got.AttachmentCount != 0 || got.PermissionsBoundaryUsageCount != 0 {
		t.Fatalf("GetPolicy = %+v", got)
	}

	tooManyTags := make([]Tag, 51)
	for i := range tooManyTags {
		tooManyTags[i] = Tag{Key: "k" + itoa(i)}
	}
	huge := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":[` +
		strings.Repeat(`"arn:aws:s3:::bucket-with-a-long-name/key",`, 200) + `"*"]}]}`
	tests := []struct {
		name          string
		in            CreatePolicyInput
		code, message string
	}{
		{"same name", CreatePolicyInput{Name: "ReadOnly", Document: testDoc}, CodeEntityAlreadyExists, "A policy called ReadOnly already exists. Duplicate names are not allowed."},
		{"name differing in case and path", CreatePolicyInput{Name: "READONLY", Path: "/other/", Document: testDoc}, CodeEntityAlreadyExists, "A policy called READONLY already exists. Duplicate names are not allowed."},
		{"bad path", CreatePolicyInput{Name: "P", Path: "team", Document: testDoc}, CodeValidationError, "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."},
		{"too many tags", CreatePolicyInput{Name: "P", Document: testDoc, Tags: tooManyTags}, CodeLimitExceeded, "The number of tags has reached the maximum limit."},
		{"document too large", CreatePolicyInput{Name: "P", Document: huge}, CodeLimitExceeded, "Cannot exceed quota for PolicySize: 6144"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreatePolicy(ctx, tt.in)
			wantIAMError(t, err, tt.code, tt.message)
		})
	}
	t.Run("malformed document", func(t *testing.T) {
		var e *Error
		_, err := s.CreatePolicy(ctx, CreatePolicyInput{Name: "P", Document: `{"Version":"2012-10-17","Statement":`})
		if !errors.As(err, &e) || e.Code != CodeMalformedPolicy {
			t.Fatalf("CreatePolicy(malformed) = %v, want %s", err, CodeMalformedPolicy)
		}
	})
	t.Run("quota", func(t *testing.T) {
		mustPolicy(t, s, "Second", "/")
		_, err := s.CreatePolicy(ctx, CreatePolicyInput{Name: "Third", Document: testDoc})
		wantIAMError(t, err, CodeLimitExceeded, "Cannot exceed quota for PoliciesPerAccount: 2")
	})
}

func TestGetPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mp := mustPolicy(t, s, "Mine", "/")
	mustUser(t, s, "alice", "/")
	_, err := s.CreateUser(ctx, CreateUserInput{Name: "bob", Boundary: mp.ARN})
	must(t, err)
	mustGroup(t, s, "Devs", "/")
	putRole(t, s, &Role{Name: "worker", Path: "/", ID: "AROAEXAMPLE", AttachedPolicies: []string{mp.ARN, adminARN}, Boundary: mp.ARN})
	must(t, s.AttachUserPolicy(ctx, "alice", mp.ARN))
	must(t, s.AttachGroupPolicy(ctx, "Devs", mp.ARN))
	must(t, s.AttachUserPolicy(ctx, "alice", adminARN))

	tests := []struct {
		name               string
		arn                string
		attached, boundary int
		aws                bool
	}{
		{"customer policy", mp.ARN, 3, 2, false},
		{"built-in policy", adminARN, 2, 0, true},
		{"unused built-in policy", readOnlyARN, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pi, err := s.GetPolicy(ctx, tt.arn)
			must(t, err)
			if pi.ARN != tt.arn || pi.AWS != tt.aws || pi.AttachmentCount != tt.attached || pi.PermissionsBoundaryUsageCount != tt.boundary {
				t.Fatalf("GetPolicy = %+v (attached %d, boundary %d)", pi.ManagedPolicy, pi.AttachmentCount, pi.PermissionsBoundaryUsageCount)
			}
		})
	}
	for _, arn := range []string{"arn:aws:iam::123456789012:policy/Nope", "arn:aws:iam::aws:policy/Nope", "arn:aws:iam::123456789012:policy/mine"} {
		t.Run("missing "+arn, func(t *testing.T) {
			_, err := s.GetPolicy(ctx, arn)
			wantIAMError(t, err, CodeNoSuchEntity, "Policy "+arn+" was not found.")
		})
	}
}

func TestListPolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mustPolicy(t, s, "zeta", "/team/")
	b := mustPolicy(t, s, "Beta", "/")
	bound := mustPolicy(t, s, "Bound", "/")
	mustUser(t, s, "alice", "/")
	must(t, s.AttachUserPolicy(ctx, "alice", b.ARN))
	must(t, s.AttachUserPolicy(ctx, "alice", adminARN))
	must(t, s.PutUserPermissionsBoundary(ctx, "alice", bound.ARN))

	var builtins []string
	for _, m := range policy.Builtins() {
		builtins = append(builtins, m.Name)
	}
	byName := func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }
	slices.SortFunc(builtins, byName)
	all := append(slices.Clone(builtins), "zeta", "Beta", "Bound")
	slices.SortFunc(all, byName)

	tests := []struct {
		name string
		in   ListPoliciesInput
		want []string
	}{
		{"all", ListPoliciesInput{}, all},
		{"scope All", ListPoliciesInput{Scope: "All"}, all},
		{"scope AWS lists every built-in", ListPoliciesInput{Scope: "AWS"}, builtins},
		{"scope Local", ListPoliciesInput{Scope: "Local"}, []string{"Beta", "Bound", "zeta"}},
		{"path prefix", ListPoliciesInput{Scope: "Local", PathPrefix: "/team/"}, []string{"zeta"}},
		{"only attached", ListPoliciesInput{OnlyAttached: true}, []string{"AdministratorAccess", "Beta"}},
		{"only attached local", ListPoliciesInput{Scope: "Local", OnlyAttached: true}, []string{"Beta"}},
		{"only attached permissions policies", ListPoliciesInput{OnlyAttached: true, PolicyUsageFilter: "PermissionsPolicy"}, []string{"AdministratorAccess", "Beta"}},
		{"boundaries", ListPoliciesInput{PolicyUsageFilter: "PermissionsBoundary"}, []string{"Bound"}},
		{"only attached boundaries", ListPoliciesInput{OnlyAttached: true, PolicyUsageFilter: "PermissionsBoundary"}, []string{"Bound"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, _, truncated, err := s.ListPolicies(ctx, tt.in)
			must(t, err)
			if got := policyNames(ps); !slices.Equal(got, tt.want) || truncated {
				t.Fatalf("ListPolicies = %v (truncated %v), want %v", got, truncated, tt.want)
			}
		})
	}

	t.Run("counts", func(t *testing.T) {
		ps, _, _, err := s.ListPolicies(ctx, ListPoliciesInput{Scope: "Local"})
		must(t, err)
		for _, p := range ps {
			want := map[string][2]int{"Beta": {1, 0}, "Bound": {0, 1}, "zeta": {0, 0}}[p.Name]
			if p.AttachmentCount != want[0] || p.PermissionsBoundaryUsageCount != want[1] {
				t.Errorf("%s: attached %d boundary %d, want %v", p.Name, p.AttachmentCount, p.PermissionsBoundaryUsageCount, want)
			}
		}
	})

	t.Run("pagination", func(t *testing.T) {
		var got []string
		in := ListPoliciesInput{Page: Page{MaxItems: 4}}
		for pages := 0; ; pages++ {
			if pages > len(all) {
				t.Fatal("pagination does not end")
			}
			ps, marker, truncated, err := s.ListPolicies(ctx, in)
			must(t, err)
			if len(ps) > 4 {
				t.Fatalf("page of %d items, MaxItems 4", len(ps))
			}
			got = append(got, policyNames(ps)...)
			if !truncated {
				break
			}
			in.Page.Marker = marker
		}
		if !slices.Equal(got, all) {
			t.Fatalf("paged = %v, want %v", got, all)
		}
	})

	errTests := []struct {
		name, message string
		in            ListPoliciesInput
	}{
		{"bad scope", "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]", ListPoliciesInput{Scope: "Mine"}},
		{"bad usage filter", "1 validation error detected: Value 'Both' at 'policyUsageFilter' failed to satisfy constraint: Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]", ListPoliciesInput{PolicyUsageFilter: "Both"}},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := s.ListPolicies(ctx, tt.in)
			wantIAMError(t, err, CodeValidationError, tt.message)
		})
	}
	t.Run("bad marker", func(t *testing.T) {
		_, _, _, err := s.ListPolicies(ctx, ListPoliciesInput{Page: Page{Marker: "x"}})
		wantIAMError(t, err, CodeInvalidInput, "Invalid Marker.")
	})
}

func TestDeletePolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name          string
		setup         func(t *testing.T, s *Service, arn string)
		code, message string
	}{
		{"unused", func(*testing.T, *Service, string) {}, "", ""},
		{"attached to a user", func(t *testing.T, s *Service, arn string) {
			mustUser(t, s, "alice", "/")
			must(t, s.AttachUserPolicy(ctx, "alice", arn))
		}, CodeDeleteConflict, "Cannot delete a policy attached to entities."},
		{"attached to a group", func(t *testing.T, s *Service, arn string) {
			mustGroup(t, s, "Devs", "/")
			must(t, s.AttachGroupPolicy(ctx, "Devs", arn))
		}, CodeDeleteConflict, "Cannot delete a policy attached to entities."},
		{"attached to a role", func(t *testing.T, s *Service, arn string) {
			putRole(t, s, &Role{Name: "worker", Path: "/", AttachedPolicies: []string{arn}})
		}, CodeDeleteConflict, "Cannot delete a policy attached to entities."},
		{"a user's boundary", func(t *testing.T, s *Service, arn string) {
			_, err := s.CreateUser(ctx, CreateUserInput{Name: "alice", Boundary: arn})
			must(t, err)
		}, CodeDeleteConflict, "Cannot delete a policy attached to entities."},
		{"a role's boundary", func(t *testing.T, s *Service, arn string) {
			putRole(t, s, &Role{Name: "worker", Path: "/", Boundary: arn})
		}, CodeDeleteConflict, "Cannot delete a policy attached to entities."},
		{"more than one version", func(t *testing.T, s *Service, arn string) {
			_, err := s.CreatePolicyVersion(ctx, arn, testDoc, false)
			must(t, err)
		}, CodeDeleteConflict, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy."},
		{"versions deleted again", func(t *testing.T, s *Service, arn string) {
			_, err := s.CreatePolicyVersion(ctx, arn, testDoc, true)
			must(t, err)
			must(t, s.DeletePolicyVersion(ctx, arn, "v1"))
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestService(t)
			mp := mustPolicy(t, s, "Mine", "/")
			tt.setup(t, s, mp.ARN)
			err := s.DeletePolicy(ctx, mp.ARN)
			if tt.code != "" {
				wantIAMError(t, err, tt.code, tt.message)
				return
			}
			must(t, err)
			_, err = s.GetPolicy(ctx, mp.ARN)
			wantIAMError(t, err, CodeNoSuchEntity, "Policy "+mp.ARN+" was not found.")
			// The name is free again.
			mustPolicy(t, s, "MINE", "/")
		})
	}
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		arn := "arn:aws:iam::123456789012:policy/Nope"
		wantIAMError(t, newTestService(t).DeletePolicy(ctx, arn), CodeNoSuchEntity, "Policy "+arn+" was not found.")
	})
}

func TestPolicyVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mp := mustPolicy(t, s, "Mine", "/")
	docs := map[string]string{"v1": testDoc}
	for i := 2; i <= 5; i++ {
		doc := strings.Replace(testDoc, "s3:GetObject", "s3:GetObject"+itoa(i), 1)
		v, err := s.CreatePolicyVersion(ctx, mp.ARN, doc, i == 3)
		must(t, err)
		if v.ID != "v"+itoa(i) || v.Document != doc || v.IsDefaultVersion != (i == 3) {
			t.Fatalf("CreatePolicyVersion = %+v", v)
		}
		docs[v.ID] = doc
	}
	_, err := s.CreatePolicyVersion(ctx, mp.ARN, testDoc, false)
	wantIAMError(t, err, CodeLimitExceeded, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")

	pi, err := s.GetPolicy(ctx, mp.ARN)
	must(t, err)
	if pi.DefaultVersion != "v3" || pi.Default() != docs["v3"] || !pi.UpdateDate.After(pi.CreateDate) {
		t.Fatalf("after versions: default %s, update %v, create %v", pi.DefaultVersion, pi.UpdateDate, pi.CreateDate)
	}

	versions, _, _, err := s.ListPolicyVersions(ctx, mp.ARN, Page{})
	must(t, err)
	var ids []string
	for _, v := range versions {
		ids = append(ids, v.ID)
		if v.IsDefaultVersion != (v.ID == "v3") || v.Document != docs[v.ID] {
			t.Errorf("version %+v", v)
		}
	}
	if want := []string{"v5", "v4", "v3", "v2", "v1"}; !slices.Equal(ids, want) {
		t.Fatalf("ListPolicyVersions = %v, want %v (newest first)", ids, want)
	}
	page, marker, truncated, err := s.ListPolicyVersions(ctx, mp.ARN, Page{MaxItems: 2})
	must(t, err)
	if len(page) != 2 || page[0].ID != "v5" || !truncated {
		t.Fatalf("first page = %v %v", page, truncated)
	}
	page, _, truncated, err = s.ListPolicyVersions(ctx, mp.ARN, Page{MaxItems: 10, Marker: marker})
	must(t, err)
	if len(page) != 3 || page[0].ID != "v3" || truncated {
		t.Fatalf("second page = %v %v", page, truncated)
	}

	v, err := s.GetPolicyVersion(ctx, mp.ARN, "v2")
	must(t, err)
	if v.ID != "v2" || v.IsDefaultVersion || v.Document != docs["v2"] {
		t.Fatalf("GetPolicyVersion = %+v", v)
	}

	// The default version is what the authorizer evaluates.
	mustUser(t, s, "alice", "/")
	must(t, s.AttachUserPolicy(ctx, "alice", mp.ARN))
	p := &Principal{Kind: policy.User, ARN: "arn:aws:iam::123456789012:user/alice", Account: testAccount, UserName: "alice"}
	allowed := func(action string) bool {
		t.Helper()
		vd, err := s.Authorize(ctx, p, Env{}, Check{Action: action, Resource: "arn:aws:s3:::b/k"})
		must(t, err)
		return vd.Allowed()
	}
	if !allowed("s3:GetObject3") || allowed("s3:GetObject") {
		t.Fatal("the authorizer does not use default version v3")
	}
	must(t, s.SetDefaultPolicyVersion(ctx, mp.ARN, "v1"))
	if !allowed("s3:GetObject") || allowed("s3:GetObject3") {
		t.Fatal("the authorizer does not follow SetDefaultPolicyVersion to v1")
	}

	missing := "arn:aws:iam::123456789012:policy/Nope"
	tests := []struct {
		name          string
		err           error
		code, message string
	}{
		{"delete the default", s.DeletePolicyVersion(ctx, mp.ARN, "v1"), CodeDeleteConflict, "Cannot delete the default version of a policy."},
		{"delete a missing version", s.DeletePolicyVersion(ctx, mp.ARN, "v9"), CodeNoSuchEntity, "Policy " + mp.ARN + " version v9 does not exist or is not attachable."},
		{"get a missing version", func() error { _, err := s.GetPolicyVersion(ctx, mp.ARN, "v9"); return err }(), CodeNoSuchEntity, "Policy " + mp.ARN + " version v9 does not exist or is not attachable."},
		{"default a missing version", s.SetDefaultPolicyVersion(ctx, mp.ARN, "v9"), CodeNoSuchEntity, "Policy " + mp.ARN + " version v9 does not exist or is not attachable."},
		{"version of a missing policy", func() error { _, err := s.CreatePolicyVersion(ctx, missing, testDoc, true); return err }(), CodeNoSuchEntity, "Policy " + missing + " was not found."},
		{"list versions of a missing policy", func() error { _, _, _, err := s.ListPolicyVersions(ctx, missing, Page{}); return err }(), CodeNoSuchEntity, "Policy " + missing + " was not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantIAMError(t, tt.err, tt.code, tt.message) })
	}

	// Deleting a version makes room; version IDs are never reused.
	must(t, s.DeletePolicyVersion(ctx, mp.ARN, "v5"))
	must(t, s.DeletePolicyVersion(ctx, mp.ARN, "v4"))
	v, err = s.CreatePolicyVersion(ctx, mp.ARN, testDoc, false)
	must(t, err)
	if v.ID != "v6" {
		t.Fatalf("next version = %s, want v6", v.ID)
	}
	_, err = s.GetPolicyVersion(ctx, mp.ARN, "v5")
	wantIAMError(t, err, CodeNoSuchEntity, "Policy "+mp.ARN+" version v5 does not exist or is not attachable.")

	t.Run("quota from limits", func(t *testing.T) {
		s := newLimitedService(t, Limits{PolicyVersions: 2})
		mp := mustPolicy(t, s, "Mine", "/")
		_, err := s.CreatePolicyVersion(ctx, mp.ARN, testDoc, false)
		must(t, err)
		_, err = s.CreatePolicyVersion(ctx, mp.ARN, testDoc, false)
		wantIAMError(t, err, CodeLimitExceeded, "A managed policy can have up to 2 versions. Before you create a new version, you must delete an existing version.")
	})
	t.Run("malformed version", func(t *testing.T) {
		var e *Error
		_, err := s.CreatePolicyVersion(ctx, mp.ARN, `{"Statement":[`, false)
		if !errors.As(err, &e) || e.Code != CodeMalformedPolicy {
			t.Fatalf("CreatePolicyVersion(malformed) = %v, want %s", err, CodeMalformedPolicy)
		}
	})
}

func TestBuiltinPolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	pi, err := s.GetPolicy(ctx, adminARN)
	must(t, err)
	m, _ := policy.Builtin(adminARN)
	if !pi.AWS || pi.Name != "AdministratorAccess" || pi.DefaultVersion != m.DefaultVersionID || pi.Default() != m.Document {
		t.Fatalf("GetPolicy(built-in) = %+v", pi.ManagedPolicy)
	}
	v, err := s.GetPolicyVersion(ctx, adminARN, m.DefaultVersionID)
	must(t, err)
	if !v.IsDefaultVersion || v.Document != m.Document {
		t.Fatalf("GetPolicyVersion(built-in) = %+v", v)
	}
	versions, _, _, err := s.ListPolicyVersions(ctx, adminARN, Page{})
	must(t, err)
	if len(versions) != 1 || versions[0].ID != m.DefaultVersionID {
		t.Fatalf("ListPolicyVersions(built-in) = %v", versions)
	}
	tags, _, _, err := s.ListPolicyTags(ctx, adminARN, Page{})
	must(t, err)
	if len(tags) != 0 {
		t.Fatalf("ListPolicyTags(built-in) = %v", tags)
	}

	want := "Cannot perform the operation on the AWS managed policy " + adminARN + " - AWS managed policies are only modifiable by AWS."
	tests := []struct {
		name string
		err  error
	}{
		{"DeletePolicy", s.DeletePolicy(ctx, adminARN)},
		{"CreatePolicyVersion", func() error { _, err := s.CreatePolicyVersion(ctx, adminARN, testDoc, true); return err }()},
		{"DeletePolicyVersion", s.DeletePolicyVersion(ctx, adminARN, m.DefaultVersionID)},
		{"SetDefaultPolicyVersion", s.SetDefaultPolicyVersion(ctx, adminARN, m.DefaultVersionID)},
		{"TagPolicy", s.TagPolicy(ctx, adminARN, []Tag{{"k", "v"}})},
		{"UntagPolicy", s.UntagPolicy(ctx, adminARN, []string{"k"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantIAMError(t, tt.err, CodeUnmodifiableEntity, want) })
	}
	t.Run("missing built-in", func(t *testing.T) {
		arn := "arn:aws:iam::aws:policy/Nope"
		wantIAMError(t, s.DeletePolicy(ctx, arn), CodeNoSuchEntity, "Policy "+arn+" was not found.")
	})
	pi, err = s.GetPolicy(ctx, adminARN)
	must(t, err)
	if pi.Default() != m.Document {
		t.Fatal("a built-in policy changed")
	}
}

func TestPolicyTags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mp := mustPolicy(t, s, "Mine", "/")
	must(t, s.TagPolicy(ctx, mp.ARN, []Tag{{"Env", "dev"}, {"team", "a"}, {"cost", "1"}}))
	must(t, s.TagPolicy(ctx, mp.ARN, []Tag{{"env", "prod"}})) // keys compare without case
	must(t, s.UntagPolicy(ctx, mp.ARN, []string{"TEAM", "absent"}))
	tags, marker, truncated, err := s.ListPolicyTags(ctx, mp.ARN, Page{})
	must(t, err)
	if want := []Tag{{"env", "prod"}, {"cost", "1"}}; !slices.Equal(tags, want) || marker != "" || truncated {
		t.Fatalf("ListPolicyTags = %v, want %v", tags, want)
	}
	tags, marker, truncated, err = s.ListPolicyTags(ctx, mp.ARN, Page{MaxItems: 1})
	must(t, err)
	if len(tags) != 1 || !truncated || marker == "" {
		t.Fatalf("ListPolicyTags page = %v %q %v", tags, marker, truncated)
	}

	many := make([]Tag, 49)
	for i := range many {
		many[i] = Tag{Key: "k" + itoa(i)}
	}
	missing := "arn:aws:iam::123456789012:policy/Nope"
	tests := []struct {
		name          string
		err           error
		code, message string
	}{
		{"over 50 tags", s.TagPolicy(ctx, mp.ARN, many), CodeLimitExceeded, "The number of tags has reached the maximum limit."},
		{"tag a missing policy", s.TagPolicy(ctx, missing, []Tag{{"k", "v"}}), CodeNoSuchEntity, "Policy " + missing + " was not found."},
		{"untag a missing policy", s.UntagPolicy(ctx, missing, []string{"k"}), CodeNoSuchEntity, "Policy " + missing + " was not found."},
		{"list tags of a missing policy", func() error { _, _, _, err := s.ListPolicyTags(ctx, missing, Page{}); return err }(), CodeNoSuchEntity, "Policy " + missing + " was not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantIAMError(t, tt.err, tt.code, tt.message) })
	}
}

func TestListEntitiesForPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mp := mustPolicy(t, s, "Mine", "/")
	mustUser(t, s, "bob", "/")
	mustUser(t, s, "alice", "/eng/")
	_, err := s.CreateUser(ctx, CreateUserInput{Name: "carol", Boundary: mp.ARN})
	must(t, err)
	mustUser(t, s, "dave", "/")
	mustGroup(t, s, "Devs", "/eng/")
	mustGroup(t, s, "Ops", "/")
	putRole(t, s, &Role{Name: "worker", Path: "/", ID: "AROAWORKER", AttachedPolicies: []string{mp.ARN}})
	putRole(t, s, &Role{Name: "bounded", Path: "/", ID: "AROABOUNDED", Boundary: mp.ARN})
	for _, u := range []string{"bob", "alice"} {
		must(t, s.AttachUserPolicy(ctx, u, mp.ARN))
	}
	must(t, s.AttachGroupPolicy(ctx, "Devs", mp.ARN))
	must(t, s.AttachUserPolicy(ctx, "dave", adminARN))

	type want struct{ groups, users, roles []string }
	tests := []struct {
		name                       string
		arn, entity, prefix, usage string
		want                       want
	}{
		{"everything", mp.ARN, "", "", "", want{[]string{"Devs"}, []string{"alice", "bob", "carol"}, []string{"bounded", "worker"}}},
		{"permissions policy", mp.ARN, "", "", "PermissionsPolicy", want{[]string{"Devs"}, []string{"alice", "bob"}, []string{"worker"}}},
		{"permissions boundary", mp.ARN, "", "", "PermissionsBoundary", want{nil, []string{"carol"}, []string{"bounded"}}},
		{"users", mp.ARN, "User", "", "", want{nil, []string{"alice", "bob", "carol"}, nil}},
		{"groups", mp.ARN, "Group", "", "", want{[]string{"Devs"}, nil, nil}},
		{"roles", mp.ARN, "Role", "", "PermissionsPolicy", want{nil, nil, []string{"worker"}}},
		{"path prefix", mp.ARN, "", "/eng/", "", want{[]string{"Devs"}, []string{"alice"}, nil}},
		{"local filter on a local policy", mp.ARN, "LocalManagedPolicy", "", "PermissionsPolicy", want{[]string{"Devs"}, []string{"alice", "bob"}, []string{"worker"}}},
		{"AWS filter on a local policy", mp.ARN, "AWSManagedPolicy", "", "", want{}},
		{"built-in policy", adminARN, "", "", "", want{nil, []string{"dave"}, nil}},
		{"AWS filter on a built-in policy", adminARN, "AWSManagedPolicy", "", "", want{nil, []string{"dave"}, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := s.ListEntitiesForPolicy(ctx, tt.arn, tt.entity, tt.prefix, tt.usage, Page{})
			must(t, err)
			if !slices.Equal(entityNames(es.Groups), tt.want.groups) || !slices.Equal(entityNames(es.Users), tt.want.users) ||
				!slices.Equal(entityNames(es.Roles), tt.want.roles) || es.Truncated || es.Marker != "" {
				t.Fatalf("ListEntitiesForPolicy = %+v, want %+v", es, tt.want)
			}
		})
	}

	t.Run("IDs", func(t *testing.T) {
		es, err := s.ListEntitiesForPolicy(ctx, mp.ARN, "Role", "", "PermissionsPolicy", Page{})
		must(t, err)
		if len(es.Roles) != 1 || es.Roles[0] != (PolicyEntity{"worker", "AROAWORKER"}) {
			t.Fatalf("roles = %+v", es.Roles)
		}
		u, err := s.GetUser(ctx, "bob")
		must(t, err)
		es, err = s.ListEntitiesForPolicy(ctx, mp.ARN, "User", "", "PermissionsPolicy", Page{})
		must(t, err)
		if !slices.Contains(es.Users, PolicyEntity{"bob", u.ID}) {
			t.Fatalf("users = %+v, want bob with ID %s", es.Users, u.ID)
		}
	})

	t.Run("pagination across kinds", func(t *testing.T) {
		var got []string
		p := Page{MaxItems: 2}
		for pages := 0; ; pages++ {
			if pages > 6 {
				t.Fatal("pagination does not end")
			}
			es, err := s.ListEntitiesForPolicy(ctx, mp.ARN, "", "", "", p)
			must(t, err)
			n := len(es.Groups) + len(es.Users) + len(es.Roles)
			if n > 2 {
				t.Fatalf("page of %d entities, MaxItems 2", n)
			}
			got = append(got, entityNames(es.Groups)...)
			got = append(got, entityNames(es.Users)...)
			got = append(got, entityNames(es.Roles)...)
			if !es.Truncated {
				break
			}
			p.Marker = es.Marker
		}
		if want := []string{"Devs", "alice", "bob", "carol", "bounded", "worker"}; !slices.Equal(got, want) {
			t.Fatalf("paged entities = %v, want %v", got, want)
		}
	})

	missing := "arn:aws:iam::123456789012:policy/Nope"
	errTests := []struct {
		name, arn, entity, usage string
		code, message            string
	}{
		{"missing policy", missing, "", "", CodeNoSuchEntity, "Policy " + missing + " does not exist or is not attachable."},
		{"bad entity filter", mp.ARN, "Users", "", CodeValidationError, "1 validation error detected: Value 'Users' at 'entityFilter' failed to satisfy constraint: Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]"},
		{"bad usage filter", mp.ARN, "", "Both", CodeValidationError, "1 validation error detected: Value 'Both' at 'policyUsageFilter' failed to satisfy constraint: Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]"},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.ListEntitiesForPolicy(ctx, tt.arn, tt.entity, "", tt.usage, Page{})
			wantIAMError(t, err, tt.code, tt.message)
		})
	}
}
