package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const gpAccount = "123456789012"

// gpAllow is a policy document allowing actions on resource.
func gpAllow(resource string, actions ...string) string {
	b, err := json.Marshal(map[string]any{
		"Version":   "2012-10-17",
		"Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": resource}},
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// gpDenied is AWS's AccessDenied message for an implicit deny of a user.
func gpDenied(user, action, resource string) string {
	return "User: arn:aws:iam::" + gpAccount + ":user/" + user + " is not authorized to perform: " + action +
		" on resource: " + resource + " because no identity-based policy allows the " + action + " action"
}

// gpWantDenied checks err is exactly AWS's implicit-deny AccessDenied.
func gpWantDenied(t testing.TB, err error, user, action, resource string) {
	t.Helper()
	want := gpDenied(user, action, resource)
	wantAPIError(t, err, "AccessDenied", want)
	if msg := err.Error(); !strings.HasSuffix(msg, want) {
		t.Fatalf("message = %q, want exactly %q", msg, want)
	}
}

// gpResult holds a call's answer until ok checks it: gpMust(c.Op(ctx, in)).ok(t).
type gpResult[T any] struct {
	v   T
	err error
}

func gpMust[T any](v T, err error) gpResult[T] { return gpResult[T]{v, err} }

func (r gpResult[T]) ok(t testing.TB) T {
	t.Helper()
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.v
}

func gpCreateUser(t testing.TB, admin *iam.Client, name string) *iamtypes.User {
	t.Helper()
	out := gpMust(admin.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)})).ok(t)
	return out.User
}

func gpGroupNames(gs []iamtypes.Group) []string {
	var out []string
	for _, g := range gs {
		out = append(out, *g.GroupName)
	}
	return out
}

func gpDecode(t testing.TB, doc *string) string {
	t.Helper()
	if doc == nil {
		t.Fatal("document missing")
	}
	s, err := url.QueryUnescape(*doc)
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", *doc, err)
	}
	return s
}

func TestGroupsLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)

	cg := gpMust(admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs"), Path: aws.String("/eng/")})).ok(t)
	g := cg.Group
	if *g.GroupName != "devs" || *g.Path != "/eng/" || *g.Arn != "arn:aws:iam::"+gpAccount+":group/eng/devs" ||
		!strings.HasPrefix(*g.GroupId, "AGPA") || len(*g.GroupId) != 21 || g.CreateDate == nil || g.CreateDate.IsZero() {
		t.Fatalf("CreateGroup = %+v", g)
	}
	_, err := admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("DEVS")})
	wantAPIError(t, err, "EntityAlreadyExists", "Group with name DEVS already exists.")
	_, err = admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("x"), Path: aws.String("eng")})
	wantAPIError(t, err, "ValidationError", "path")

	gg := gpMust(admin.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})).ok(t)
	if *gg.Group.GroupId != *g.GroupId || *gg.Group.Arn != *g.Arn || len(gg.Users) != 0 || gg.IsTruncated || gg.Marker != nil {
		t.Fatalf("GetGroup (empty) = %+v", gg)
	}

	// Members, and GetGroup's pages.
	users := map[string]*iamtypes.User{}
	for _, n := range []string{"u1", "u2", "u3"} {
		users[n] = gpCreateUser(t, admin, n)
		gpMust(admin.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String(n)})).ok(t)
	}
	// Adding a member again changes nothing.
	gpMust(admin.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("u1")})).ok(t)
	_, err = admin.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("ghost")})
	wantAPIError(t, err, "NoSuchEntity", "The user with name ghost cannot be found.")
	_, err = admin.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("nogroup"), UserName: aws.String("u1")})
	wantAPIError(t, err, "NoSuchEntity", "The group with name nogroup cannot be found.")

	var members []iamtypes.User
	pages := 0
	for p := iam.NewGetGroupPaginator(admin, &iam.GetGroupInput{GroupName: aws.String("devs"), MaxItems: aws.Int32(2)}); p.HasMorePages(); {
		out := gpMust(p.NextPage(ctx)).ok(t)
		pages++
		if *out.Group.GroupName != "devs" {
			t.Fatalf("GetGroup page group = %+v", out.Group)
		}
		if pages == 1 && (!out.IsTruncated || out.Marker == nil || len(out.Users) != 2) {
			t.Fatalf("GetGroup first page = %+v", out)
		}
		members = append(members, out.Users...)
	}
	if pages != 2 || len(members) != 3 {
		t.Fatalf("GetGroup pages = %d, members = %d", pages, len(members))
	}
	for _, m := range members {
		u := users[*m.UserName]
		if u == nil || *m.UserId != *u.UserId || *m.Arn != *u.Arn || *m.Path != "/" || m.CreateDate == nil {
			t.Fatalf("member %+v, want %+v", m, u)
		}
	}

	// ListGroups: pages and path prefix.
	for _, n := range []string{"g1", "g2", "g3", "g4"} {
		gpMust(admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(n)})).ok(t)
	}
	var all []iamtypes.Group
	pages = 0
	for p := iam.NewListGroupsPaginator(admin, &iam.ListGroupsInput{MaxItems: aws.Int32(2)}); p.HasMorePages(); {
		out := gpMust(p.NextPage(ctx)).ok(t)
		pages++
		all = append(all, out.Groups...)
	}
	if got := gpGroupNames(all); pages != 3 || !slices.Equal(got, []string{"devs", "g1", "g2", "g3", "g4"}) {
		t.Fatalf("ListGroups = %v in %d pages", got, pages)
	}
	lg := gpMust(admin.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: aws.String("/eng/")})).ok(t)
	if got := gpGroupNames(lg.Groups); !slices.Equal(got, []string{"devs"}) || lg.IsTruncated || *lg.Groups[0].Arn != *g.Arn {
		t.Fatalf("ListGroups /eng/ = %v", got)
	}
	_, err = admin.ListGroups(ctx, &iam.ListGroupsInput{Marker: aws.String("bogus")})
	wantAPIError(t, err, "InvalidInput", "Invalid Marker.")

	// ListGroupsForUser, paginated.
	gpMust(admin.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g2"), UserName: aws.String("u1")})).ok(t)
	var ofUser []iamtypes.Group
	pages = 0
	for p := iam.NewListGroupsForUserPaginator(admin, &iam.ListGroupsForUserInput{UserName: aws.String("u1"), MaxItems: aws.Int32(1)}); p.HasMorePages(); {
		out := gpMust(p.NextPage(ctx)).ok(t)
		pages++
		ofUser = append(ofUser, out.Groups...)
	}
	if got := gpGroupNames(ofUser); pages != 2 || !slices.Equal(got, []string{"devs", "g2"}) || *ofUser[0].GroupId != *g.GroupId {
		t.Fatalf("ListGroupsForUser = %v in %d pages", got, pages)
	}
	_, err = admin.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("ghost")})
	wantAPIError(t, err, "NoSuchEntity", "The user with name ghost cannot be found.")

	// UpdateGroup: rename and move; members follow.
	gpMust(admin.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("devs"), NewGroupName: aws.String("developers"), NewPath: aws.String("/rd/")})).ok(t)
	_, err = admin.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")})
	wantAPIError(t, err, "NoSuchEntity", "The group with name devs cannot be found.")
	gg = gpMust(admin.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("developers")})).ok(t)
	if *gg.Group.Arn != "arn:aws:iam::"+gpAccount+":group/rd/developers" || *gg.Group.Path != "/rd/" || *gg.Group.GroupId != *g.GroupId || len(gg.Users) != 3 {
		t.Fatalf("GetGroup after update = %+v (%d users)", gg.Group, len(gg.Users))
	}
	_, err = admin.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("g1"), NewGroupName: aws.String("G2")})
	wantAPIError(t, err, "EntityAlreadyExists", "Group with name G2 already exists.")

	// Inline policies.
	doc := gpAllow("*", "iam:ListUsers")
	gpMust(admin.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("developers"), PolicyName: aws.String("list"), PolicyDocument: aws.String(doc)})).ok(t)
	gpMust(admin.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("developers"), PolicyName: aws.String("another"), PolicyDocument: aws.String(doc)})).ok(t)
	gp := gpMust(admin.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("developers"), PolicyName: aws.String("list")})).ok(t)
	if *gp.GroupName != "developers" || *gp.PolicyName != "list" || gpDecode(t, gp.PolicyDocument) != doc {
		t.Fatalf("GetGroupPolicy = %s %s %s", *gp.GroupName, *gp.PolicyName, *gp.PolicyDocument)
	}
	var names []string
	pages = 0
	for p := iam.NewListGroupPoliciesPaginator(admin, &iam.ListGroupPoliciesInput{GroupName: aws.String("developers"), MaxItems: aws.Int32(1)}); p.HasMorePages(); {
		out := gpMust(p.NextPage(ctx)).ok(t)
		pages++
		names = append(names, out.PolicyNames...)
	}
	if pages != 2 || !slices.Equal(names, []string{"another", "list"}) {
		t.Fatalf("ListGroupPolicies = %v in %d pages", names, pages)
	}
	_, err = admin.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("developers"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Statement":[]}`)})
	wantAPIError(t, err, "MalformedPolicyDocument", "Statement")
	_, err = admin.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("developers"), PolicyName: aws.String("nope")})
	wantAPIError(t, err, "NoSuchEntity", "The group policy with name nope cannot be found.")

	// Managed policies.
	const batchFull = "arn:aws:iam::aws:policy/AWSBatchFullAccess"
	gpMust(admin.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("developers"), PolicyArn: aws.String(batchFull)})).ok(t)
	ap := gpMust(admin.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("developers")})).ok(t)
	if len(ap.AttachedPolicies) != 1 || *ap.AttachedPolicies[0].PolicyArn != batchFull || *ap.AttachedPolicies[0].PolicyName != "AWSBatchFullAccess" || ap.IsTruncated {
		t.Fatalf("ListAttachedGroupPolicies = %+v", ap)
	}
	ap = gpMust(admin.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("developers"), PathPrefix: aws.String("/service-role/")})).ok(t)
	if len(ap.AttachedPolicies) != 0 {
		t.Fatalf("ListAttachedGroupPolicies /service-role/ = %+v", ap.AttachedPolicies)
	}
	_, err = admin.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("developers"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchPolicy")})
	wantAPIError(t, err, "NoSuchEntity", "arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable.")

	// DeleteGroup refuses while members, inline and attached policies remain.
	_, err = admin.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("developers")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	for _, n := range []string{"u1", "u2", "u3"} {
		gpMust(admin.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("developers"), UserName: aws.String(n)})).ok(t)
	}
	_, err = admin.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("developers"), UserName: aws.String("u1")})
	wantAPIError(t, err, "NoSuchEntity", "The user with name u1 cannot be found.")
	_, err = admin.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("developers")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	for _, n := range []string{"list", "another"} {
		gpMust(admin.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("developers"), PolicyName: aws.String(n)})).ok(t)
	}
	_, err = admin.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("developers"), PolicyName: aws.String("list")})
	wantAPIError(t, err, "NoSuchEntity", "The group policy with name list cannot be found.")
	lp := gpMust(admin.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("developers")})).ok(t)
	if len(lp.PolicyNames) != 0 || lp.IsTruncated {
		t.Fatalf("ListGroupPolicies after delete = %+v", lp.PolicyNames)
	}
	_, err = admin.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("developers")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	gpMust(admin.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("developers"), PolicyArn: aws.String(batchFull)})).ok(t)
	_, err = admin.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("developers"), PolicyArn: aws.String(batchFull)})
	wantAPIError(t, err, "NoSuchEntity", "Policy "+batchFull+" was not found.")
	gpMust(admin.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("developers")})).ok(t)
	_, err = admin.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("developers")})
	wantAPIError(t, err, "NoSuchEntity", "The group with name developers cannot be found.")
	lgu := gpMust(admin.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("u1")})).ok(t)
	if got := gpGroupNames(lgu.Groups); !slices.Equal(got, []string{"g2"}) {
		t.Fatalf("ListGroupsForUser after delete = %v", got)
	}
}

func TestGroupsDenied(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	gpMust(admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("team-a")})).ok(t)
	gpMust(admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("team-b"), Path: aws.String("/ops/")})).ok(t)
	gpCreateUser(t, admin, "member")
	groupA := "arn:aws:iam::" + gpAccount + ":group/team-a"
	groupB := "arn:aws:iam::" + gpAccount + ":group/ops/team-b"

	// A user with no permission at all: every operation is refused, on the
	// group's real ARN (with its path) or the user's.
	nobody := ts.iam(newUser(t, admin, "nobody"))
	denials := []struct {
		name, action, resource string
		call                   func() error
	}{
		{"CreateGroup", "iam:CreateGroup", "arn:aws:iam::" + gpAccount + ":group/x/new", func() error {
			_, err := nobody.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("new"), Path: aws.String("/x/")})
			return err
		}},
		{"GetGroup", "iam:GetGroup", groupB, func() error {
			_, err := nobody.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("team-b")})
			return err
		}},
		{"ListGroups", "iam:ListGroups", "*", func() error { _, err := nobody.ListGroups(ctx, &iam.ListGroupsInput{}); return err }},
		{"UpdateGroup", "iam:UpdateGroup", groupB, func() error {
			_, err := nobody.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("team-b"), NewGroupName: aws.String("team-z")})
			return err
		}},
		{"DeleteGroup", "iam:DeleteGroup", groupB, func() error {
			_, err := nobody.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("team-b")})
			return err
		}},
		{"AddUserToGroup", "iam:AddUserToGroup", groupB, func() error {
			_, err := nobody.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("team-b"), UserName: aws.String("member")})
			return err
		}},
		{"RemoveUserFromGroup", "iam:RemoveUserFromGroup", groupB, func() error {
			_, err := nobody.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("team-b"), UserName: aws.String("member")})
			return err
		}},
		{"ListGroupsForUser", "iam:ListGroupsForUser", "arn:aws:iam::" + gpAccount + ":user/member", func() error {
			_, err := nobody.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("member")})
			return err
		}},
		{"PutGroupPolicy", "iam:PutGroupPolicy", groupB, func() error {
			_, err := nobody.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("team-b"), PolicyName: aws.String("p"), PolicyDocument: aws.String(gpAllow("*", "iam:ListUsers"))})
			return err
		}},
		{"GetGroupPolicy", "iam:GetGroupPolicy", groupB, func() error {
			_, err := nobody.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String("team-b"), PolicyName: aws.String("p")})
			return err
		}},
		{"ListGroupPolicies", "iam:ListGroupPolicies", groupB, func() error {
			_, err := nobody.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String("team-b")})
			return err
		}},
		{"DeleteGroupPolicy", "iam:DeleteGroupPolicy", groupB, func() error {
			_, err := nobody.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: aws.String("team-b"), PolicyName: aws.String("p")})
			return err
		}},
		{"AttachGroupPolicy", "iam:AttachGroupPolicy", groupB, func() error {
			_, err := nobody.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("team-b"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		}},
		{"DetachGroupPolicy", "iam:DetachGroupPolicy", groupB, func() error {
			_, err := nobody.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("team-b"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
			return err
		}},
		{"ListAttachedGroupPolicies", "iam:ListAttachedGroupPolicies", groupB, func() error {
			_, err := nobody.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("team-b")})
			return err
		}},
	}
	for _, d := range denials {
		t.Run(d.name, func(t *testing.T) { gpWantDenied(t, d.call(), "nobody", d.action, d.resource) })
	}

	// A user allowed on team-a only.
	carol := ts.iam(newUser(t, admin, "carol", gpAllow(groupA,
		"iam:GetGroup", "iam:AddUserToGroup", "iam:RemoveUserFromGroup", "iam:PutGroupPolicy", "iam:GetGroupPolicy", "iam:UpdateGroup")))
	gpMust(carol.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("team-a")})).ok(t)
	_, err := carol.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("team-b")})
	gpWantDenied(t, err, "carol", "iam:GetGroup", groupB)
	gpMust(carol.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("team-a"), UserName: aws.String("member")})).ok(t)
	_, err = carol.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("team-b"), UserName: aws.String("member")})
	gpWantDenied(t, err, "carol", "iam:AddUserToGroup", groupB)
	gpMust(carol.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("team-a"), UserName: aws.String("member")})).ok(t)
	gpMust(carol.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("team-a"), PolicyName: aws.String("p"), PolicyDocument: aws.String(gpAllow("*", "iam:ListUsers"))})).ok(t)
	_, err = carol.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("team-b"), PolicyName: aws.String("p"), PolicyDocument: aws.String(gpAllow("*", "iam:ListUsers"))})
	gpWantDenied(t, err, "carol", "iam:PutGroupPolicy", groupB)
	// UpdateGroup needs the permission under the new name too.
	_, err = carol.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("team-a"), NewGroupName: aws.String("team-c")})
	gpWantDenied(t, err, "carol", "iam:UpdateGroup", "arn:aws:iam::"+gpAccount+":group/team-c")
	// A group that does not exist is NoSuchEntity once allowed.
	_, err = carol.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("team-b-gone")})
	gpWantDenied(t, err, "carol", "iam:GetGroup", "arn:aws:iam::"+gpAccount+":group/team-b-gone")

	// iam:PolicyARN limits which policies a user may attach.
	dave := ts.iam(newUser(t, admin, "dave", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:AttachGroupPolicy","iam:DetachGroupPolicy"],"Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AWSBatchFullAccess"}}}]}`))
	gpMust(dave.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("team-b"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSBatchFullAccess")})).ok(t)
	_, err = dave.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("team-b"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	gpWantDenied(t, err, "dave", "iam:AttachGroupPolicy", groupB)
	gpMust(dave.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("team-b"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSBatchFullAccess")})).ok(t)
}

// TestGroupPolicyGrantsMembers: a group's inline and attached policies are
// its members' permissions, for as long as they are members.
func TestGroupPolicyGrantsMembers(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	erin := ts.iam(newUser(t, admin, "erin"))

	_, err := erin.ListUsers(ctx, &iam.ListUsersInput{})
	gpWantDenied(t, err, "erin", "iam:ListUsers", "*")
	gpMust(admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")})).ok(t)
	gpMust(admin.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("readers"), PolicyName: aws.String("list-users"), PolicyDocument: aws.String(gpAllow("*", "iam:ListUsers"))})).ok(t)
	_, err = erin.ListUsers(ctx, &iam.ListUsersInput{})
	gpWantDenied(t, err, "erin", "iam:ListUsers", "*")

	gpMust(admin.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("erin")})).ok(t)
	if _, err := erin.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("member ListUsers: %v", err)
	}
	// A managed policy attached to the group grants too.
	cp := gpMust(admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("list-groups"), PolicyDocument: aws.String(gpAllow("*", "iam:ListGroups"))})).ok(t)
	_, err = erin.ListGroups(ctx, &iam.ListGroupsInput{})
	gpWantDenied(t, err, "erin", "iam:ListGroups", "*")
	gpMust(admin.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("readers"), PolicyArn: cp.Policy.Arn})).ok(t)
	if _, err := erin.ListGroups(ctx, &iam.ListGroupsInput{}); err != nil {
		t.Fatalf("member ListGroups: %v", err)
	}

	gpMust(admin.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("readers"), UserName: aws.String("erin")})).ok(t)
	_, err = erin.ListUsers(ctx, &iam.ListUsersInput{})
	gpWantDenied(t, err, "erin", "iam:ListUsers", "*")
	_, err = erin.ListGroups(ctx, &iam.ListGroupsInput{})
	gpWantDenied(t, err, "erin", "iam:ListGroups", "*")
}

func TestPoliciesLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	doc1 := gpAllow("*", "iam:ListUsers")
	const arn = "arn:aws:iam::" + gpAccount + ":policy/team/batch-ro"

	cp := gpMust(admin.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName: aws.String("batch-ro"), Path: aws.String("/team/"), PolicyDocument: aws.String(doc1),
		Description: aws.String("read only"), Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("test")}},
	})).ok(t)
	p := cp.Policy
	if *p.PolicyName != "batch-ro" || *p.Arn != arn || *p.Path != "/team/" || !strings.HasPrefix(*p.PolicyId, "ANPA") ||
		*p.DefaultVersionId != "v1" || p.AttachmentCount == nil || *p.AttachmentCount != 0 || p.PermissionsBoundaryUsageCount == nil ||
		*p.PermissionsBoundaryUsageCount != 0 || !p.IsAttachable || p.CreateDate == nil || p.UpdateDate == nil ||
		len(p.Tags) != 1 || *p.Tags[0].Key != "env" || *p.Tags[0].Value != "test" {
		t.Fatalf("CreatePolicy = %+v", p)
	}
	_, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("BATCH-RO"), PolicyDocument: aws.String(doc1)})
	wantAPIError(t, err, "EntityAlreadyExists", "A policy called BATCH-RO already exists. Duplicate names are not allowed.")
	_, err = admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Version":"2012-10-17"}`)})
	wantAPIError(t, err, "MalformedPolicyDocument", "")

	gp := gpMust(admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})).ok(t)
	if *gp.Policy.PolicyId != *p.PolicyId || gp.Policy.Description == nil || *gp.Policy.Description != "read only" ||
		*gp.Policy.DefaultVersionId != "v1" || *gp.Policy.AttachmentCount != 0 || len(gp.Policy.Tags) != 1 {
		t.Fatalf("GetPolicy = %+v", gp.Policy)
	}
	_, err = admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + gpAccount + ":policy/nope")})
	wantAPIError(t, err, "NoSuchEntity", "Policy arn:aws:iam::"+gpAccount+":policy/nope was not found.")

	// ListPolicies: local policies without description or tags.
	lp := gpMust(admin.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})).ok(t)
	if len(lp.Policies) != 1 || *lp.Policies[0].Arn != arn || lp.Policies[0].Description != nil || lp.Policies[0].Tags != nil ||
		*lp.Policies[0].DefaultVersionId != "v1" || !lp.Policies[0].IsAttachable || lp.IsTruncated {
		t.Fatalf("ListPolicies Local = %+v", lp.Policies)
	}

	// Versions: create, read, list, limit, default.
	doc2 := gpAllow("*", "iam:ListGroups")
	v2 := gpMust(admin.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc2)})).ok(t)
	if *v2.PolicyVersion.VersionId != "v2" || v2.PolicyVersion.IsDefaultVersion || v2.PolicyVersion.Document != nil || v2.PolicyVersion.CreateDate == nil {
		t.Fatalf("CreatePolicyVersion = %+v", v2.PolicyVersion)
	}
	v3 := gpMust(admin.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc2), SetAsDefault: true})).ok(t)
	if *v3.PolicyVersion.VersionId != "v3" || !v3.PolicyVersion.IsDefaultVersion {
		t.Fatalf("CreatePolicyVersion default = %+v", v3.PolicyVersion)
	}
	if gp := gpMust(admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})).ok(t); *gp.Policy.DefaultVersionId != "v3" {
		t.Fatalf("DefaultVersionId = %s", *gp.Policy.DefaultVersionId)
	}
	gv := gpMust(admin.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})).ok(t)
	if *gv.PolicyVersion.VersionId != "v1" || gv.PolicyVersion.IsDefaultVersion || gpDecode(t, gv.PolicyVersion.Document) != doc1 || gv.PolicyVersion.CreateDate == nil {
		t.Fatalf("GetPolicyVersion = %+v", gv.PolicyVersion)
	}
	_, err = admin.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantAPIError(t, err, "NoSuchEntity", "Policy "+arn+" version v9 does not exist or is not attachable.")
	var versions []iamtypes.PolicyVersion
	pages := 0
	for pg := iam.NewListPolicyVersionsPaginator(admin, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn), MaxItems: aws.Int32(2)}); pg.HasMorePages(); {
		out := gpMust(pg.NextPage(ctx)).ok(t)
		pages++
		versions = append(versions, out.Versions...)
	}
	var ids []string
	for _, v := range versions {
		if v.Document != nil || (*v.VersionId == "v3") != v.IsDefaultVersion {
			t.Fatalf("ListPolicyVersions entry = %+v", v)
		}
		ids = append(ids, *v.VersionId)
	}
	if pages != 2 || !slices.Equal(ids, []string{"v3", "v2", "v1"}) {
		t.Fatalf("ListPolicyVersions = %v in %d pages", ids, pages)
	}
	for range 2 {
		gpMust(admin.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc2)})).ok(t)
	}
	_, err = admin.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc2)})
	wantAPIError(t, err, "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	_, err = admin.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete the default version of a policy.")
	gpMust(admin.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")})).ok(t)
	_, err = admin.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")})
	wantAPIError(t, err, "NoSuchEntity", "version v5 does not exist")
	v6 := gpMust(admin.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc2)})).ok(t)
	if *v6.PolicyVersion.VersionId != "v6" {
		t.Fatalf("version after a delete = %s, want v6", *v6.PolicyVersion.VersionId)
	}
	gpMust(admin.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})).ok(t)
	_, err = admin.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")})
	wantAPIError(t, err, "NoSuchEntity", "version v5 does not exist")
	if gv := gpMust(admin.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})).ok(t); !gv.PolicyVersion.IsDefaultVersion {
		t.Fatal("v1 is not the default after SetDefaultPolicyVersion")
	}

	// Tags.
	gpMust(admin.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(arn), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("batch")}, {Key: aws.String("ENV"), Value: aws.String("prod")}}})).ok(t)
	lt := gpMust(admin.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(arn)})).ok(t)
	tags := map[string]string{}
	for _, tg := range lt.Tags {
		tags[*tg.Key] = *tg.Value
	}
	if len(tags) != 2 || tags["ENV"] != "prod" || tags["team"] != "batch" || lt.IsTruncated {
		t.Fatalf("ListPolicyTags = %v", tags)
	}
	var paged []iamtypes.Tag
	for pg := iam.NewListPolicyTagsPaginator(admin, &iam.ListPolicyTagsInput{PolicyArn: aws.String(arn), MaxItems: aws.Int32(1)}); pg.HasMorePages(); {
		paged = append(paged, gpMust(pg.NextPage(ctx)).ok(t).Tags...)
	}
	if len(paged) != 2 {
		t.Fatalf("ListPolicyTags paginated = %d tags", len(paged))
	}
	gpMust(admin.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(arn), TagKeys: []string{"env"}})).ok(t)
	lt = gpMust(admin.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(arn)})).ok(t)
	if len(lt.Tags) != 1 || *lt.Tags[0].Key != "team" {
		t.Fatalf("ListPolicyTags after untag = %+v", lt.Tags)
	}

	// Entities using the policy; DeletePolicy refuses while it is used.
	u := gpCreateUser(t, admin, "pu")
	g := gpMust(admin.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("pg")})).ok(t).Group
	gpMust(admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("pu"), PolicyArn: aws.String(arn)})).ok(t)
	gpMust(admin.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("pg"), PolicyArn: aws.String(arn)})).ok(t)
	if gp := gpMust(admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})).ok(t); *gp.Policy.AttachmentCount != 2 {
		t.Fatalf("AttachmentCount = %d, want 2", *gp.Policy.AttachmentCount)
	}
	le := gpMust(admin.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn)})).ok(t)
	if len(le.PolicyGroups) != 1 || *le.PolicyGroups[0].GroupName != "pg" || *le.PolicyGroups[0].GroupId != *g.GroupId ||
		len(le.PolicyUsers) != 1 || *le.PolicyUsers[0].UserName != "pu" || *le.PolicyUsers[0].UserId != *u.UserId ||
		len(le.PolicyRoles) != 0 || le.IsTruncated {
		t.Fatalf("ListEntitiesForPolicy = %+v", le)
	}
	le = gpMust(admin.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn), EntityFilter: iamtypes.EntityTypeUser})).ok(t)
	if len(le.PolicyGroups) != 0 || len(le.PolicyUsers) != 1 {
		t.Fatalf("ListEntitiesForPolicy User = %+v", le)
	}
	var groups, usrs int
	pages = 0
	for pg := iam.NewListEntitiesForPolicyPaginator(admin, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn), MaxItems: aws.Int32(1)}); pg.HasMorePages(); {
		out := gpMust(pg.NextPage(ctx)).ok(t)
		pages++
		groups += len(out.PolicyGroups)
		usrs += len(out.PolicyUsers)
	}
	if pages != 2 || groups != 1 || usrs != 1 {
		t.Fatalf("ListEntitiesForPolicy paginated: %d pages, %d groups, %d users", pages, groups, usrs)
	}
	lp = gpMust(admin.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal, OnlyAttached: true})).ok(t)
	if len(lp.Policies) != 1 || *lp.Policies[0].AttachmentCount != 2 {
		t.Fatalf("ListPolicies OnlyAttached = %+v", lp.Policies)
	}

	_, err = admin.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	gpMust(admin.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("pu"), PolicyArn: aws.String(arn)})).ok(t)
	gpMust(admin.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("pg"), PolicyArn: aws.String(arn)})).ok(t)
	_, err = admin.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	wantAPIError(t, err, "DeleteConflict", "This policy has more than one version.")
	for _, v := range []string{"v2", "v3", "v4", "v6"} {
		gpMust(admin.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(v)})).ok(t)
	}
	gpMust(admin.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})).ok(t)
	_, err = admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	wantAPIError(t, err, "NoSuchEntity", "Policy "+arn+" was not found.")
}

// TestAWSManagedPolicies: Scope=AWS lists the built-in policies, which can
// be read but not changed.
func TestAWSManagedPolicies(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	gpMust(admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), PolicyDocument: aws.String(gpAllow("*", "iam:ListUsers"))})).ok(t)
	const batchFull = "arn:aws:iam::aws:policy/AWSBatchFullAccess"

	var all []iamtypes.Policy
	pages := 0
	for pg := iam.NewListPoliciesPaginator(admin, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, MaxItems: aws.Int32(3)}); pg.HasMorePages(); {
		out := gpMust(pg.NextPage(ctx)).ok(t)
		pages++
		all = append(all, out.Policies...)
	}
	if pages < 2 {
		t.Fatalf("ListPolicies AWS in %d pages, want several", pages)
	}
	var found *iamtypes.Policy
	for i, p := range all {
		if !strings.HasPrefix(*p.Arn, "arn:aws:iam::aws:policy/") {
			t.Fatalf("Scope=AWS lists %s", *p.Arn)
		}
		if *p.Arn == batchFull {
			found = &all[i]
		}
	}
	if found == nil || *found.PolicyName != "AWSBatchFullAccess" || *found.Path != "/" || found.DefaultVersionId == nil || !found.IsAttachable {
		t.Fatalf("AWSBatchFullAccess in Scope=AWS: %+v", found)
	}
	all2 := gpMust(admin.ListPolicies(ctx, &iam.ListPoliciesInput{})).ok(t)
	if len(all2.Policies) != len(all)+1 {
		t.Fatalf("Scope=All lists %d, want %d", len(all2.Policies), len(all)+1)
	}

	gp := gpMust(admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(batchFull)})).ok(t)
	if *gp.Policy.Arn != batchFull || *gp.Policy.DefaultVersionId != *found.DefaultVersionId {
		t.Fatalf("GetPolicy AWS = %+v", gp.Policy)
	}
	gv := gpMust(admin.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(batchFull), VersionId: found.DefaultVersionId})).ok(t)
	if !gv.PolicyVersion.IsDefaultVersion || !strings.Contains(gpDecode(t, gv.PolicyVersion.Document), "batch:") {
		t.Fatalf("GetPolicyVersion AWS = %+v", gv.PolicyVersion)
	}
	lv := gpMust(admin.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(batchFull)})).ok(t)
	if len(lv.Versions) != 1 {
		t.Fatalf("ListPolicyVersions AWS = %+v", lv.Versions)
	}
	lt := gpMust(admin.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(batchFull)})).ok(t)
	if len(lt.Tags) != 0 {
		t.Fatalf("ListPolicyTags AWS = %+v", lt.Tags)
	}

	const unmodifiable = "AWS managed policies are only modifiable by AWS."
	_, err := admin.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(batchFull)})
	wantAPIError(t, err, "UnmodifiableEntity", unmodifiable)
	_, err = admin.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(batchFull), PolicyDocument: aws.String(gpAllow("*", "iam:ListUsers"))})
	wantAPIError(t, err, "UnmodifiableEntity", unmodifiable)
	_, err = admin.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(batchFull), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantAPIError(t, err, "UnmodifiableEntity", unmodifiable)
	if gp := gpMust(admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(batchFull)})).ok(t); *gp.Policy.Arn != batchFull {
		t.Fatal("AWSBatchFullAccess is gone")
	}
	// Anyone else needs the permission on the AWS managed policy's ARN.
	reader := ts.iam(newUser(t, admin, "reader", gpAllow("arn:aws:iam::aws:policy/*", "iam:GetPolicy", "iam:DeletePolicy")))
	gpMust(reader.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(batchFull)})).ok(t)
	_, err = reader.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(batchFull)})
	wantAPIError(t, err, "UnmodifiableEntity", unmodifiable)
	_, err = reader.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(batchFull), VersionId: found.DefaultVersionId})
	gpWantDenied(t, err, "reader", "iam:GetPolicyVersion", batchFull)
	_, err = ts.iam(newUser(t, admin, "stranger")).GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(batchFull)})
	gpWantDenied(t, err, "stranger", "iam:GetPolicy", batchFull)

	_, err = admin.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Everything"})
	wantAPIError(t, err, "ValidationError", "scope")
}

// TestManagedPolicyDefaultVersionGoverns: what a user may do follows the
// default version of a policy attached to it.
func TestManagedPolicyDefaultVersionGoverns(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	cp := gpMust(admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("lister"), PolicyDocument: aws.String(gpAllow("*", "iam:ListGroups"))})).ok(t)
	arn := cp.Policy.Arn
	frankCreds := newUser(t, admin, "frank")
	frank := ts.iam(frankCreds)
	_, err := frank.ListGroups(ctx, &iam.ListGroupsInput{})
	gpWantDenied(t, err, "frank", "iam:ListGroups", "*")
	gpMust(admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("frank"), PolicyArn: arn})).ok(t)
	if _, err := frank.ListGroups(ctx, &iam.ListGroupsInput{}); err != nil {
		t.Fatalf("ListGroups with v1: %v", err)
	}
	// A new version that is not the default changes nothing.
	gpMust(admin.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(gpAllow("*", "iam:ListPolicies"))})).ok(t)
	if _, err := frank.ListGroups(ctx, &iam.ListGroupsInput{}); err != nil {
		t.Fatalf("ListGroups with v1 still default: %v", err)
	}
	_, err = frank.ListPolicies(ctx, &iam.ListPoliciesInput{})
	gpWantDenied(t, err, "frank", "iam:ListPolicies", "*")

	gpMust(admin.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v2")})).ok(t)
	_, err = frank.ListGroups(ctx, &iam.ListGroupsInput{})
	gpWantDenied(t, err, "frank", "iam:ListGroups", "*")
	if _, err := frank.ListPolicies(ctx, &iam.ListPoliciesInput{}); err != nil {
		t.Fatalf("ListPolicies with v2: %v", err)
	}
	gpMust(admin.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")})).ok(t)
	if _, err := frank.ListGroups(ctx, &iam.ListGroupsInput{}); err != nil {
		t.Fatalf("ListGroups back on v1: %v", err)
	}
}

func TestPoliciesDenied(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	doc := gpAllow("*", "iam:ListUsers")
	mine := *gpMust(admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("mine"), Path: aws.String("/a/"), PolicyDocument: aws.String(doc)})).ok(t).Policy.Arn
	theirs := *gpMust(admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("theirs"), PolicyDocument: aws.String(doc),
		Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("ops")}}})).ok(t).Policy.Arn

	nobody := ts.iam(newUser(t, admin, "nobody"))
	denials := []struct {
		name, action, resource string
		call                   func() error
	}{
		{"CreatePolicy", "iam:CreatePolicy", "arn:aws:iam::" + gpAccount + ":policy/x/new", func() error {
			_, err := nobody.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("new"), Path: aws.String("/x/"), PolicyDocument: aws.String(doc)})
			return err
		}},
		{"GetPolicy", "iam:GetPolicy", mine, func() error {
			_, err := nobody.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(mine)})
			return err
		}},
		{"ListPolicies", "iam:ListPolicies", "*", func() error { _, err := nobody.ListPolicies(ctx, &iam.ListPoliciesInput{}); return err }},
		{"DeletePolicy", "iam:DeletePolicy", mine, func() error {
			_, err := nobody.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(mine)})
			return err
		}},
		{"CreatePolicyVersion", "iam:CreatePolicyVersion", mine, func() error {
			_, err := nobody.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(mine), PolicyDocument: aws.String(doc)})
			return err
		}},
		{"GetPolicyVersion", "iam:GetPolicyVersion", mine, func() error {
			_, err := nobody.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(mine), VersionId: aws.String("v1")})
			return err
		}},
		{"ListPolicyVersions", "iam:ListPolicyVersions", mine, func() error {
			_, err := nobody.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(mine)})
			return err
		}},
		{"DeletePolicyVersion", "iam:DeletePolicyVersion", mine, func() error {
			_, err := nobody.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(mine), VersionId: aws.String("v1")})
			return err
		}},
		{"SetDefaultPolicyVersion", "iam:SetDefaultPolicyVersion", mine, func() error {
			_, err := nobody.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(mine), VersionId: aws.String("v1")})
			return err
		}},
		{"TagPolicy", "iam:TagPolicy", mine, func() error {
			_, err := nobody.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(mine), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
			return err
		}},
		{"UntagPolicy", "iam:UntagPolicy", mine, func() error {
			_, err := nobody.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: aws.String(mine), TagKeys: []string{"k"}})
			return err
		}},
		{"ListPolicyTags", "iam:ListPolicyTags", mine, func() error {
			_, err := nobody.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(mine)})
			return err
		}},
		{"ListEntitiesForPolicy", "iam:ListEntitiesForPolicy", mine, func() error {
			_, err := nobody.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(mine)})
			return err
		}},
	}
	for _, d := range denials {
		t.Run(d.name, func(t *testing.T) { gpWantDenied(t, d.call(), "nobody", d.action, d.resource) })
	}

	// Allowed on policies under /a/ only.
	pat := ts.iam(newUser(t, admin, "pat", gpAllow("arn:aws:iam::"+gpAccount+":policy/a/*",
		"iam:GetPolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:CreatePolicy")))
	gpMust(pat.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(mine)})).ok(t)
	_, err := pat.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(theirs)})
	gpWantDenied(t, err, "pat", "iam:GetPolicy", theirs)
	gpMust(pat.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(mine), PolicyDocument: aws.String(doc), SetAsDefault: true})).ok(t)
	_, err = pat.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(theirs), VersionId: aws.String("v1")})
	gpWantDenied(t, err, "pat", "iam:SetDefaultPolicyVersion", theirs)
	gpMust(pat.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("pats"), Path: aws.String("/a/"), PolicyDocument: aws.String(doc)})).ok(t)
	// Tags on create also need iam:TagPolicy.
	_, err = pat.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("tagged"), Path: aws.String("/a/"), PolicyDocument: aws.String(doc),
		Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	gpWantDenied(t, err, "pat", "iam:TagPolicy", "arn:aws:iam::"+gpAccount+":policy/a/tagged")
	if _, err := admin.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + gpAccount + ":policy/a/tagged")}); err == nil {
		t.Fatal("CreatePolicy denied iam:TagPolicy still created the policy")
	}

	// Request tags and resource tags as conditions.
	quinn := ts.iam(newUser(t, admin, "quinn", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:CreatePolicy","iam:TagPolicy"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"batch"},"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},
		{"Effect":"Allow","Action":"iam:GetPolicy","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/owner":"ops"}}}]}`))
	gpMust(quinn.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("q1"), PolicyDocument: aws.String(doc), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("batch")}}})).ok(t)
	_, err = quinn.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("q2"), PolicyDocument: aws.String(doc), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("web")}}})
	gpWantDenied(t, err, "quinn", "iam:CreatePolicy", "arn:aws:iam::"+gpAccount+":policy/q2")
	_, err = quinn.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("q3"), PolicyDocument: aws.String(doc)})
	gpWantDenied(t, err, "quinn", "iam:CreatePolicy", "arn:aws:iam::"+gpAccount+":policy/q3")
	gpMust(quinn.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(theirs)})).ok(t)
	_, err = quinn.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(mine)})
	gpWantDenied(t, err, "quinn", "iam:GetPolicy", mine)
}

// TestCLIGroupsAndPolicies drives the installed AWS CLI v1 against batchd.
func TestCLIGroupsAndPolicies(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	ts := startServer(t, "")
	// Only the credentials and region given here: no AWS_* variable of the
	// test's own environment reaches the CLI.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") })
	env = append(env,
		"AWS_ACCESS_KEY_ID="+ts.Root.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+ts.Root.SecretAccessKey,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_MAX_ATTEMPTS=1")
	cli := func(out any, args ...string) {
		t.Helper()
		cmd := exec.Command("aws", append([]string{"--endpoint-url", ts.URL, "--output", "json"}, args...)...)
		cmd.Env = env
		b, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("aws %s: output %q: %v", strings.Join(args, " "), b, err)
			}
		}
	}
	var cg struct {
		Group struct{ GroupName, Arn, Path, GroupId, CreateDate string }
	}
	cli(&cg, "iam", "create-group", "--group-name", "cli-group", "--path", "/cli/")
	if cg.Group.GroupName != "cli-group" || cg.Group.Arn != "arn:aws:iam::"+gpAccount+":group/cli/cli-group" || cg.Group.CreateDate == "" {
		t.Fatalf("create-group = %+v", cg)
	}
	doc := gpAllow("*", "batch:Describe*")
	var cp struct {
		Policy struct {
			PolicyName, Arn, DefaultVersionId string
			AttachmentCount                   int
			IsAttachable                      bool
		}
	}
	cli(&cp, "iam", "create-policy", "--policy-name", "cli-policy", "--policy-document", doc, "--description", "from the CLI")
	if cp.Policy.PolicyName != "cli-policy" || cp.Policy.DefaultVersionId != "v1" || !cp.Policy.IsAttachable {
		t.Fatalf("create-policy = %+v", cp)
	}
	cli(nil, "iam", "attach-group-policy", "--group-name", "cli-group", "--policy-arn", cp.Policy.Arn)

	var ap struct {
		AttachedPolicies []struct{ PolicyName, PolicyArn string }
		IsTruncated      bool
	}
	cli(&ap, "iam", "list-attached-group-policies", "--group-name", "cli-group")
	if len(ap.AttachedPolicies) != 1 || ap.AttachedPolicies[0].PolicyArn != cp.Policy.Arn {
		t.Fatalf("list-attached-group-policies = %+v", ap)
	}
	var gp struct {
		Policy struct {
			Arn, Description string
			AttachmentCount  int
		}
	}
	cli(&gp, "iam", "get-policy", "--policy-arn", cp.Policy.Arn)
	if gp.Policy.AttachmentCount != 1 || gp.Policy.Description != "from the CLI" {
		t.Fatalf("get-policy = %+v", gp)
	}
	// The CLI decodes the URL-encoded document into JSON.
	var gv struct {
		PolicyVersion struct {
			Document         map[string]any
			VersionId        string
			IsDefaultVersion bool
		}
	}
	cli(&gv, "iam", "get-policy-version", "--policy-arn", cp.Policy.Arn, "--version-id", "v1")
	if gv.PolicyVersion.VersionId != "v1" || !gv.PolicyVersion.IsDefaultVersion || gv.PolicyVersion.Document["Version"] != "2012-10-17" {
		t.Fatalf("get-policy-version = %+v", gv)
	}
	var le struct {
		PolicyGroups []struct{ GroupName, GroupId string }
		PolicyUsers  []any
		PolicyRoles  []any
	}
	cli(&le, "iam", "list-entities-for-policy", "--policy-arn", cp.Policy.Arn)
	if len(le.PolicyGroups) != 1 || le.PolicyGroups[0].GroupName != "cli-group" || le.PolicyGroups[0].GroupId != cg.Group.GroupId {
		t.Fatalf("list-entities-for-policy = %+v", le)
	}
	var gg struct {
		Group struct{ GroupName string }
		Users []any
	}
	cli(&gg, "iam", "get-group", "--group-name", "cli-group")
	if gg.Group.GroupName != "cli-group" || gg.Users == nil {
		t.Fatalf("get-group = %+v", gg)
	}
	// The CLI paginates on its own: five groups in pages of two.
	for _, n := range []string{"a", "b", "c", "d"} {
		cli(nil, "iam", "create-group", "--group-name", "page-"+n)
	}
	var lg struct{ Groups []struct{ GroupName string } }
	cli(&lg, "iam", "list-groups", "--page-size", "2")
	if len(lg.Groups) != 5 {
		t.Fatalf("list-groups --page-size 2 = %+v", lg)
	}
}
