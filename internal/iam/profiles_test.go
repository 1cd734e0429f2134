package iam

import (
	"context"
	"regexp"
	"slices"
	"testing"
)

func rtProfileNames(ps []*InstanceProfileDetail) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Profile.Name)
	}
	return out
}

func TestCreateInstanceProfile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, profile, path string
		tags                []Tag
		limits              Limits
		code, msg           string
	}{
		{name: "defaults", profile: "web"},
		{name: "path and tags", profile: "web", path: "/svc/", tags: []Tag{{"k", "v"}}},
		{name: "bad path", profile: "web", path: "/svc", code: CodeValidationError,
			msg: "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."},
		{name: "duplicate regardless of case", profile: "EXISTING", code: CodeEntityAlreadyExists, msg: "Instance Profile EXISTING already exists."},
		{name: "quota", profile: "web", limits: Limits{InstanceProfiles: 1}, code: CodeLimitExceeded, msg: "Cannot exceed quota for InstanceProfilesPerAccount: 1"},
		{name: "too many tags", profile: "web", tags: rtTags(51), code: CodeLimitExceeded, msg: "The number of tags has reached the maximum limit."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newRolesTestServiceLimits(t, tc.limits)
			_, err := s.CreateInstanceProfile(ctx, "existing", "", nil)
			rtMust(t, err)
			p, err := s.CreateInstanceProfile(ctx, tc.profile, tc.path, tc.tags)
			if tc.code != "" {
				rtWantErr(t, err, tc.code, tc.msg)
				return
			}
			rtMust(t, err)
			path := tc.path
			if path == "" {
				path = "/"
			}
			if p.ARN != "arn:aws:iam::123456789012:instance-profile"+path+tc.profile || p.Path != path || len(p.Roles) != 0 || len(p.Tags) != len(tc.tags) {
				t.Errorf("profile %+v", p)
			}
			if !regexp.MustCompile(`^AIPA[A-Z2-7]{17}$`).MatchString(p.ID) {
				t.Errorf("ID %s", p.ID)
			}
		})
	}
}

func TestInstanceProfileRoles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	rtRole(t, s, "app", "")
	rtRole(t, s, "other", "")
	for _, n := range []string{"b", "a"} {
		_, err := s.CreateInstanceProfile(ctx, n, "", nil)
		rtMust(t, err)
	}
	notFound := "Instance Profile nope cannot be found."
	roleNotFound := "The role with name nope cannot be found."

	rtMust(t, s.AddRoleToInstanceProfile(ctx, "A", "APP"))
	rtMust(t, s.AddRoleToInstanceProfile(ctx, "b", "app"))
	errs := []struct {
		name      string
		err       error
		code, msg string
	}{
		{"add a second role", s.AddRoleToInstanceProfile(ctx, "a", "other"), CodeLimitExceeded, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"},
		{"add the same role again", s.AddRoleToInstanceProfile(ctx, "a", "app"), CodeLimitExceeded, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1"},
		{"add to no profile", s.AddRoleToInstanceProfile(ctx, "nope", "app"), CodeNoSuchEntity, notFound},
		{"add no role", s.AddRoleToInstanceProfile(ctx, "a", "nope"), CodeNoSuchEntity, roleNotFound},
		{"remove a role not in it", s.RemoveRoleFromInstanceProfile(ctx, "a", "other"), CodeNoSuchEntity, "The role with name other cannot be found in instance profile a."},
		{"remove from no profile", s.RemoveRoleFromInstanceProfile(ctx, "nope", "app"), CodeNoSuchEntity, notFound},
		{"remove no role", s.RemoveRoleFromInstanceProfile(ctx, "a", "nope"), CodeNoSuchEntity, roleNotFound},
		{"delete with a role", s.DeleteInstanceProfile(ctx, "a"), CodeDeleteConflict, "Cannot delete entity, must remove roles from instance profile first."},
		{"delete no profile", s.DeleteInstanceProfile(ctx, "nope"), CodeNoSuchEntity, notFound},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) { rtWantErr(t, tc.err, tc.code, tc.msg) })
	}
	_, err := s.GetInstanceProfile(ctx, "nope")
	rtWantErr(t, err, CodeNoSuchEntity, notFound)

	d, err := s.GetInstanceProfile(ctx, "a")
	rtMust(t, err)
	if len(d.Roles) != 1 || d.Roles[0].Name != "app" || !slices.Equal(d.Profile.Roles, []string{"app"}) {
		t.Errorf("profile %+v roles %v", d.Profile, d.Roles)
	}
	all, _, truncated, err := s.ListInstanceProfiles(ctx, "", Page{})
	rtMust(t, err)
	if got := rtProfileNames(all); !slices.Equal(got, []string{"a", "b"}) || truncated || len(all[1].Roles) != 1 {
		t.Errorf("ListInstanceProfiles = %v, %v", got, truncated)
	}
	forRole, _, _, err := s.ListInstanceProfilesForRole(ctx, "app", Page{})
	rtMust(t, err)
	if got := rtProfileNames(forRole); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("ListInstanceProfilesForRole = %v", got)
	}
	page, marker, truncated, err := s.ListInstanceProfilesForRole(ctx, "app", Page{MaxItems: 1})
	rtMust(t, err)
	if got := rtProfileNames(page); !slices.Equal(got, []string{"a"}) || !truncated || marker == "" {
		t.Errorf("page = %v, %v, %q", got, truncated, marker)
	}
	_, _, _, err = s.ListInstanceProfilesForRole(ctx, "nope", Page{})
	rtWantErr(t, err, CodeNoSuchEntity, roleNotFound)

	rtMust(t, s.RemoveRoleFromInstanceProfile(ctx, "a", "app"))
	rtMust(t, s.DeleteInstanceProfile(ctx, "A"))
	forRole, _, _, _ = s.ListInstanceProfilesForRole(ctx, "app", Page{})
	if got := rtProfileNames(forRole); !slices.Equal(got, []string{"b"}) {
		t.Errorf("after removal = %v", got)
	}
}

func TestListInstanceProfilesByPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	for _, p := range [][2]string{{"c", "/x/y/"}, {"a", "/"}, {"b", "/x/"}} {
		_, err := s.CreateInstanceProfile(ctx, p[0], p[1], nil)
		rtMust(t, err)
	}
	got, _, _, err := s.ListInstanceProfiles(ctx, "/x/", Page{})
	rtMust(t, err)
	if names := rtProfileNames(got); !slices.Equal(names, []string{"b", "c"}) {
		t.Errorf("ListInstanceProfiles(/x/) = %v", names)
	}
	_, _, _, err = s.ListInstanceProfiles(ctx, "", Page{Marker: "x"})
	rtWantErr(t, err, CodeInvalidInput, "Invalid Marker.")
}

func TestInstanceProfileTags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	_, err := s.CreateInstanceProfile(ctx, "web", "", []Tag{{"a", "1"}})
	rtMust(t, err)
	rtMust(t, s.TagInstanceProfile(ctx, "web", []Tag{{"b", "2"}, {"A", "3"}}))
	tags, _, _, err := s.ListInstanceProfileTags(ctx, "WEB", Page{})
	rtMust(t, err)
	if !slices.Equal(tags, []Tag{{"A", "3"}, {"b", "2"}}) {
		t.Errorf("tags %v", tags)
	}
	rtMust(t, s.UntagInstanceProfile(ctx, "web", []string{"B"}))
	tags, _, _, _ = s.ListInstanceProfileTags(ctx, "web", Page{})
	if !slices.Equal(tags, []Tag{{"A", "3"}}) {
		t.Errorf("tags after untag %v", tags)
	}
	notFound := "Instance Profile nope cannot be found."
	rtWantErr(t, s.TagInstanceProfile(ctx, "web", rtTags(50)), CodeLimitExceeded, "The number of tags has reached the maximum limit.")
	rtWantErr(t, s.TagInstanceProfile(ctx, "nope", rtTags(1)), CodeNoSuchEntity, notFound)
	rtWantErr(t, s.UntagInstanceProfile(ctx, "nope", []string{"a"}), CodeNoSuchEntity, notFound)
	_, _, _, err = s.ListInstanceProfileTags(ctx, "nope", Page{})
	rtWantErr(t, err, CodeNoSuchEntity, notFound)
}
