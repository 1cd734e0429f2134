package iam

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"batchd/internal/iam/policy"
	"batchd/internal/store"
	"batchd/internal/store/memstore"
)

const testAccount = "123456789012"

// testDoc is a small identity policy every kind of holder accepts.
const testDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`

// newTestService returns a Service over an empty in-memory store, with a
// keyring of 32 zero bytes and a clock that moves one second a call.
func newTestService(t testing.TB) *Service {
	t.Helper()
	return newLimitedService(t, Limits{})
}

// newLimitedService is newTestService with quotas other than AWS's.
func newLimitedService(t testing.TB, limits Limits) *Service {
	t.Helper()
	keys, err := NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	var tick atomic.Int64
	start := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	return New(Config{
		Store: st, Keyring: keys, AccountID: testAccount, Region: "us-east-1", Limits: limits,
		Now: func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Second) },
	})
}

// wantIAMError fails unless err is an *Error with code and message.
func wantIAMError(t testing.TB, err error, code, message string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want %s: %s", err, code, message)
	}
	if e.Code != code || e.Message != message {
		t.Fatalf("error = %s: %q\nwant    %s: %q", e.Code, e.Message, code, message)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustUser(t testing.TB, s *Service, name, path string) *User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), CreateUserInput{Name: name, Path: path})
	must(t, err)
	return u
}

func mustGroup(t testing.TB, s *Service, name, path string) *Group {
	t.Helper()
	g, err := s.CreateGroup(context.Background(), name, path)
	must(t, err)
	return g
}

func userNames(us []*User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Name)
	}
	return out
}

func groupNames(gs []*Group) []string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

func TestCreateGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newLimitedService(t, Limits{Groups: 2})
	g := mustGroup(t, s, "Devs", "/eng/")
	if g.ARN != "arn:aws:iam::123456789012:group/eng/Devs" || g.Path != "/eng/" || len(g.ID) != 21 || g.ID[:4] != "AGPA" || g.CreateDate.IsZero() {
		t.Fatalf("CreateGroup = %+v", g)
	}
	if g, _ := s.CreateGroup(ctx, "Ops", ""); g == nil || g.Path != "/" || g.ARN != "arn:aws:iam::123456789012:group/Ops" {
		t.Fatalf("CreateGroup default path = %+v", g)
	}
	tests := []struct {
		name, group, path string
		code, message     string
	}{
		{"same name", "Devs", "/", CodeEntityAlreadyExists, "Group with name Devs already exists."},
		{"name differing in case", "devs", "/other/", CodeEntityAlreadyExists, "Group with name devs already exists."},
		{"path without slashes", "New", "eng", CodeValidationError, "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."},
		{"quota", "New", "/", CodeLimitExceeded, "Cannot exceed quota for GroupsPerAccount: 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateGroup(ctx, tt.group, tt.path)
			wantIAMError(t, err, tt.code, tt.message)
		})
	}
}

func TestGetGroupNotFound(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	_, _, _, _, err := s.GetGroup(context.Background(), "nope", Page{})
	wantIAMError(t, err, CodeNoSuchEntity, "The group with name nope cannot be found.")
}

func TestGroupMembership(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mustGroup(t, s, "Devs", "/")
	for _, n := range []string{"carol", "Alice", "bob", "dave"} {
		mustUser(t, s, n, "/")
	}
	for _, n := range []string{"carol", "ALICE", "bob"} {
		must(t, s.AddUserToGroup(ctx, "devs", n))
	}
	// Adding a member again is a no-op.
	must(t, s.AddUserToGroup(ctx, "DEVS", "alice"))

	g, members, marker, truncated, err := s.GetGroup(ctx, "dEvS", Page{})
	must(t, err)
	if g.Name != "Devs" || marker != "" || truncated {
		t.Fatalf("GetGroup = %+v %q %v", g, marker, truncated)
	}
	if got, want := userNames(members), []string{"Alice", "bob", "carol"}; !slices.Equal(got, want) {
		t.Fatalf("members = %v, want %v", got, want)
	}
	u, err := s.GetUser(ctx, "alice")
	must(t, err)
	if !slices.Equal(u.Groups, []string{"Devs"}) {
		t.Fatalf("alice's groups = %v, want [Devs]", u.Groups)
	}

	errTests := []struct {
		name, group, user string
		remove            bool
		code, message     string
	}{
		{"add to a missing group", "nope", "bob", false, CodeNoSuchEntity, "The group with name nope cannot be found."},
		{"add a missing user", "Devs", "nobody", false, CodeNoSuchEntity, "The user with name nobody cannot be found."},
		{"remove from a missing group", "nope", "bob", true, CodeNoSuchEntity, "The group with name nope cannot be found."},
		{"remove a missing user", "Devs", "nobody", true, CodeNoSuchEntity, "The user with name nobody cannot be found."},
		{"remove a non-member", "Devs", "dave", true, CodeNoSuchEntity, "The user with name dave cannot be found."},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.remove {
				err = s.RemoveUserFromGroup(ctx, tt.group, tt.user)
			} else {
				err = s.AddUserToGroup(ctx, tt.group, tt.user)
			}
			wantIAMError(t, err, tt.code, tt.message)
		})
	}

	must(t, s.RemoveUserFromGroup(ctx, "DEVS", "BOB"))
	_, members, _, _, err = s.GetGroup(ctx, "Devs", Page{})
	must(t, err)
	if got, want := userNames(members), []string{"Alice", "carol"}; !slices.Equal(got, want) {
		t.Fatalf("members after removal = %v, want %v", got, want)
	}
	// A user can leave all groups and then be deleted.
	must(t, s.DeleteUser(ctx, "bob"))
}

func TestGroupsPerUserQuota(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mustUser(t, s, "alice", "/")
	for i := range 11 {
		mustGroup(t, s, "g"+itoa(i), "/")
	}
	for i := range 10 {
		must(t, s.AddUserToGroup(ctx, "g"+itoa(i), "alice"))
	}
	// Re-adding at the quota is still a no-op, not an error.
	must(t, s.AddUserToGroup(ctx, "g0", "alice"))
	wantIAMError(t, s.AddUserToGroup(ctx, "g10", "alice"), CodeLimitExceeded, "Cannot exceed quota for GroupsPerUser: 10")
}

func TestGetGroupPagination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mustGroup(t, s, "Devs", "/")
	for _, n := range []string{"u1", "u2", "u3", "u4", "u5"} {
		mustUser(t, s, n, "/")
		must(t, s.AddUserToGroup(ctx, "Devs", n))
	}
	var got []string
	p := Page{MaxItems: 2}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		_, members, marker, truncated, err := s.GetGroup(ctx, "Devs", p)
		must(t, err)
		got = append(got, userNames(members)...)
		if !truncated {
			if marker != "" {
				t.Fatalf("last page has marker %q", marker)
			}
			break
		}
		p.Marker = marker
	}
	if want := []string{"u1", "u2", "u3", "u4", "u5"}; !slices.Equal(got, want) {
		t.Fatalf("paged members = %v, want %v", got, want)
	}
	_, _, _, _, err := s.GetGroup(ctx, "Devs", Page{Marker: "garbage"})
	wantIAMError(t, err, CodeInvalidInput, "Invalid Marker.")
}

func TestListGroups(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mustGroup(t, s, "b", "/eng/")
	mustGroup(t, s, "A", "/eng/web/")
	mustGroup(t, s, "c", "/ops/")
	tests := []struct {
		name, prefix string
		page         Page
		want         []string
		truncated    bool
	}{
		{"all", "", Page{}, []string{"A", "b", "c"}, false},
		{"path prefix", "/eng/", Page{}, []string{"A", "b"}, false},
		{"deeper prefix", "/eng/web/", Page{}, []string{"A"}, false},
		{"no match", "/x/", Page{}, nil, false},
		{"first page", "", Page{MaxItems: 2}, []string{"A", "b"}, true},
		{"second page", "", Page{MaxItems: 2, Marker: formatMarker(2)}, []string{"c"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups, _, truncated, err := s.ListGroups(ctx, tt.prefix, tt.page)
			must(t, err)
			if got := groupNames(groups); !slices.Equal(got, tt.want) || truncated != tt.truncated {
				t.Fatalf("ListGroups = %v truncated %v, want %v %v", got, truncated, tt.want, tt.truncated)
			}
		})
	}
}

func TestListGroupsForUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mustUser(t, s, "alice", "/")
	for _, g := range []string{"zeta", "Alpha", "mid"} {
		mustGroup(t, s, g, "/")
		must(t, s.AddUserToGroup(ctx, g, "alice"))
	}
	groups, _, _, err := s.ListGroupsForUser(ctx, "ALICE", Page{})
	must(t, err)
	if got, want := groupNames(groups), []string{"Alpha", "mid", "zeta"}; !slices.Equal(got, want) {
		t.Fatalf("ListGroupsForUser = %v, want %v", got, want)
	}
	groups, marker, truncated, err := s.ListGroupsForUser(ctx, "alice", Page{MaxItems: 1, Marker: formatMarker(1)})
	must(t, err)
	if got := groupNames(groups); !slices.Equal(got, []string{"mid"}) || !truncated || marker != formatMarker(2) {
		t.Fatalf("page = %v %q %v", got, marker, truncated)
	}
	_, _, _, err = s.ListGroupsForUser(ctx, "nobody", Page{})
	wantIAMError(t, err, CodeNoSuchEntity, "The user with name nobody cannot be found.")
}

func TestUpdateGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mustGroup(t, s, "Devs", "/")
	mustGroup(t, s, "Ops", "/")
	mustUser(t, s, "alice", "/")
	mustUser(t, s, "bob", "/")
	for _, u := range []string{"alice", "bob"} {
		must(t, s.AddUserToGroup(ctx, "Devs", u))
	}
	must(t, s.AddUserToGroup(ctx, "Ops", "bob"))
	must(t, s.PutGroupPolicy(ctx, "Devs", "read", testDoc))

	must(t, s.UpdateGroup(ctx, "devs", "Engineers", "/eng/"))

	_, _, _, _, err := s.GetGroup(ctx, "Devs", Page{})
	wantIAMError(t, err, CodeNoSuchEntity, "The group with name Devs cannot be found.")
	g, members, _, _, err := s.GetGroup(ctx, "engineers", Page{})
	must(t, err)
	if g.Name != "Engineers" || g.Path != "/eng/" || g.ARN != "arn:aws:iam::123456789012:group/eng/Engineers" {
		t.Fatalf("renamed group = %+v", g)
	}
	if got, want := userNames(members), []string{"alice", "bob"}; !slices.Equal(got, want) {
		t.Fatalf("members after rename = %v, want %v", got, want)
	}
	groups, _, _, err := s.ListGroupsForUser(ctx, "bob", Page{})
	must(t, err)
	if got, want := groupNames(groups), []string{"Engineers", "Ops"}; !slices.Equal(got, want) {
		t.Fatalf("bob's groups = %v, want %v", got, want)
	}
	if doc, err := s.GetGroupPolicy(ctx, "Engineers", "read"); err != nil || doc != testDoc {
		t.Fatalf("inline policy after rename = %q, %v", doc, err)
	}

	// The renamed group's policy still reaches its members.
	p := &Principal{Kind: policy.User, ARN: "arn:aws:iam::123456789012:user/alice", Account: testAccount, UserName: "alice"}
	v, err := s.Authorize(ctx, p, Env{}, Check{Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/key"})
	must(t, err)
	if !v.Allowed() {
		t.Fatalf("member of renamed group denied: %+v", v.Decision)
	}

	// A change of case only keeps the group and its members.
	must(t, s.UpdateGroup(ctx, "Engineers", "ENGINEERS", ""))
	g, members, _, _, err = s.GetGroup(ctx, "engineers", Page{})
	must(t, err)
	if g.Name != "ENGINEERS" || g.Path != "/eng/" || len(members) != 2 {
		t.Fatalf("after case change: %+v, %v", g, userNames(members))
	}

	errTests := []struct {
		name, group, newName, newPath string
		code, message                 string
	}{
		{"missing group", "nope", "x", "", CodeNoSuchEntity, "The group with name nope cannot be found."},
		{"new name taken", "ENGINEERS", "ops", "", CodeEntityAlreadyExists, "Group with name ops already exists."},
		{"bad path", "ENGINEERS", "", "x", CodeValidationError, "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			wantIAMError(t, s.UpdateGroup(ctx, tt.group, tt.newName, tt.newPath), tt.code, tt.message)
		})
	}
}

func TestDeleteGroup(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	tests := []struct {
		name          string
		setup         func(t *testing.T, s *Service)
		code, message string
	}{
		{"empty", func(*testing.T, *Service) {}, "", ""},
		{"with members", func(t *testing.T, s *Service) {
			mustUser(t, s, "alice", "/")
			must(t, s.AddUserToGroup(ctx, "Devs", "alice"))
		}, CodeDeleteConflict, "Cannot delete entity, must remove users from group first."},
		{"with inline policies", func(t *testing.T, s *Service) {
			must(t, s.PutGroupPolicy(ctx, "Devs", "p", testDoc))
		}, CodeDeleteConflict, "Cannot delete entity, must delete policies first."},
		{"with attached policies", func(t *testing.T, s *Service) {
			must(t, s.AttachGroupPolicy(ctx, "Devs", admin))
		}, CodeDeleteConflict, "Cannot delete entity, must detach all policies first."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestService(t)
			mustGroup(t, s, "Devs", "/")
			tt.setup(t, s)
			err := s.DeleteGroup(ctx, "devs")
			if tt.code == "" {
				must(t, err)
				_, _, _, _, err := s.GetGroup(ctx, "Devs", Page{})
				wantIAMError(t, err, CodeNoSuchEntity, "The group with name Devs cannot be found.")
				return
			}
			wantIAMError(t, err, tt.code, tt.message)
		})
	}
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		wantIAMError(t, newTestService(t).DeleteGroup(ctx, "nope"), CodeNoSuchEntity, "The group with name nope cannot be found.")
	})
}

func TestGroupInlinePolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestService(t)
	mustGroup(t, s, "Devs", "/")
	must(t, s.PutGroupPolicy(ctx, "devs", "Read", testDoc))
	must(t, s.PutGroupPolicy(ctx, "Devs", "Admin", testDoc))
	names, err := s.ListGroupPolicies(ctx, "DEVS")
	must(t, err)
	if want := []string{"Admin", "Read"}; !slices.Equal(names, want) {
		t.Fatalf("ListGroupPolicies = %v, want %v", names, want)
	}
	if doc, err := s.GetGroupPolicy(ctx, "Devs", "read"); err != nil || doc != testDoc {
		t.Fatalf("GetGroupPolicy = %q, %v", doc, err)
	}
	must(t, s.DeleteGroupPolicy(ctx, "Devs", "READ"))

	tests := []struct {
		name          string
		err           error
		code, message string
	}{
		{"get deleted", func() error { _, err := s.GetGroupPolicy(ctx, "Devs", "Read"); return err }(), CodeNoSuchEntity, "The group policy with name Read cannot be found."},
		{"delete deleted", s.DeleteGroupPolicy(ctx, "Devs", "Read"), CodeNoSuchEntity, "The group policy with name Read cannot be found."},
		{"put on missing group", s.PutGroupPolicy(ctx, "nope", "p", testDoc), CodeNoSuchEntity, "The group with name nope cannot be found."},
		{"list of missing group", func() error { _, err := s.ListGroupPolicies(ctx, "nope"); return err }(), CodeNoSuchEntity, "The group with name nope cannot be found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantIAMError(t, tt.err, tt.code, tt.message) })
	}
	t.Run("malformed document", func(t *testing.T) {
		var e *Error
		if err := s.PutGroupPolicy(ctx, "Devs", "bad", `{"Statement":`); !errors.As(err, &e) || e.Code != CodeMalformedPolicy {
			t.Fatalf("PutGroupPolicy(malformed) = %v, want %s", err, CodeMalformedPolicy)
		}
	})
}

func TestGroupAttachedPolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newLimitedService(t, Limits{ManagedPoliciesPerEntity: 2})
	mustGroup(t, s, "Devs", "/")
	mp, err := s.CreatePolicy(ctx, CreatePolicyInput{Name: "Mine", Path: "/team/", Document: testDoc})
	must(t, err)
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	must(t, s.AttachGroupPolicy(ctx, "devs", admin))
	must(t, s.AttachGroupPolicy(ctx, "Devs", mp.ARN))
	must(t, s.AttachGroupPolicy(ctx, "Devs", mp.ARN)) // again: no-op

	all, err := s.ListAttachedGroupPolicies(ctx, "Devs", "")
	must(t, err)
	if want := []AttachedPolicy{{"AdministratorAccess", admin}, {"Mine", mp.ARN}}; !slices.Equal(all, want) {
		t.Fatalf("ListAttachedGroupPolicies = %v, want %v", all, want)
	}
	team, err := s.ListAttachedGroupPolicies(ctx, "Devs", "/team/")
	must(t, err)
	if want := []AttachedPolicy{{"Mine", mp.ARN}}; !slices.Equal(team, want) {
		t.Fatalf("ListAttachedGroupPolicies(/team/) = %v, want %v", team, want)
	}

	missing := "arn:aws:iam::123456789012:policy/Nope"
	tests := []struct {
		name          string
		err           error
		code, message string
	}{
		{"quota", s.AttachGroupPolicy(ctx, "Devs", "arn:aws:iam::aws:policy/ReadOnlyAccess"), CodeLimitExceeded, "Cannot exceed quota for PoliciesPerGroup: 2"},
		{"missing policy", s.AttachGroupPolicy(ctx, "Devs", missing), CodeNoSuchEntity, "Policy " + missing + " does not exist or is not attachable."},
		{"not attachable", s.AttachGroupPolicy(ctx, "Devs", "arn:aws:iam::aws:policy/aws-service-role/BatchServiceRolePolicy"), CodePolicyNotAttachable, "Policy arn:aws:iam::aws:policy/aws-service-role/BatchServiceRolePolicy is not attachable."},
		{"missing group", s.AttachGroupPolicy(ctx, "nope", admin), CodeNoSuchEntity, "The group with name nope cannot be found."},
		{"detach unattached", s.DetachGroupPolicy(ctx, "Devs", missing), CodeNoSuchEntity, "Policy " + missing + " was not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantIAMError(t, tt.err, tt.code, tt.message) })
	}

	must(t, s.DetachGroupPolicy(ctx, "Devs", admin))
	all, err = s.ListAttachedGroupPolicies(ctx, "Devs", "")
	must(t, err)
	if want := []AttachedPolicy{{"Mine", mp.ARN}}; !slices.Equal(all, want) {
		t.Fatalf("after detach = %v, want %v", all, want)
	}
}

// putRole stores a role directly, so that these tests do not depend on the
// role operations.
func putRole(t testing.TB, s *Service, r *Role) {
	t.Helper()
	if r.ARN == "" {
		r.ARN = s.arn("role" + r.Path + r.Name)
	}
	must(t, s.update(context.Background(), func(tx store.Tx) error { return put(tx, kindRole, nameKey(r.Name), r) }))
}
