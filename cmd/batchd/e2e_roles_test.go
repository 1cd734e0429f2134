package main

import (
	"context"
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

const (
	ec2Trust    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	lambdaTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	listOnlyDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}`
	readOnlyARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	adminARN    = "arn:aws:iam::aws:policy/AdministratorAccess"
)

// rolesMust fails the test on err.
func rolesMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// decodedDoc URL-decodes a policy document as IAM returns it.
func decodedDoc(t testing.TB, s *string) string {
	t.Helper()
	if s == nil {
		t.Fatal("policy document missing")
	}
	d, err := url.QueryUnescape(*s)
	if err != nil {
		t.Fatalf("policy document %q: %v", *s, err)
	}
	return d
}

func tagMap(tags []iamtypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// TestRoleOperations runs every role operation as the root and checks the
// fields the SDK reads back.
func TestRoleOperations(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)

	created, err := admin.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("app-role"), Path: aws.String("/app/"), AssumeRolePolicyDocument: aws.String(ec2Trust),
		Description: aws.String("the app"), MaxSessionDuration: aws.Int32(7200), PermissionsBoundary: aws.String(readOnlyARN),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}},
	})
	rolesMust(t, err)
	r := created.Role
	const arn = "arn:aws:iam::123456789012:role/app/app-role"
	if aws.ToString(r.Arn) != arn || aws.ToString(r.Path) != "/app/" || aws.ToString(r.RoleName) != "app-role" ||
		!strings.HasPrefix(aws.ToString(r.RoleId), "AROA") || len(aws.ToString(r.RoleId)) != 21 || r.CreateDate == nil ||
		aws.ToString(r.Description) != "the app" || aws.ToInt32(r.MaxSessionDuration) != 7200 {
		t.Fatalf("CreateRole = %+v", r)
	}
	if d := decodedDoc(t, r.AssumeRolePolicyDocument); d != ec2Trust {
		t.Errorf("AssumeRolePolicyDocument = %s", d)
	}
	if b := r.PermissionsBoundary; b == nil || aws.ToString(b.PermissionsBoundaryArn) != readOnlyARN || b.PermissionsBoundaryType != iamtypes.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("PermissionsBoundary = %+v", b)
	}
	if tagMap(r.Tags)["team"] != "red" {
		t.Errorf("Tags = %+v", r.Tags)
	}

	got, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("APP-ROLE")})
	rolesMust(t, err)
	if aws.ToString(got.Role.Arn) != arn || aws.ToString(got.Role.RoleName) != "app-role" || got.Role.RoleLastUsed == nil ||
		got.Role.RoleLastUsed.LastUsedDate != nil || len(got.Role.Tags) != 1 || got.Role.PermissionsBoundary == nil {
		t.Fatalf("GetRole = %+v", got.Role)
	}
	_, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nobody")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name nobody cannot be found.")
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("App-Role"), AssumeRolePolicyDocument: aws.String(ec2Trust)})
	wantAPIError(t, err, "EntityAlreadyExists", "Role with name App-Role already exists.")
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(ec2Trust), MaxSessionDuration: aws.Int32(60)})
	wantAPIError(t, err, "ValidationError", "maxSessionDuration")
	_, err = admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)})
	wantAPIError(t, err, "MalformedPolicyDocument", "")

	rolesMust(t, errOf(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("other"), AssumeRolePolicyDocument: aws.String(lambdaTrust)})))
	list, err := admin.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/app/")})
	rolesMust(t, err)
	if len(list.Roles) != 1 || aws.ToString(list.Roles[0].Arn) != arn || list.IsTruncated {
		t.Fatalf("ListRoles /app/ = %+v", list)
	}
	// Listings leave out boundary, tags and last use, as AWS does.
	if lr := list.Roles[0]; lr.Tags != nil || lr.PermissionsBoundary != nil || lr.RoleLastUsed != nil || aws.ToInt32(lr.MaxSessionDuration) != 7200 {
		t.Errorf("listed role = %+v", lr)
	}
	page1, err := admin.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(1)})
	rolesMust(t, err)
	if len(page1.Roles) != 1 || !page1.IsTruncated || page1.Marker == nil {
		t.Fatalf("ListRoles page 1 = %+v", page1)
	}
	page2, err := admin.ListRoles(ctx, &iam.ListRolesInput{Marker: page1.Marker})
	rolesMust(t, err)
	if len(page2.Roles) != 1 || page2.IsTruncated || aws.ToString(page2.Roles[0].RoleName) == aws.ToString(page1.Roles[0].RoleName) {
		t.Fatalf("ListRoles page 2 = %+v", page2)
	}

	rolesMust(t, errOf(admin.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("app-role"), MaxSessionDuration: aws.Int32(3600)})))
	upd, err := admin.UpdateRoleDescription(ctx, &iam.UpdateRoleDescriptionInput{RoleName: aws.String("app-role"), Description: aws.String("new words")})
	rolesMust(t, err)
	if aws.ToString(upd.Role.Description) != "new words" || aws.ToInt32(upd.Role.MaxSessionDuration) != 3600 || aws.ToString(upd.Role.Arn) != arn {
		t.Fatalf("UpdateRoleDescription = %+v", upd.Role)
	}
	rolesMust(t, errOf(admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("app-role"), PolicyDocument: aws.String(lambdaTrust)})))
	got, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-role")})
	rolesMust(t, err)
	if decodedDoc(t, got.Role.AssumeRolePolicyDocument) != lambdaTrust || aws.ToString(got.Role.Description) != "new words" {
		t.Fatalf("after updates: %+v", got.Role)
	}

	rolesMust(t, errOf(admin.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("app-role"), Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("team"), Value: aws.String("blue")}}})))
	tags, err := admin.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("app-role")})
	rolesMust(t, err)
	if m := tagMap(tags.Tags); len(m) != 2 || m["team"] != "blue" || m["env"] != "dev" || tags.IsTruncated {
		t.Fatalf("ListRoleTags = %+v", tags.Tags)
	}
	rolesMust(t, errOf(admin.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("app-role"), TagKeys: []string{"env"}})))
	tags, err = admin.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("app-role")})
	rolesMust(t, err)
	if m := tagMap(tags.Tags); len(m) != 1 || m["team"] != "blue" {
		t.Fatalf("after UntagRole: %+v", tags.Tags)
	}

	inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/a b+c"}]}`
	rolesMust(t, errOf(admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app-role"), PolicyName: aws.String("s3"), PolicyDocument: aws.String(inline)})))
	rp, err := admin.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("App-Role"), PolicyName: aws.String("S3")})
	rolesMust(t, err)
	if aws.ToString(rp.RoleName) != "app-role" || aws.ToString(rp.PolicyName) != "s3" || decodedDoc(t, rp.PolicyDocument) != inline {
		t.Fatalf("GetRolePolicy = %+v", rp)
	}
	names, err := admin.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("app-role")})
	rolesMust(t, err)
	if !slices.Equal(names.PolicyNames, []string{"s3"}) {
		t.Fatalf("ListRolePolicies = %v", names.PolicyNames)
	}
	rolesMust(t, errOf(admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app-role"), PolicyArn: aws.String(readOnlyARN)})))
	att, err := admin.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("app-role")})
	rolesMust(t, err)
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != readOnlyARN || aws.ToString(att.AttachedPolicies[0].PolicyName) != "ReadOnlyAccess" {
		t.Fatalf("ListAttachedRolePolicies = %+v", att.AttachedPolicies)
	}
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app-role")})
	wantAPIError(t, err, "DeleteConflict", "must detach all policies first")
	rolesMust(t, errOf(admin.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("app-role"), PolicyArn: aws.String(readOnlyARN)})))
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app-role")})
	wantAPIError(t, err, "DeleteConflict", "must delete policies first")
	rolesMust(t, errOf(admin.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app-role"), PolicyName: aws.String("s3")})))
	_, err = admin.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app-role"), PolicyName: aws.String("s3")})
	wantAPIError(t, err, "NoSuchEntity", "")

	rolesMust(t, errOf(admin.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("app-role")})))
	if got, _ := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-role")}); got.Role.PermissionsBoundary != nil {
		t.Fatalf("boundary left: %+v", got.Role.PermissionsBoundary)
	}
	rolesMust(t, errOf(admin.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app-role"), PermissionsBoundary: aws.String(adminARN)})))
	if got, _ := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-role")}); aws.ToString(got.Role.PermissionsBoundary.PermissionsBoundaryArn) != adminARN {
		t.Fatalf("boundary = %+v", got.Role.PermissionsBoundary)
	}
	_, err = admin.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("app-role"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/none")})
	wantAPIError(t, err, "InvalidInput", "ARN arn:aws:iam::123456789012:policy/none is not valid.")

	rolesMust(t, errOf(admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app-role")})))
	_, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-role")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name app-role cannot be found.")
}

// TestServiceLinkedRole creates, protects and deletes AWS Batch's
// service-linked role.
func TestServiceLinkedRole(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	out, err := admin.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("batch.amazonaws.com"), Description: aws.String("for batch")})
	rolesMust(t, err)
	r := out.Role
	if aws.ToString(r.RoleName) != "AWSServiceRoleForBatch" || aws.ToString(r.Path) != "/aws-service-role/batch.amazonaws.com/" ||
		aws.ToString(r.Arn) != "arn:aws:iam::123456789012:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch" ||
		!strings.Contains(decodedDoc(t, r.AssumeRolePolicyDocument), `"Service":"batch.amazonaws.com"`) || aws.ToString(r.Description) != "for batch" {
		t.Fatalf("CreateServiceLinkedRole = %+v", r)
	}
	_, err = admin.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("batch.amazonaws.com")})
	wantAPIError(t, err, "InvalidInput", "has been taken in this account")
	_, err = admin.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("nothing.amazonaws.com")})
	wantAPIError(t, err, "InvalidInput", "")
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("AWSServiceRoleForBatch")})
	wantAPIError(t, err, "UnmodifiableEntity", "Cannot perform the operation on the protected role 'AWSServiceRoleForBatch' - this role is only modifiable by AWS")
	_, err = admin.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("AWSServiceRoleForBatch"), MaxSessionDuration: aws.Int32(7200)})
	wantAPIError(t, err, "UnmodifiableEntity", "")
	rolesMust(t, errOf(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("plain"), AssumeRolePolicyDocument: aws.String(ec2Trust)})))
	_, err = admin.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("plain")})
	wantAPIError(t, err, "InvalidInput", "is not a service-linked role")

	del, err := admin.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForBatch")})
	rolesMust(t, err)
	if !strings.HasPrefix(aws.ToString(del.DeletionTaskId), "task/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch/") {
		t.Fatalf("DeletionTaskId = %q", aws.ToString(del.DeletionTaskId))
	}
	st, err := admin.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: del.DeletionTaskId})
	rolesMust(t, err)
	if st.Status != iamtypes.DeletionTaskStatusTypeSucceeded || st.Reason != nil {
		t.Fatalf("status = %+v", st)
	}
	_, err = admin.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: aws.String("task/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch/nope")})
	wantAPIError(t, err, "NoSuchEntity", "")
	_, err = admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("AWSServiceRoleForBatch")})
	wantAPIError(t, err, "NoSuchEntity", "")

	// iam:AWSServiceName limits which service's role a user may create;
	// the deletion status is authorized on the deleted role's ARN.
	bob := newUser(t, admin, "bob", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":"ecs.amazonaws.com"}}},
		{"Effect":"Allow","Action":"iam:GetServiceLinkedRoleDeletionStatus","Resource":"arn:aws:iam::*:role/aws-service-role/ecs.amazonaws.com/*"}]}`)
	bi := ts.iam(bob)
	_, err = bi.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("batch.amazonaws.com")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:CreateServiceLinkedRole on resource: arn:aws:iam::123456789012:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch because no identity-based policy allows the iam:CreateServiceLinkedRole action")
	_, err = bi.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: del.DeletionTaskId})
	wantAPIError(t, err, "AccessDenied", "iam:GetServiceLinkedRoleDeletionStatus on resource: arn:aws:iam::123456789012:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch because")
}

// TestRoleDenials: each deny path of the role operations, in AWS's words,
// with the role's real path in the resource.
func TestRoleDenials(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	rolesMust(t, errOf(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("svc"), Path: aws.String("/ops/"), AssumeRolePolicyDocument: aws.String(ec2Trust),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})))
	rolesMust(t, errOf(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("mine"), Path: aws.String("/dev/"), AssumeRolePolicyDocument: aws.String(ec2Trust)})))

	dave := newUser(t, admin, "dave", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:GetRole","iam:UpdateRole","iam:DeleteRole","iam:TagRole","iam:PutRolePolicy"],"Resource":"arn:aws:iam::123456789012:role/dev/*"},
		{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"red"}}},
		{"Effect":"Allow","Action":"iam:CreateRole","Resource":"arn:aws:iam::123456789012:role/dev/*","Condition":{"StringEquals":{"iam:PermissionsBoundary":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
		{"Effect":"Allow","Action":["iam:AttachRolePolicy","iam:DetachRolePolicy"],"Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
		{"Effect":"Deny","Action":"iam:TagRole","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"owner"}}},
		{"Effect":"Allow","Action":"iam:UntagRole","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":"temp"}}}]}`)
	di := ts.iam(dave)
	const who = "User: arn:aws:iam::123456789012:user/dave is not authorized to perform: "

	if _, err := di.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("mine")}); err != nil {
		t.Fatalf("GetRole /dev/: %v", err)
	}
	// aws:ResourceTag/team of the stored role allows GetRole on svc.
	if _, err := di.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("svc")}); err != nil {
		t.Fatalf("GetRole by resource tag: %v", err)
	}
	_, err := di.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("svc"), Description: aws.String("x")})
	wantAPIError(t, err, "AccessDenied", who+"iam:UpdateRole on resource: arn:aws:iam::123456789012:role/ops/svc because no identity-based policy allows the iam:UpdateRole action")
	_, err = di.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("svc")})
	wantAPIError(t, err, "AccessDenied", who+"iam:DeleteRole on resource: arn:aws:iam::123456789012:role/ops/svc because no identity-based policy allows the iam:DeleteRole action")
	_, err = di.ListRoles(ctx, &iam.ListRolesInput{})
	wantAPIError(t, err, "AccessDenied", who+"iam:ListRoles on resource: * because no identity-based policy allows the iam:ListRoles action")

	// iam:PermissionsBoundary: CreateRole only with the ReadOnlyAccess boundary.
	_, err = di.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r2"), Path: aws.String("/dev/"), AssumeRolePolicyDocument: aws.String(ec2Trust)})
	wantAPIError(t, err, "AccessDenied", who+"iam:CreateRole on resource: arn:aws:iam::123456789012:role/dev/r2 because no identity-based policy allows the iam:CreateRole action")
	if _, err := di.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r2"), Path: aws.String("/dev/"), AssumeRolePolicyDocument: aws.String(ec2Trust), PermissionsBoundary: aws.String(readOnlyARN)}); err != nil {
		t.Fatalf("CreateRole with the boundary: %v", err)
	}
	// Tags on create also need iam:TagRole, which an explicit deny on the
	// tag key "owner" refuses.
	_, err = di.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r3"), Path: aws.String("/dev/"), AssumeRolePolicyDocument: aws.String(ec2Trust), PermissionsBoundary: aws.String(readOnlyARN),
		Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("dave")}}})
	wantAPIError(t, err, "AccessDenied", who+"iam:TagRole on resource: arn:aws:iam::123456789012:role/dev/r3 with an explicit deny in an identity-based policy")
	if _, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r3")}); err == nil {
		t.Fatal("r3 created despite the TagRole denial")
	}
	if _, err := di.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("mine"), Tags: []iamtypes.Tag{{Key: aws.String("temp"), Value: aws.String("1")}}}); err != nil {
		t.Fatalf("TagRole temp: %v", err)
	}
	_, err = di.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("mine"), Tags: []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("x")}}})
	wantAPIError(t, err, "AccessDenied", who+"iam:TagRole on resource: arn:aws:iam::123456789012:role/dev/mine with an explicit deny in an identity-based policy")
	if _, err := di.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("mine"), TagKeys: []string{"temp"}}); err != nil {
		t.Fatalf("UntagRole temp: %v", err)
	}
	_, err = di.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("mine"), TagKeys: []string{"temp", "team"}})
	wantAPIError(t, err, "AccessDenied", who+"iam:UntagRole on resource: arn:aws:iam::123456789012:role/dev/mine because no identity-based policy allows the iam:UntagRole action")

	// iam:PolicyARN: only ReadOnlyAccess may be attached.
	if _, err := di.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("mine"), PolicyArn: aws.String(readOnlyARN)}); err != nil {
		t.Fatalf("AttachRolePolicy ReadOnlyAccess: %v", err)
	}
	_, err = di.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("mine"), PolicyArn: aws.String(adminARN)})
	wantAPIError(t, err, "AccessDenied", who+"iam:AttachRolePolicy on resource: arn:aws:iam::123456789012:role/dev/mine because no identity-based policy allows the iam:AttachRolePolicy action")
	_, err = di.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("mine"), PolicyName: aws.String("p")})
	wantAPIError(t, err, "AccessDenied", who+"iam:GetRolePolicy on resource: arn:aws:iam::123456789012:role/dev/mine because")
	_, err = di.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("mine"), PermissionsBoundary: aws.String(readOnlyARN)})
	wantAPIError(t, err, "AccessDenied", who+"iam:PutRolePermissionsBoundary on resource: arn:aws:iam::123456789012:role/dev/mine because")
	// A role that does not exist is named with the default path.
	_, err = di.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("ghost"), PolicyDocument: aws.String(ec2Trust)})
	wantAPIError(t, err, "AccessDenied", who+"iam:UpdateAssumeRolePolicy on resource: arn:aws:iam::123456789012:role/ghost because")
}

// TestRolePermissionsBoundaryCutsAllow: AdministratorAccess with a boundary
// that allows only iam:List* lets the user list and nothing else.
func TestRolePermissionsBoundaryCutsAllow(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	p, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ListOnly"), PolicyDocument: aws.String(listOnlyDoc)})
	rolesMust(t, err)
	erin := newUser(t, admin, "erin")
	rolesMust(t, errOf(admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("erin"), PolicyArn: aws.String(adminARN)})))
	ei := ts.iam(erin)
	if _, err := ei.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("before"), AssumeRolePolicyDocument: aws.String(ec2Trust)}); err != nil {
		t.Fatalf("CreateRole before the boundary: %v", err)
	}
	rolesMust(t, errOf(admin.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("erin"), PermissionsBoundary: p.Policy.Arn})))
	_, err = ei.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("after"), AssumeRolePolicyDocument: aws.String(ec2Trust)})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/erin is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/after because no permissions boundary allows the iam:CreateRole action")
	if _, err := ei.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles within the boundary: %v", err)
	}
	_, err = ei.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("before")})
	wantAPIError(t, err, "AccessDenied", "because no permissions boundary allows the iam:GetRole action")

	// A role's own boundary is what GetRole shows and what the simulator
	// applies to it.
	rolesMust(t, errOf(admin.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("before"), PermissionsBoundary: p.Policy.Arn})))
	rolesMust(t, errOf(admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("before"), PolicyArn: aws.String(adminARN)})))
	sim, err := admin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/before"), ActionNames: []string{"iam:ListRoles", "iam:CreateRole"}})
	rolesMust(t, err)
	if len(sim.EvaluationResults) != 2 || sim.EvaluationResults[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || sim.EvaluationResults[1].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny ||
		sim.EvaluationResults[1].PermissionsBoundaryDecisionDetail == nil || sim.EvaluationResults[1].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary ||
		!sim.EvaluationResults[0].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Fatalf("simulation = %+v", sim.EvaluationResults)
	}
}

// TestInstanceProfileOperations runs every instance profile operation.
func TestInstanceProfileOperations(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	rolesMust(t, errOf(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("web"), Path: aws.String("/app/"), AssumeRolePolicyDocument: aws.String(ec2Trust)})))
	rolesMust(t, errOf(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("db"), AssumeRolePolicyDocument: aws.String(ec2Trust)})))

	out, err := admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("webprof"), Path: aws.String("/app/"),
		Tags: []iamtypes.Tag{{Key: aws.String("tier"), Value: aws.String("web")}}})
	rolesMust(t, err)
	ip := out.InstanceProfile
	const arn = "arn:aws:iam::123456789012:instance-profile/app/webprof"
	if aws.ToString(ip.Arn) != arn || aws.ToString(ip.Path) != "/app/" || aws.ToString(ip.InstanceProfileName) != "webprof" ||
		!strings.HasPrefix(aws.ToString(ip.InstanceProfileId), "AIPA") || ip.CreateDate == nil || ip.Roles == nil || len(ip.Roles) != 0 || tagMap(ip.Tags)["tier"] != "web" {
		t.Fatalf("CreateInstanceProfile = %+v", ip)
	}
	_, err = admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("WEBPROF")})
	wantAPIError(t, err, "EntityAlreadyExists", "Instance Profile WEBPROF already exists.")
	rolesMust(t, errOf(admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("other")})))

	rolesMust(t, errOf(admin.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("webprof"), RoleName: aws.String("web")})))
	_, err = admin.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("webprof"), RoleName: aws.String("db")})
	wantAPIError(t, err, "LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	_, err = admin.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("other"), RoleName: aws.String("nope")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name nope cannot be found.")
	got, err := admin.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("webprof")})
	rolesMust(t, err)
	if len(got.InstanceProfile.Roles) != 1 || aws.ToString(got.InstanceProfile.Roles[0].Arn) != "arn:aws:iam::123456789012:role/app/web" ||
		decodedDoc(t, got.InstanceProfile.Roles[0].AssumeRolePolicyDocument) != ec2Trust || len(got.InstanceProfile.Tags) != 1 {
		t.Fatalf("GetInstanceProfile = %+v", got.InstanceProfile)
	}
	_, err = admin.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("nope")})
	wantAPIError(t, err, "NoSuchEntity", "Instance Profile nope cannot be found.")

	list, err := admin.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{PathPrefix: aws.String("/app/")})
	rolesMust(t, err)
	if len(list.InstanceProfiles) != 1 || aws.ToString(list.InstanceProfiles[0].Arn) != arn || len(list.InstanceProfiles[0].Roles) != 1 || list.IsTruncated {
		t.Fatalf("ListInstanceProfiles = %+v", list)
	}
	page, err := admin.ListInstanceProfiles(ctx, &iam.ListInstanceProfilesInput{MaxItems: aws.Int32(1)})
	rolesMust(t, err)
	if len(page.InstanceProfiles) != 1 || !page.IsTruncated || page.Marker == nil {
		t.Fatalf("ListInstanceProfiles page = %+v", page)
	}
	forRole, err := admin.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web")})
	rolesMust(t, err)
	if len(forRole.InstanceProfiles) != 1 || aws.ToString(forRole.InstanceProfiles[0].InstanceProfileName) != "webprof" {
		t.Fatalf("ListInstanceProfilesForRole = %+v", forRole)
	}
	_, err = admin.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
	_, err = admin.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("webprof")})
	wantAPIError(t, err, "DeleteConflict", "")

	rolesMust(t, errOf(admin.TagInstanceProfile(ctx, &iam.TagInstanceProfileInput{InstanceProfileName: aws.String("webprof"), Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})))
	tags, err := admin.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("webprof")})
	rolesMust(t, err)
	if m := tagMap(tags.Tags); len(m) != 2 || m["env"] != "prod" || tags.IsTruncated {
		t.Fatalf("ListInstanceProfileTags = %+v", tags.Tags)
	}
	rolesMust(t, errOf(admin.UntagInstanceProfile(ctx, &iam.UntagInstanceProfileInput{InstanceProfileName: aws.String("webprof"), TagKeys: []string{"tier"}})))
	tags, err = admin.ListInstanceProfileTags(ctx, &iam.ListInstanceProfileTagsInput{InstanceProfileName: aws.String("webprof")})
	rolesMust(t, err)
	if m := tagMap(tags.Tags); len(m) != 1 || m["env"] != "prod" {
		t.Fatalf("after UntagInstanceProfile: %+v", tags.Tags)
	}

	_, err = admin.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("webprof"), RoleName: aws.String("db")})
	wantAPIError(t, err, "NoSuchEntity", "The role with name db cannot be found in instance profile webprof.")
	rolesMust(t, errOf(admin.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("webprof"), RoleName: aws.String("web")})))
	forRole, err = admin.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web")})
	rolesMust(t, err)
	if len(forRole.InstanceProfiles) != 0 || forRole.InstanceProfiles == nil {
		t.Fatalf("ListInstanceProfilesForRole after removal = %+v", forRole.InstanceProfiles)
	}
	rolesMust(t, errOf(admin.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("webprof")})))
	_, err = admin.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("webprof")})
	wantAPIError(t, err, "NoSuchEntity", "")
}

// TestInstanceProfileDenials: the profile's real path in the resource, tag
// conditions, and iam:PassRole for AddRoleToInstanceProfile.
func TestInstanceProfileDenials(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	rolesMust(t, errOf(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("web"), Path: aws.String("/app/"), AssumeRolePolicyDocument: aws.String(ec2Trust)})))
	rolesMust(t, errOf(admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p1"), Path: aws.String("/app/")})))
	rolesMust(t, errOf(admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p2"), Path: aws.String("/app/")})))
	rolesMust(t, errOf(admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ops"), Path: aws.String("/ops/")})))

	const who = "User: arn:aws:iam::123456789012:user/fay is not authorized to perform: "
	fay := newUser(t, admin, "fay", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["iam:AddRoleToInstanceProfile","iam:GetInstanceProfile","iam:CreateInstanceProfile"],"Resource":"arn:aws:iam::123456789012:instance-profile/app/*"},
		{"Effect":"Allow","Action":"iam:TagInstanceProfile","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/env":"dev"}}}]}`)
	fi := ts.iam(fay)
	_, err := fi.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("ops")})
	wantAPIError(t, err, "AccessDenied", who+"iam:GetInstanceProfile on resource: arn:aws:iam::123456789012:instance-profile/ops/ops because no identity-based policy allows the iam:GetInstanceProfile action")
	_, err = fi.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("p1")})
	wantAPIError(t, err, "AccessDenied", who+"iam:DeleteInstanceProfile on resource: arn:aws:iam::123456789012:instance-profile/app/p1 because")
	_, err = fi.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("web")})
	wantAPIError(t, err, "AccessDenied", who+"iam:ListInstanceProfilesForRole on resource: arn:aws:iam::123456789012:role/app/web because")
	_, err = fi.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p3"), Path: aws.String("/app/"), Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	wantAPIError(t, err, "AccessDenied", who+"iam:TagInstanceProfile on resource: arn:aws:iam::123456789012:instance-profile/app/p3 because no identity-based policy allows the iam:TagInstanceProfile action")
	if _, err := fi.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("p3"), Path: aws.String("/app/"), Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatalf("CreateInstanceProfile env=dev: %v", err)
	}

	// Without iam:PassRole on the role, AddRoleToInstanceProfile fails.
	_, err = fi.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("p1"), RoleName: aws.String("web")})
	wantAPIError(t, err, "AccessDenied", who+"iam:PassRole on resource: arn:aws:iam::123456789012:role/app/web because no identity-based policy allows the iam:PassRole action")
	// PassRole to another service does not do.
	rolesMust(t, errOf(admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("fay"), PolicyName: aws.String("pass"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/app/*","Condition":{"StringEquals":{"iam:PassedToService":"batch.amazonaws.com"}}}]}`)})))
	_, err = fi.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("p1"), RoleName: aws.String("web")})
	wantAPIError(t, err, "AccessDenied", who+"iam:PassRole on resource: arn:aws:iam::123456789012:role/app/web because")
	rolesMust(t, errOf(admin.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("fay"), PolicyName: aws.String("pass"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::123456789012:role/app/*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"}}}]}`)})))
	if _, err := fi.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("p1"), RoleName: aws.String("web")}); err != nil {
		t.Fatalf("AddRoleToInstanceProfile with PassRole to EC2: %v", err)
	}
}

// TestAccountSummaryAndAuthorizationDetails checks the SummaryMap counts
// and every list of GetAccountAuthorizationDetails.
func TestAccountSummaryAndAuthorizationDetails(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	userDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}]}`
	newUser(t, admin, "gus", userDoc)
	rolesMust(t, errOf(admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("gus"), PolicyArn: aws.String(readOnlyARN)})))
	rolesMust(t, errOf(admin.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("web"), Path: aws.String("/app/"), AssumeRolePolicyDocument: aws.String(ec2Trust),
		PermissionsBoundary: aws.String(adminARN), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})))
	rolesMust(t, errOf(admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("web"), PolicyName: aws.String("inl"), PolicyDocument: aws.String(listOnlyDoc)})))
	rolesMust(t, errOf(admin.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("web"), PolicyArn: aws.String(readOnlyARN)})))
	rolesMust(t, errOf(admin.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("webprof")})))
	rolesMust(t, errOf(admin.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("webprof"), RoleName: aws.String("web")})))

	sum, err := admin.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	rolesMust(t, err)
	for k, want := range map[iamtypes.SummaryKeyType]int32{
		iamtypes.SummaryKeyTypeUsers: 1, iamtypes.SummaryKeyTypeRoles: 1, iamtypes.SummaryKeyTypeInstanceProfiles: 1,
		iamtypes.SummaryKeyTypeRolesQuota: 1000, iamtypes.SummaryKeyTypePolicyVersionsInUse: 2, iamtypes.SummaryKeyTypeAccountAccessKeysPresent: 1,
		iamtypes.SummaryKeyTypeAssumeRolePolicySizeQuota: 2048,
	} {
		if got, ok := sum.SummaryMap[string(k)]; !ok || got != want {
			t.Errorf("SummaryMap[%s] = %d, %v; want %d", k, got, ok, want)
		}
	}

	d, err := admin.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	rolesMust(t, err)
	if len(d.UserDetailList) != 1 || len(d.RoleDetailList) != 1 || len(d.GroupDetailList) != 0 || d.IsTruncated {
		t.Fatalf("details = %+v", d)
	}
	u := d.UserDetailList[0]
	if aws.ToString(u.UserName) != "gus" || len(u.UserPolicyList) != 1 || decodedDoc(t, u.UserPolicyList[0].PolicyDocument) != userDoc ||
		len(u.AttachedManagedPolicies) != 1 || aws.ToString(u.AttachedManagedPolicies[0].PolicyName) != "ReadOnlyAccess" || u.GroupList == nil {
		t.Errorf("UserDetail = %+v", u)
	}
	r := d.RoleDetailList[0]
	if aws.ToString(r.Arn) != "arn:aws:iam::123456789012:role/app/web" || decodedDoc(t, r.AssumeRolePolicyDocument) != ec2Trust ||
		len(r.RolePolicyList) != 1 || aws.ToString(r.RolePolicyList[0].PolicyName) != "inl" || decodedDoc(t, r.RolePolicyList[0].PolicyDocument) != listOnlyDoc ||
		len(r.AttachedManagedPolicies) != 1 || aws.ToString(r.AttachedManagedPolicies[0].PolicyArn) != readOnlyARN ||
		r.PermissionsBoundary == nil || aws.ToString(r.PermissionsBoundary.PermissionsBoundaryArn) != adminARN ||
		tagMap(r.Tags)["k"] != "v" || r.RoleLastUsed == nil ||
		len(r.InstanceProfileList) != 1 || aws.ToString(r.InstanceProfileList[0].InstanceProfileName) != "webprof" || len(r.InstanceProfileList[0].Roles) != 1 {
		t.Errorf("RoleDetail = %+v", r)
	}
	var ro *iamtypes.ManagedPolicyDetail
	for i := range d.Policies {
		if aws.ToString(d.Policies[i].Arn) == readOnlyARN {
			ro = &d.Policies[i]
		}
	}
	if ro == nil || aws.ToInt32(ro.AttachmentCount) != 2 || aws.ToString(ro.PolicyName) != "ReadOnlyAccess" || aws.ToString(ro.DefaultVersionId) == "" ||
		len(ro.PolicyVersionList) != 1 || !ro.PolicyVersionList[0].IsDefaultVersion || !strings.Contains(decodedDoc(t, ro.PolicyVersionList[0].Document), `"Statement"`) {
		t.Errorf("ReadOnlyAccess detail = %+v", ro)
	}

	roles, err := admin.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeRole}})
	rolesMust(t, err)
	if len(roles.RoleDetailList) != 1 || len(roles.UserDetailList) != 0 || len(roles.Policies) != 0 {
		t.Fatalf("Filter Role = %+v", roles)
	}
	p1, err := admin.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1)})
	rolesMust(t, err)
	if !p1.IsTruncated || p1.Marker == nil || len(p1.UserDetailList) != 1 || len(p1.RoleDetailList) != 0 {
		t.Fatalf("page 1 = %+v", p1)
	}
	p2, err := admin.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1), Marker: p1.Marker})
	rolesMust(t, err)
	if len(p2.RoleDetailList) != 1 || len(p2.UserDetailList) != 0 {
		t.Fatalf("page 2 = %+v", p2)
	}

	hal := newUser(t, admin, "hal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetAccountSummary","Resource":"*"}]}`)
	if _, err := ts.iam(hal).GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}); err != nil {
		t.Fatalf("hal GetAccountSummary: %v", err)
	}
	_, err = ts.iam(hal).GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/hal is not authorized to perform: iam:GetAccountAuthorizationDetails on resource: * because no identity-based policy allows the iam:GetAccountAuthorizationDetails action")
}

// TestPolicySimulator checks the simulator's fields: matched statements
// with positions, missing context values, context entries, per-resource
// results, boundary decisions, and context keys.
func TestPolicySimulator(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Get","Effect":"Allow","Action":"iam:GetUser","Resource":"*"},{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}},{"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]}`
	newUser(t, admin, "ivy", doc)
	const ivy = "arn:aws:iam::123456789012:user/ivy"

	sim, err := admin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(ivy), ActionNames: []string{"iam:GetUser", "iam:ListRoles", "iam:DeleteUser", "iam:CreateUser"}})
	rolesMust(t, err)
	res := sim.EvaluationResults
	if len(res) != 4 || sim.IsTruncated {
		t.Fatalf("results = %+v", sim)
	}
	get := res[0]
	if aws.ToString(get.EvalActionName) != "iam:GetUser" || aws.ToString(get.EvalResourceName) != "*" || get.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed ||
		len(get.MatchedStatements) != 1 || aws.ToString(get.MatchedStatements[0].SourcePolicyId) != "p0" || get.MatchedStatements[0].SourcePolicyType != iamtypes.PolicySourceTypeUser ||
		get.MatchedStatements[0].StartPosition == nil || get.MatchedStatements[0].StartPosition.Line != 1 || get.MatchedStatements[0].StartPosition.Column != 39 ||
		get.MatchedStatements[0].EndPosition == nil || len(get.EvalDecisionDetails) != 0 || len(get.ResourceSpecificResults) != 0 || get.PermissionsBoundaryDecisionDetail != nil {
		t.Errorf("GetUser result = %+v", get)
	}
	if l := res[1]; l.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny || !slices.Equal(l.MissingContextValues, []string{"aws:RequestedRegion"}) {
		t.Errorf("ListRoles result = %+v", l)
	}
	if d := res[2]; d.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeExplicitDeny || len(d.MatchedStatements) != 1 {
		t.Errorf("DeleteUser result = %+v", d)
	}
	if c := res[3]; c.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny || len(c.MatchedStatements) != 0 {
		t.Errorf("CreateUser result = %+v", c)
	}

	// ContextEntries supply the key; named resources get per-resource
	// results.
	sim, err = admin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(ivy), ActionNames: []string{"iam:ListRoles"},
		ResourceArns:   []string{"arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b"},
		ContextEntries: []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:RequestedRegion"), ContextKeyValues: []string{"us-east-1"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}},
	})
	rolesMust(t, err)
	if len(sim.EvaluationResults) != 2 {
		t.Fatalf("results = %+v", sim.EvaluationResults)
	}
	for _, r := range sim.EvaluationResults {
		if r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || len(r.ResourceSpecificResults) != 1 || r.EvalDecisionDetails == nil ||
			aws.ToString(r.ResourceSpecificResults[0].EvalResourceName) != aws.ToString(r.EvalResourceName) ||
			r.ResourceSpecificResults[0].EvalResourceDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || len(r.ResourceSpecificResults[0].MatchedStatements) != 1 {
			t.Errorf("named result = %+v", r)
		}
	}
	page, err := admin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(ivy), ActionNames: []string{"iam:GetUser", "iam:ListRoles"}, MaxItems: aws.Int32(1)})
	rolesMust(t, err)
	if len(page.EvaluationResults) != 1 || !page.IsTruncated || page.Marker == nil {
		t.Fatalf("page = %+v", page)
	}

	custom, err := admin.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList:                    []string{listOnlyDoc},
		PermissionsBoundaryPolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`},
		ActionNames:                        []string{"iam:ListUsers", "iam:ListRoles"},
	})
	rolesMust(t, err)
	cr := custom.EvaluationResults
	if len(cr) != 2 || cr[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || cr[1].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny ||
		aws.ToString(cr[0].MatchedStatements[0].SourcePolicyId) != "PolicyInputList.1" || cr[0].MatchedStatements[0].SourcePolicyType != iamtypes.PolicySourceTypeNone ||
		cr[1].PermissionsBoundaryDecisionDetail == nil || cr[1].PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Errorf("custom = %+v", cr)
	}
	_, err = admin.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{"{"}, ActionNames: []string{"iam:ListUsers"}})
	wantAPIError(t, err, "InvalidInput", "")

	keys, err := admin.GetContextKeysForPrincipalPolicy(ctx, &iam.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: aws.String(ivy),
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`}})
	rolesMust(t, err)
	if !slices.Equal(keys.ContextKeyNames, []string{"aws:RequestedRegion", "aws:username", "aws:SecureTransport"}) {
		t.Errorf("GetContextKeysForPrincipalPolicy = %v", keys.ContextKeyNames)
	}
	ck, err := admin.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{doc}})
	rolesMust(t, err)
	if !slices.Equal(ck.ContextKeyNames, []string{"aws:RequestedRegion"}) {
		t.Errorf("GetContextKeysForCustomPolicy = %v", ck.ContextKeyNames)
	}
	ck, err = admin.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{listOnlyDoc}})
	rolesMust(t, err)
	if ck.ContextKeyNames == nil || len(ck.ContextKeyNames) != 0 {
		t.Errorf("no keys = %#v", ck.ContextKeyNames)
	}

	// SimulatePrincipalPolicy is authorized on the simulated entity.
	jo := newUser(t, admin, "jo", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:SimulatePrincipalPolicy","iam:GetContextKeysForPrincipalPolicy"],"Resource":"arn:aws:iam::123456789012:user/${aws:username}"}]}`)
	ji := ts.iam(jo)
	if _, err := ji.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/jo"), ActionNames: []string{"iam:GetUser"}}); err != nil {
		t.Fatalf("jo simulates jo: %v", err)
	}
	_, err = ji.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(ivy), ActionNames: []string{"iam:GetUser"}})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/jo is not authorized to perform: iam:SimulatePrincipalPolicy on resource: arn:aws:iam::123456789012:user/ivy because no identity-based policy allows the iam:SimulatePrincipalPolicy action")
	_, err = ji.GetContextKeysForPrincipalPolicy(ctx, &iam.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: aws.String(ivy)})
	wantAPIError(t, err, "AccessDenied", "iam:GetContextKeysForPrincipalPolicy on resource: arn:aws:iam::123456789012:user/ivy because")
	_, err = ji.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{listOnlyDoc}, ActionNames: []string{"iam:ListUsers"}})
	wantAPIError(t, err, "AccessDenied", "iam:SimulateCustomPolicy on resource: * because")
	_, err = ji.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{listOnlyDoc}})
	wantAPIError(t, err, "AccessDenied", "iam:GetContextKeysForCustomPolicy on resource: * because")
	_, err = admin.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/nobody"), ActionNames: []string{"iam:GetUser"}})
	wantAPIError(t, err, "NoSuchEntity", "")
}

// errOf keeps the error of a call whose output is not looked at.
func errOf[T any](_ T, err error) error { return err }

// TestAWSCLIRolesAndAssumeRole drives the installed AWS CLI v1 against
// batchd: create a role, read it back, assume it and ask who we are.
func TestAWSCLIRolesAndAssumeRole(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	ts := startServer(t, "")
	admin := ts.iam(ts.Root)
	kim := newUser(t, admin, "kim", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","sts:AssumeRole"],"Resource":"*"}]}`)
	cli := func(creds ...string) func(args ...string) (string, error) {
		return func(args ...string) (string, error) {
			cmd := exec.Command("aws", append([]string{"--endpoint-url", ts.URL, "--output", "json"}, args...)...)
			// Only this test's AWS settings: none of the environment's.
			env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") })
			cmd.Env = append(env, "AWS_ACCESS_KEY_ID="+creds[0], "AWS_SECRET_ACCESS_KEY="+creds[1], "AWS_DEFAULT_REGION=us-east-1",
				"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1")
			if len(creds) > 2 {
				cmd.Env = append(cmd.Env, "AWS_SESSION_TOKEN="+creds[2])
			}
			out, err := cmd.CombinedOutput()
			return string(out), err
		}
	}
	run := cli(kim.AccessKeyID, kim.SecretAccessKey)
	trust := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/kim"}, "Action": "sts:AssumeRole"}]}`
	out, err := run("iam", "create-role", "--role-name", "cli-role", "--path", "/cli/", "--assume-role-policy-document", trust, "--tags", "Key=team,Value=red")
	if err != nil {
		t.Fatalf("create-role: %v\n%s", err, out)
	}
	if !strings.Contains(out, `"Arn": "arn:aws:iam::123456789012:role/cli/cli-role"`) || !strings.Contains(out, `"Key": "team"`) {
		t.Errorf("create-role output:\n%s", out)
	}
	// The CLI decodes the URL-encoded trust policy into JSON.
	out, err = run("iam", "get-role", "--role-name", "cli-role", "--query", "Role.AssumeRolePolicyDocument.Statement[0].Principal.AWS", "--output", "text")
	if err != nil || strings.TrimSpace(out) != "arn:aws:iam::123456789012:user/kim" {
		t.Errorf("get-role trust principal: %v\n%s", err, out)
	}
	out, err = run("iam", "list-roles", "--path-prefix", "/cli/", "--query", "Roles[].RoleName", "--output", "text")
	if err != nil || strings.TrimSpace(out) != "cli-role" {
		t.Errorf("list-roles: %v\n%s", err, out)
	}
	out, err = run("iam", "get-account-summary", "--query", "SummaryMap.Roles", "--output", "text")
	if err != nil || strings.TrimSpace(out) != "1" {
		t.Errorf("get-account-summary: %v\n%s", err, out)
	}
	out, err = run("iam", "simulate-custom-policy", "--policy-input-list", listOnlyDoc, "--action-names", "iam:ListRoles", "iam:GetRole",
		"--query", "EvaluationResults[].EvalDecision", "--output", "text")
	if err != nil || strings.Join(strings.Fields(out), " ") != "allowed implicitDeny" {
		t.Errorf("simulate-custom-policy: %v\n%s", err, out)
	}
	out, err = run("sts", "assume-role", "--role-arn", "arn:aws:iam::123456789012:role/cli/cli-role", "--role-session-name", "cli",
		"--query", "[Credentials.AccessKeyId,Credentials.SecretAccessKey,Credentials.SessionToken,AssumedRoleUser.Arn]", "--output", "text")
	if err != nil {
		t.Fatalf("assume-role: %v\n%s", err, out)
	}
	f := strings.Fields(out)
	if len(f) != 4 || f[3] != "arn:aws:sts::123456789012:assumed-role/cli-role/cli" {
		t.Fatalf("assume-role output: %q", out)
	}
	out, err = cli(f[0], f[1], f[2])("sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if err != nil || strings.TrimSpace(out) != "arn:aws:sts::123456789012:assumed-role/cli-role/cli" {
		t.Errorf("get-caller-identity as the role: %v\n%s", err, out)
	}
	// A denial comes back as the CLI's error with AWS's message.
	out, err = cli(f[0], f[1], f[2])("iam", "list-users")
	if err == nil || !strings.Contains(out, "AccessDenied") || !strings.Contains(out, "arn:aws:sts::123456789012:assumed-role/cli-role/cli is not authorized to perform: iam:ListUsers") {
		t.Errorf("list-users as the role: %v\n%s", err, out)
	}
}
