package iam

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"batchd/internal/iam/policy"
	"batchd/internal/store"
	"batchd/internal/store/memstore"
)

// Helpers of roles_test.go, profiles_test.go, account_test.go and
// simulate_test.go carry an rt prefix so that they cannot clash with other
// test files of the package.

const rtAccount = "123456789012"

var rtNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const (
	rtTrust       = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	rtInline      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"batch:*","Resource":"*"}]}`
	rtAdmin       = "arn:aws:iam::aws:policy/AdministratorAccess"
	rtBatchPolicy = "arn:aws:iam::aws:policy/aws-service-role/BatchServiceRolePolicy"
)

func newRolesTestService(t testing.TB) *Service { return newRolesTestServiceLimits(t, Limits{}) }

func newRolesTestServiceLimits(t testing.TB, limits Limits) *Service {
	t.Helper()
	kr, err := NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	return New(Config{Store: st, Keyring: kr, AccountID: rtAccount, Region: "us-east-1", Now: func() time.Time { return rtNow }, Limits: limits})
}

func rtMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// rtWantErr requires an IAM error with exactly code and message.
func rtWantErr(t testing.TB, err error, code, message string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want %s: %s", err, code, message)
	}
	if e.Code != code || e.Message != message {
		t.Fatalf("error = %s: %q\nwant    %s: %q", e.Code, e.Message, code, message)
	}
}

func rtRole(t testing.TB, s *Service, name, path string) *Role {
	t.Helper()
	r, err := s.CreateRole(context.Background(), CreateRoleInput{Name: name, Path: path, TrustPolicy: rtTrust})
	rtMust(t, err)
	return r
}

// rtStore writes an entity straight to the store, for fixtures that other
// files' operations (groups, customer managed policies) would make.
func rtStore(t testing.TB, s *Service, kind, key string, v any) {
	t.Helper()
	rtMust(t, s.update(context.Background(), func(tx store.Tx) error { return put(tx, kind, key, v) }))
}

func TestCreateRole(t *testing.T) {
	t.Parallel()
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"` + strings.Repeat("1", 2100) + `"}}}]}`
	tests := []struct {
		name    string
		in      CreateRoleInput
		limits  Limits
		code    string
		message string
	}{
		{name: "defaults", in: CreateRoleInput{Name: "app", TrustPolicy: rtTrust}},
		{name: "with everything", in: CreateRoleInput{Name: "app", Path: "/svc/", TrustPolicy: rtTrust, Description: "d", MaxSessionDuration: 43200, Boundary: rtAdmin, Tags: []Tag{{"k", "v"}}}},
		{name: "bad path", in: CreateRoleInput{Name: "app", Path: "svc", TrustPolicy: rtTrust},
			code: CodeValidationError, message: "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters."},
		{name: "service role path", in: CreateRoleInput{Name: "app", Path: "/aws-service-role/x/", TrustPolicy: rtTrust},
			code: CodeInvalidInput, message: "Path prefix '/aws-service-role/' can only be used for AWS Service linked Roles"},
		{name: "session too short", in: CreateRoleInput{Name: "app", TrustPolicy: rtTrust, MaxSessionDuration: 3599},
			code: CodeValidationError, message: "1 validation error detected: Value '3599' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
		{name: "session too long", in: CreateRoleInput{Name: "app", TrustPolicy: rtTrust, MaxSessionDuration: 43201},
			code: CodeValidationError, message: "1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{name: "description too long", in: CreateRoleInput{Name: "app", TrustPolicy: rtTrust, Description: strings.Repeat("d", 1001)},
			code: CodeValidationError, message: "1 validation error detected: Value '" + strings.Repeat("d", 1001) + "' at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000"},
		{name: "trust policy not JSON", in: CreateRoleInput{Name: "app", TrustPolicy: "{"},
			code: CodeMalformedPolicy, message: "$: unexpected end of JSON input"},
		{name: "trust policy without principal", in: CreateRoleInput{Name: "app", TrustPolicy: rtInline},
			code: CodeMalformedPolicy, message: "$.Statement[0]: a statement of a trust policy must have Principal or NotPrincipal"},
		{name: "trust policy too large", in: CreateRoleInput{Name: "app", TrustPolicy: big},
			code: CodeLimitExceeded, message: "Cannot exceed quota for ACLSizePerRole: 2048"},
		{name: "unknown boundary", in: CreateRoleInput{Name: "app", TrustPolicy: rtTrust, Boundary: "arn:aws:iam::123456789012:policy/nope"},
			code: CodeInvalidInput, message: "ARN arn:aws:iam::123456789012:policy/nope is not valid."},
		{name: "too many tags", in: CreateRoleInput{Name: "app", TrustPolicy: rtTrust, Tags: rtTags(51)},
			code: CodeLimitExceeded, message: "The number of tags has reached the maximum limit."},
		{name: "quota", in: CreateRoleInput{Name: "app", TrustPolicy: rtTrust}, limits: Limits{Roles: 1},
			code: CodeLimitExceeded, message: "Cannot exceed quota for RolesPerAccount: 1"},
		{name: "duplicate regardless of case", in: CreateRoleInput{Name: "EXISTING", TrustPolicy: rtTrust},
			code: CodeEntityAlreadyExists, message: "Role with name EXISTING already exists."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newRolesTestServiceLimits(t, tc.limits)
			rtRole(t, s, "existing", "")
			r, err := s.CreateRole(context.Background(), tc.in)
			if tc.code != "" {
				rtWantErr(t, err, tc.code, tc.message)
				return
			}
			rtMust(t, err)
			path := tc.in.Path
			if path == "" {
				path = "/"
			}
			if r.ARN != "arn:aws:iam::123456789012:role"+path+tc.in.Name || r.Path != path {
				t.Errorf("ARN %s, path %s", r.ARN, r.Path)
			}
			if !regexp.MustCompile(`^AROA[A-Z2-7]{17}$`).MatchString(r.ID) {
				t.Errorf("ID %s", r.ID)
			}
			want := tc.in.MaxSessionDuration
			if want == 0 {
				want = 3600
			}
			if r.MaxSessionDuration != want || r.Boundary != tc.in.Boundary || r.Description != tc.in.Description || !r.CreateDate.Equal(rtNow) {
				t.Errorf("role %+v", r)
			}
			got, err := s.GetRole(context.Background(), strings.ToUpper(tc.in.Name))
			rtMust(t, err)
			if got.ARN != r.ARN || got.TrustPolicy != tc.in.TrustPolicy || len(got.Tags) != len(tc.in.Tags) {
				t.Errorf("GetRole = %+v", got)
			}
		})
	}
}

func rtTags(n int) []Tag {
	var out []Tag
	for i := range n {
		out = append(out, Tag{Key: "k" + itoa(i), Value: "v"})
	}
	return out
}

func TestGetRoleNotFound(t *testing.T) {
	t.Parallel()
	s := newRolesTestService(t)
	_, err := s.GetRole(context.Background(), "nope")
	rtWantErr(t, err, CodeNoSuchEntity, "The role with name nope cannot be found.")
}

func TestListRoles(t *testing.T) {
	t.Parallel()
	s := newRolesTestService(t)
	ctx := context.Background()
	rtRole(t, s, "b", "/x/")
	rtRole(t, s, "a", "/")
	rtRole(t, s, "c", "/x/y/")
	names := func(rs []*Role) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	all, _, truncated, err := s.ListRoles(ctx, "", Page{})
	rtMust(t, err)
	if got := names(all); !slices.Equal(got, []string{"a", "b", "c"}) || truncated {
		t.Errorf("ListRoles = %v, %v", got, truncated)
	}
	x, _, _, err := s.ListRoles(ctx, "/x/", Page{})
	rtMust(t, err)
	if got := names(x); !slices.Equal(got, []string{"b", "c"}) {
		t.Errorf("ListRoles(/x/) = %v", got)
	}
	first, marker, truncated, err := s.ListRoles(ctx, "", Page{MaxItems: 2})
	rtMust(t, err)
	if got := names(first); !slices.Equal(got, []string{"a", "b"}) || !truncated || marker == "" {
		t.Fatalf("page 1 = %v, %v, %q", got, truncated, marker)
	}
	rest, _, truncated, err := s.ListRoles(ctx, "", Page{MaxItems: 2, Marker: marker})
	rtMust(t, err)
	if got := names(rest); !slices.Equal(got, []string{"c"}) || truncated {
		t.Errorf("page 2 = %v, %v", got, truncated)
	}
	_, _, _, err = s.ListRoles(ctx, "", Page{Marker: "bogus"})
	rtWantErr(t, err, CodeInvalidInput, "Invalid Marker.")
}

func TestUpdateRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	desc, long := "new", strings.Repeat("d", 1001)
	ok, low, high := int32(7200), int32(60), int32(50000)
	tests := []struct {
		name        string
		role        string
		description *string
		maxSession  *int32
		code, msg   string
	}{
		{name: "description", role: "app", description: &desc},
		{name: "session", role: "app", maxSession: &ok},
		{name: "both", role: "APP", description: &desc, maxSession: &ok},
		{name: "session too short", role: "app", maxSession: &low, code: CodeValidationError,
			msg: "1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
		{name: "session too long", role: "app", maxSession: &high, code: CodeValidationError,
			msg: "1 validation error detected: Value '50000' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{name: "description too long", role: "app", description: &long, code: CodeValidationError,
			msg: "1 validation error detected: Value '" + long + "' at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000"},
		{name: "no such role", role: "nope", description: &desc, code: CodeNoSuchEntity, msg: "The role with name nope cannot be found."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newRolesTestService(t)
			rtRole(t, s, "app", "")
			err := s.UpdateRole(ctx, tc.role, tc.description, tc.maxSession)
			if tc.code != "" {
				rtWantErr(t, err, tc.code, tc.msg)
				return
			}
			rtMust(t, err)
			r, err := s.GetRole(ctx, "app")
			rtMust(t, err)
			wantDesc, wantSession := "", int32(3600)
			if tc.description != nil {
				wantDesc = *tc.description
			}
			if tc.maxSession != nil {
				wantSession = *tc.maxSession
			}
			if r.Description != wantDesc || r.MaxSessionDuration != wantSession {
				t.Errorf("role = %q, %d", r.Description, r.MaxSessionDuration)
			}
		})
	}
}

func TestUpdateRoleDescriptionAndTrust(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	rtRole(t, s, "app", "")
	r, err := s.UpdateRoleDescription(ctx, "App", "hello")
	rtMust(t, err)
	if r.Description != "hello" {
		t.Errorf("description %q", r.Description)
	}
	_, err = s.UpdateRoleDescription(ctx, "nope", "x")
	rtWantErr(t, err, CodeNoSuchEntity, "The role with name nope cannot be found.")

	trust := strings.Replace(rtTrust, "ecs-tasks", "batch", 1)
	rtMust(t, s.UpdateAssumeRolePolicy(ctx, "app", trust))
	if r, _ := s.GetRole(ctx, "app"); r.TrustPolicy != trust {
		t.Errorf("trust %s", r.TrustPolicy)
	}
	rtWantErr(t, s.UpdateAssumeRolePolicy(ctx, "app", "["), CodeMalformedPolicy, "$: unexpected end of JSON input")
	rtWantErr(t, s.UpdateAssumeRolePolicy(ctx, "nope", rtTrust), CodeNoSuchEntity, "The role with name nope cannot be found.")
}

func TestDeleteRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name      string
		setup     func(t *testing.T, s *Service)
		code, msg string
	}{
		{name: "bare", setup: func(*testing.T, *Service) {}},
		{name: "inline policy", setup: func(t *testing.T, s *Service) { rtMust(t, s.PutRolePolicy(ctx, "app", "p", rtInline)) },
			code: CodeDeleteConflict, msg: "Cannot delete entity, must delete policies first."},
		{name: "attached policy", setup: func(t *testing.T, s *Service) { rtMust(t, s.AttachRolePolicy(ctx, "app", rtAdmin)) },
			code: CodeDeleteConflict, msg: "Cannot delete entity, must detach all policies first."},
		{name: "instance profile", setup: func(t *testing.T, s *Service) {
			_, err := s.CreateInstanceProfile(ctx, "ip", "", nil)
			rtMust(t, err)
			rtMust(t, s.AddRoleToInstanceProfile(ctx, "ip", "app"))
		}, code: CodeDeleteConflict, msg: "Cannot delete entity, must remove roles from instance profile first."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newRolesTestService(t)
			rtRole(t, s, "app", "")
			tc.setup(t, s)
			err := s.DeleteRole(ctx, "APP")
			if tc.code != "" {
				rtWantErr(t, err, tc.code, tc.msg)
				return
			}
			rtMust(t, err)
			_, err = s.GetRole(ctx, "app")
			rtWantErr(t, err, CodeNoSuchEntity, "The role with name app cannot be found.")
		})
	}
	t.Run("no such role", func(t *testing.T) {
		t.Parallel()
		s := newRolesTestService(t)
		rtWantErr(t, s.DeleteRole(ctx, "nope"), CodeNoSuchEntity, "The role with name nope cannot be found.")
	})
}

func TestRoleTags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	rtRole(t, s, "app", "")
	rtMust(t, s.TagRole(ctx, "app", []Tag{{"a", "1"}, {"b", "2"}}))
	rtMust(t, s.TagRole(ctx, "app", []Tag{{"A", "3"}}))
	tags, _, _, err := s.ListRoleTags(ctx, "app", Page{})
	rtMust(t, err)
	if !slices.Equal(tags, []Tag{{"A", "3"}, {"b", "2"}}) {
		t.Errorf("tags %v", tags)
	}
	page, marker, truncated, err := s.ListRoleTags(ctx, "app", Page{MaxItems: 1})
	rtMust(t, err)
	if len(page) != 1 || !truncated || marker == "" {
		t.Errorf("page %v %v %q", page, truncated, marker)
	}
	rtMust(t, s.UntagRole(ctx, "app", []string{"a"}))
	tags, _, _, _ = s.ListRoleTags(ctx, "app", Page{})
	if !slices.Equal(tags, []Tag{{"b", "2"}}) {
		t.Errorf("tags after untag %v", tags)
	}
	rtWantErr(t, s.TagRole(ctx, "app", rtTags(50)), CodeLimitExceeded, "The number of tags has reached the maximum limit.")
	rtWantErr(t, s.TagRole(ctx, "nope", rtTags(1)), CodeNoSuchEntity, "The role with name nope cannot be found.")
	rtWantErr(t, s.UntagRole(ctx, "nope", []string{"a"}), CodeNoSuchEntity, "The role with name nope cannot be found.")
	_, _, _, err = s.ListRoleTags(ctx, "nope", Page{})
	rtWantErr(t, err, CodeNoSuchEntity, "The role with name nope cannot be found.")
}

func TestRoleInlinePolicies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	rtRole(t, s, "app", "")
	rtMust(t, s.PutRolePolicy(ctx, "app", "b", rtInline))
	rtMust(t, s.PutRolePolicy(ctx, "app", "a", rtInline))
	names, err := s.ListRolePolicies(ctx, "app")
	rtMust(t, err)
	if !slices.Equal(names, []string{"a", "b"}) {
		t.Errorf("names %v", names)
	}
	doc, err := s.GetRolePolicy(ctx, "app", "A")
	rtMust(t, err)
	if doc != rtInline {
		t.Errorf("doc %s", doc)
	}
	rtMust(t, s.DeleteRolePolicy(ctx, "app", "a"))
	_, err = s.GetRolePolicy(ctx, "app", "a")
	rtWantErr(t, err, CodeNoSuchEntity, "The role policy with name a cannot be found.")
	rtWantErr(t, s.DeleteRolePolicy(ctx, "app", "a"), CodeNoSuchEntity, "The role policy with name a cannot be found.")
	rtWantErr(t, s.PutRolePolicy(ctx, "app", "p", "{"), CodeMalformedPolicy, "$: unexpected end of JSON input")
	rtWantErr(t, s.PutRolePolicy(ctx, "nope", "p", rtInline), CodeNoSuchEntity, "The role with name nope cannot be found.")
	_, err = s.ListRolePolicies(ctx, "nope")
	rtWantErr(t, err, CodeNoSuchEntity, "The role with name nope cannot be found.")
}

func TestRoleAttachedPoliciesAndBoundary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	rtRole(t, s, "app", "")
	rtMust(t, s.AttachRolePolicy(ctx, "app", rtAdmin))
	rtMust(t, s.AttachRolePolicy(ctx, "app", rtAdmin)) // attaching twice is a no-op
	got, err := s.ListAttachedRolePolicies(ctx, "app", "")
	rtMust(t, err)
	if !slices.Equal(got, []AttachedPolicy{{Name: "AdministratorAccess", ARN: rtAdmin}}) {
		t.Errorf("attached %v", got)
	}
	rtWantErr(t, s.AttachRolePolicy(ctx, "app", rtBatchPolicy), CodePolicyNotAttachable, "Policy "+rtBatchPolicy+" is not attachable.")
	rtWantErr(t, s.AttachRolePolicy(ctx, "app", "arn:aws:iam::aws:policy/Nope"), CodeNoSuchEntity,
		"Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable.")
	rtWantErr(t, s.DetachRolePolicy(ctx, "app", "arn:aws:iam::aws:policy/ReadOnlyAccess"), CodeNoSuchEntity,
		"Policy arn:aws:iam::aws:policy/ReadOnlyAccess was not found.")
	rtMust(t, s.DetachRolePolicy(ctx, "app", rtAdmin))

	rtMust(t, s.PutRolePermissionsBoundary(ctx, "app", rtAdmin))
	if r, _ := s.GetRole(ctx, "app"); r.Boundary != rtAdmin {
		t.Errorf("boundary %q", r.Boundary)
	}
	rtWantErr(t, s.PutRolePermissionsBoundary(ctx, "app", "arn:aws:iam::123456789012:policy/x"), CodeInvalidInput,
		"ARN arn:aws:iam::123456789012:policy/x is not valid.")
	rtMust(t, s.DeleteRolePermissionsBoundary(ctx, "app"))
	if r, _ := s.GetRole(ctx, "app"); r.Boundary != "" {
		t.Errorf("boundary %q", r.Boundary)
	}
	rtWantErr(t, s.PutRolePermissionsBoundary(ctx, "nope", rtAdmin), CodeNoSuchEntity, "The role with name nope cannot be found.")
}

func TestRoleByARN(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	r := rtRole(t, s, "app", "/svc/")
	tests := []struct {
		name, arn, code, msg string
	}{
		{name: "exact", arn: "arn:aws:iam::123456789012:role/svc/app"},
		{name: "wrong path", arn: "arn:aws:iam::123456789012:role/app", code: CodeNoSuchEntity, msg: "The role with name app cannot be found."},
		{name: "no such role", arn: "arn:aws:iam::123456789012:role/nope", code: CodeNoSuchEntity, msg: "The role with name nope cannot be found."},
		{name: "other account", arn: "arn:aws:iam::999999999999:role/svc/app", code: CodeInvalidInput, msg: "ARN arn:aws:iam::999999999999:role/svc/app is not valid."},
		{name: "user ARN", arn: "arn:aws:iam::123456789012:user/app", code: CodeInvalidInput, msg: "ARN arn:aws:iam::123456789012:user/app is not valid."},
		{name: "not an ARN", arn: "app", code: CodeInvalidInput, msg: "ARN app is not valid."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.RoleByARN(ctx, tc.arn)
			if tc.code != "" {
				rtWantErr(t, err, tc.code, tc.msg)
				return
			}
			rtMust(t, err)
			if got.ID != r.ID {
				t.Errorf("role %+v", got)
			}
		})
	}
}

func TestMarkRoleUsed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	rtRole(t, s, "app", "")
	rtMust(t, s.MarkRoleUsed(ctx, "app", "eu-west-1"))
	r, _ := s.GetRole(ctx, "app")
	if !r.LastUsed.Equal(rtNow) || r.LastUsedIn != "eu-west-1" {
		t.Errorf("last used %v in %q", r.LastUsed, r.LastUsedIn)
	}
	rtMust(t, s.MarkRoleUsed(ctx, "nope", "eu-west-1")) // a deleted role is no error
}

func TestServiceLinkedRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newRolesTestService(t)
	r, err := s.CreateServiceLinkedRole(ctx, "batch.amazonaws.com", "for Batch", "")
	rtMust(t, err)
	if r.Name != "AWSServiceRoleForBatch" || r.Path != "/aws-service-role/batch.amazonaws.com/" ||
		r.ARN != "arn:aws:iam::123456789012:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch" ||
		r.ServiceLinked != "batch.amazonaws.com" || r.Description != "for Batch" || r.MaxSessionDuration != 3600 ||
		!slices.Equal(r.AttachedPolicies, []string{rtBatchPolicy}) {
		t.Errorf("role %+v", r)
	}
	if err := checkPolicyDocument(r.TrustPolicy, policy.KindTrust, "role"); err != nil || !strings.Contains(r.TrustPolicy, `"Service":"batch.amazonaws.com"`) {
		t.Errorf("trust policy %s: %v", r.TrustPolicy, err)
	}

	_, err = s.CreateServiceLinkedRole(ctx, "batch.amazonaws.com", "", "")
	rtWantErr(t, err, CodeInvalidInput, "Service role name AWSServiceRoleForBatch has been taken in this account, please try a different suffix.")
	_, err = s.CreateServiceLinkedRole(ctx, "ecs.amazonaws.com", "", "")
	rtWantErr(t, err, CodeInvalidInput, "Service role name for ecs.amazonaws.com has not been whitelisted.")
	suffixed, err := s.CreateServiceLinkedRole(ctx, "batch.amazonaws.com", "", "dev")
	rtMust(t, err)
	if suffixed.Name != "AWSServiceRoleForBatch_dev" {
		t.Errorf("suffixed name %s", suffixed.Name)
	}

	protected := "Cannot perform the operation on the protected role 'AWSServiceRoleForBatch' - this role is only modifiable by AWS"
	session := int32(7200)
	refused := map[string]error{
		"DeleteRole":                    s.DeleteRole(ctx, "AWSServiceRoleForBatch"),
		"UpdateAssumeRolePolicy":        s.UpdateAssumeRolePolicy(ctx, "AWSServiceRoleForBatch", rtTrust),
		"UpdateRole session":            s.UpdateRole(ctx, "AWSServiceRoleForBatch", nil, &session),
		"PutRolePolicy":                 s.PutRolePolicy(ctx, "AWSServiceRoleForBatch", "p", rtInline),
		"DeleteRolePolicy":              s.DeleteRolePolicy(ctx, "AWSServiceRoleForBatch", "p"),
		"AttachRolePolicy":              s.AttachRolePolicy(ctx, "AWSServiceRoleForBatch", rtAdmin),
		"DetachRolePolicy":              s.DetachRolePolicy(ctx, "AWSServiceRoleForBatch", rtBatchPolicy),
		"PutRolePermissionsBoundary":    s.PutRolePermissionsBoundary(ctx, "AWSServiceRoleForBatch", rtAdmin),
		"DeleteRolePermissionsBoundary": s.DeleteRolePermissionsBoundary(ctx, "AWSServiceRoleForBatch"),
	}
	for op, err := range refused {
		t.Run(op, func(t *testing.T) { rtWantErr(t, err, CodeUnmodifiableEntity, protected) })
	}
	// What AWS lets anyone do to a service-linked role: describe and tag it.
	desc := "edited"
	rtMust(t, s.UpdateRole(ctx, "AWSServiceRoleForBatch", &desc, nil))
	rtMust(t, s.TagRole(ctx, "AWSServiceRoleForBatch", []Tag{{"team", "x"}}))
	got, err := s.GetRole(ctx, "AWSServiceRoleForBatch")
	rtMust(t, err)
	if got.Description != "edited" || len(got.Tags) != 1 || !slices.Equal(got.AttachedPolicies, []string{rtBatchPolicy}) {
		t.Errorf("role after edits %+v", got)
	}

	rtRole(t, s, "plain", "")
	_, err = s.DeleteServiceLinkedRole(ctx, "plain")
	rtWantErr(t, err, CodeInvalidInput, "The role with name plain is not a service-linked role.")
	_, err = s.DeleteServiceLinkedRole(ctx, "nope")
	rtWantErr(t, err, CodeNoSuchEntity, "The role with name nope cannot be found.")

	task, err := s.DeleteServiceLinkedRole(ctx, "AWSServiceRoleForBatch")
	rtMust(t, err)
	if !regexp.MustCompile(`^task/aws-service-role/batch\.amazonaws\.com/AWSServiceRoleForBatch/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(task) {
		t.Errorf("task ID %s", task)
	}
	status, err := s.GetServiceLinkedRoleDeletionStatus(ctx, task)
	rtMust(t, err)
	if status != "SUCCEEDED" {
		t.Errorf("status %s", status)
	}
	_, err = s.GetRole(ctx, "AWSServiceRoleForBatch")
	rtWantErr(t, err, CodeNoSuchEntity, "The role with name AWSServiceRoleForBatch cannot be found.")
	_, err = s.GetServiceLinkedRoleDeletionStatus(ctx, "task/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch/nope")
	rtWantErr(t, err, CodeNoSuchEntity, "Deletion task task/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch/nope cannot be found.")
}

func TestEnsureBatchServiceLinkedRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("creates once", func(t *testing.T) {
		t.Parallel()
		s := newRolesTestService(t)
		a, err := s.EnsureBatchServiceLinkedRole(ctx)
		rtMust(t, err)
		b, err := s.EnsureBatchServiceLinkedRole(ctx)
		rtMust(t, err)
		if a.ID != b.ID || a.ServiceLinked != "batch.amazonaws.com" {
			t.Errorf("roles %+v %+v", a, b)
		}
	})
	t.Run("name taken by a plain role", func(t *testing.T) {
		t.Parallel()
		s := newRolesTestService(t)
		rtRole(t, s, "AWSServiceRoleForBatch", "")
		_, err := s.EnsureBatchServiceLinkedRole(ctx)
		rtWantErr(t, err, CodeInvalidInput, "Service role name AWSServiceRoleForBatch has been taken in this account, please try a different suffix.")
	})
}
