package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// userTrust is a trust policy that lets the named user of the test account
// assume the role, with extra JSON (a Condition) in the statement.
func userTrust(user, actions, extra string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/` + user + `"},"Action":` + actions + extra + `}]}`
}

const assumeAnyRole = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}]}`

// createRole creates a role with an inline policy (none when policyDoc is
// empty) and returns its ARN.
func createRole(t testing.TB, admin *iam.Client, name, trust, policyDoc string, maxSession int32) string {
	t.Helper()
	ctx := context.Background()
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if maxSession > 0 {
		in.MaxSessionDuration = aws.Int32(maxSession)
	}
	out, err := admin.CreateRole(ctx, in)
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	if policyDoc != "" {
		if _, err := admin.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("inline"), PolicyDocument: aws.String(policyDoc)}); err != nil {
			t.Fatal(err)
		}
	}
	return aws.ToString(out.Role.Arn)
}

// sessionCreds turns STS credentials into SDK credentials.
func sessionCreds(c *ststypes.Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
}

// testClock is a clock tests can move forward.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// startClockServer is startServer with Config.Now set to clock, the clock of
// identities and sessions (SigV4 request times stay on the real clock).
func startClockServer(t testing.TB, clock *testClock) *testServer {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg := defaultConfig()
	cfg.DataDir = dir
	cfg.Executor = "local"
	cfg.Now = clock.Now
	go func() { done <- Serve(ctx, cfg, ln, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard) }()
	ts := &testServer{URL: "http://" + ln.Addr().String(), DataDir: dir}
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Serve: %v", err)
			}
		})
	}
	t.Cleanup(ts.stop)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if creds, err := readCredentials(filepath.Join(dir, "root-credentials")); err == nil {
			ts.Root = creds
			return ts
		}
		if time.Now().After(deadline) {
			t.Fatal("root-credentials not written")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A trust policy that does not name the caller refuses AssumeRole.
func TestAssumeRoleRefusedByTrustPolicy(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	x := newUser(t, admin, "x")
	y := newUser(t, admin, "y")
	roleARN := createRole(t, admin, "r", userTrust("y", `"sts:AssumeRole"`, ""), "", 0)
	_, err := ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s0")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/r")
	// The trust policy alone lets the user it names in (same account).
	if _, err := ts.sts(y).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s0")}); err != nil {
		t.Fatalf("y, trusted: %v", err)
	}
	_, err = ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/none"), RoleSessionName: aws.String("s0")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/none")
	_, err = ts.sts(ts.Root).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s0")})
	wantAPIError(t, err, "AccessDenied", "Roles may not be assumed by root accounts.")
}

// A role's trust policy must allow the caller explicitly, even in the
// same account and even when the caller's own policy allows
// sts:AssumeRole on every role (IAM User Guide, "Policy evaluation logic":
// "Role trust policies and KMS key policies are exceptions to this logic,
// because they must explicitly allow access for principals").
func TestAssumeRoleTrustPolicyMustNameCaller(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	x := newUser(t, admin, "x", assumeAnyRole)
	newUser(t, admin, "y")
	roleARN := createRole(t, admin, "r", userTrust("y", `"sts:AssumeRole"`, ""), "", 0)
	_, err := ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s0")})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/r")
	// The trust policy's conditions hold whatever the identity policy says.
	ext := createRole(t, admin, "ext", userTrust("x", `["sts:AssumeRole","sts:TagSession"]`, `,"Condition":{"StringEquals":{"sts:ExternalId":"ext-42"}}`), "", 0)
	_, err = ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(ext), RoleSessionName: aws.String("s0"), ExternalId: aws.String("wrong")})
	wantAPIError(t, err, "AccessDenied", "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/ext")
	tagless := createRole(t, admin, "tagless", userTrust("x", `"sts:AssumeRole"`, ""), "", 0)
	_, err = ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tagless), RoleSessionName: aws.String("s0"), Tags: []ststypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantAPIError(t, err, "AccessDenied", "sts:TagSession on resource: arn:aws:iam::123456789012:role/tagless")
}

// sts:ExternalId in the trust policy: the right one is let in, a wrong one
// or none is refused; the session is the assumed role.
func TestAssumeRoleExternalID(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	x := newUser(t, admin, "x")
	roleARN := createRole(t, admin, "partner", userTrust("x", `"sts:AssumeRole"`, `,"Condition":{"StringEquals":{"sts:ExternalId":"ext-42"}}`),
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`, 0)
	xs := ts.sts(x)
	for _, ext := range []string{"", "ext-43"} {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")}
		if ext != "" {
			in.ExternalId = aws.String(ext)
		}
		_, err := xs.AssumeRole(ctx, in)
		wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/partner")
	}
	out, err := xs.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), ExternalId: aws.String("ext-42"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/partner/s1" || !strings.HasSuffix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), ":s1") ||
		!strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") || out.Credentials.Expiration == nil ||
		out.Credentials.Expiration.Sub(time.Now()) > 901*time.Second || out.Credentials.Expiration.Sub(time.Now()) < 800*time.Second {
		t.Fatalf("AssumeRole = %+v %+v", out.AssumedRoleUser, out.Credentials)
	}
	sess := sessionCreds(out.Credentials)
	id, err := ts.sts(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != "arn:aws:sts::123456789012:assumed-role/partner/s1" || aws.ToString(id.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) || aws.ToString(id.Account) != "123456789012" {
		t.Fatalf("GetCallerIdentity = %s %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId), aws.ToString(id.Account))
	}
	if _, err := ts.iam(sess).ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("the role's own permission: %v", err)
	}
	// The role was used: GetRole shows when and where.
	got, err := admin.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("partner")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Role.RoleLastUsed == nil || got.Role.RoleLastUsed.LastUsedDate == nil || aws.ToString(got.Role.RoleLastUsed.Region) != "us-east-1" {
		t.Fatalf("RoleLastUsed = %+v", got.Role.RoleLastUsed)
	}
}

// A session policy narrows the role: only what both allow is allowed.
func TestSessionPolicyNarrowsRole(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	x := newUser(t, admin, "x", assumeAnyRole)
	roleARN := createRole(t, admin, "lister", userTrust("x", `"sts:AssumeRole"`, ""), listOnlyDoc, 0)
	out, err := ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("narrow"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 {
		t.Errorf("PackedPolicySize = %v", out.PackedPolicySize)
	}
	si := ts.iam(sessionCreds(out.Credentials))
	if _, err := si.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles: %v", err)
	}
	_, err = si.ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/lister/narrow is not authorized to perform: iam:ListUsers on resource: ")
	wantAPIError(t, err, "AccessDenied", " because no session policy allows the iam:ListUsers action")
	// The session policy grants nothing the role lacks.
	_, err = si.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("lister")})
	wantAPIError(t, err, "AccessDenied", "because no identity-based policy allows the iam:GetRole action")
	_, err = ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("bad"), Policy: aws.String(`{"Statement":`)})
	wantAPIError(t, err, "MalformedPolicyDocument", "")
}

// Session tags need sts:TagSession in the trust policy; once given they
// are principal tags of the session.
func TestSessionTagsNeedTagSession(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	x := newUser(t, admin, "x")
	rolePolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/project":"blue"}}}]}`
	roleARN := createRole(t, admin, "tagged", userTrust("x", `"sts:AssumeRole"`, ""), rolePolicy, 0)
	tags := []ststypes.Tag{{Key: aws.String("project"), Value: aws.String("blue")}}
	_, err := ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("t0"), Tags: tags})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:TagSession on resource: arn:aws:iam::123456789012:role/tagged")

	if _, err := admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("tagged"), PolicyDocument: aws.String(userTrust("x", `["sts:AssumeRole","sts:TagSession"]`, ""))}); err != nil {
		t.Fatal(err)
	}
	out, err := ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("t0"), Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.iam(sessionCreds(out.Credentials)).ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("ListRoles with the session tag: %v", err)
	}
	untagged, err := ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("u0")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.iam(sessionCreds(untagged.Credentials)).ListRoles(ctx, &iam.ListRolesInput{})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/tagged/u0 is not authorized to perform: iam:ListRoles")
}

// Role chaining caps the session at one hour, whatever the role allows.
func TestRoleChainingDurationLimit(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	x := newUser(t, admin, "x", assumeAnyRole)
	firstARN := createRole(t, admin, "first", userTrust("x", `"sts:AssumeRole"`, ""), assumeAnyRole, 0)
	secondARN := createRole(t, admin, "second",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/first"},"Action":"sts:AssumeRole"}]}`, "", 7200)
	first, err := ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(firstARN), RoleSessionName: aws.String("one")})
	if err != nil {
		t.Fatal(err)
	}
	fs := ts.sts(sessionCreds(first.Credentials))
	_, err = fs.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(secondARN), RoleSessionName: aws.String("two"), DurationSeconds: aws.Int32(7200)})
	wantAPIError(t, err, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	second, err := fs.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(secondARN), RoleSessionName: aws.String("two"), DurationSeconds: aws.Int32(3600)})
	if err != nil {
		t.Fatalf("chained AssumeRole for an hour: %v", err)
	}
	if aws.ToString(second.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/second/two" {
		t.Fatalf("chained session = %s", aws.ToString(second.AssumedRoleUser.Arn))
	}
	// Without chaining, the role's MaxSessionDuration is the limit.
	if _, err := admin.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("second"), PolicyDocument: aws.String(userTrust("x", `"sts:AssumeRole"`, ""))}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(secondARN), RoleSessionName: aws.String("long"), DurationSeconds: aws.Int32(7200)}); err != nil {
		t.Fatalf("two hours without chaining: %v", err)
	}
	_, err = ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(secondARN), RoleSessionName: aws.String("long"), DurationSeconds: aws.Int32(7201)})
	wantAPIError(t, err, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
}

// A session past its expiry is refused with ExpiredToken; the server's
// identity clock is moved instead of waiting.
func TestExpiredSessionRefused(t *testing.T) {
	clock := &testClock{now: time.Now().UTC().Truncate(time.Second)}
	ts := startClockServer(t, clock)
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	x := newUser(t, admin, "x", assumeAnyRole)
	roleARN := createRole(t, admin, "short", userTrust("x", `"sts:AssumeRole"`, ""), "", 0)
	out, err := ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s0"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.Credentials.Expiration.Sub(clock.Now()); d != 900*time.Second {
		t.Fatalf("expiration in %v", d)
	}
	ss := ts.sts(sessionCreds(out.Credentials))
	clock.Advance(899 * time.Second)
	if _, err := ss.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	clock.Advance(time.Second)
	_, err = ss.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "ExpiredToken", "The security token included in the request is expired")
	_, err = ts.iam(sessionCreds(out.Credentials)).ListRoles(ctx, &iam.ListRolesInput{})
	wantAPIError(t, err, "ExpiredToken", "The security token included in the request is expired")
	_, err = ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s0"), DurationSeconds: aws.Int32(899)})
	wantAPIError(t, err, "ValidationError", "")
}

// Session credentials with a wrong secret, or without their token, are
// refused.
func TestSessionSignatureTampered(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	x := newUser(t, admin, "x", assumeAnyRole)
	roleARN := createRole(t, admin, "r", userTrust("x", `"sts:AssumeRole"`, ""), "", 0)
	out, err := ts.sts(x).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s0")})
	if err != nil {
		t.Fatal(err)
	}
	bad := sessionCreds(out.Credentials)
	bad.SecretAccessKey = tamper(bad.SecretAccessKey)
	_, err = ts.sts(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	noToken := sessionCreds(out.Credentials)
	noToken.SessionToken = ""
	_, err = ts.sts(noToken).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	wrongToken := sessionCreds(out.Credentials)
	wrongToken.SessionToken += "x"
	_, err = ts.iam(wrongToken).ListRoles(ctx, &iam.ListRolesInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

// GetSessionToken gives a user temporary credentials that act as the user.
func TestGetSessionTokenThenUse(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	x := newUser(t, admin, "x", assumeAnyRole)
	out, err := ts.sts(x).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(1800)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || aws.ToString(c.SessionToken) == "" || c.Expiration == nil ||
		c.Expiration.Sub(time.Now()) > 1801*time.Second || c.Expiration.Sub(time.Now()) < 1700*time.Second {
		t.Fatalf("credentials = %+v", c)
	}
	sess := sessionCreds(c)
	id, err := ts.sts(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/x" {
		t.Fatalf("identity = %s", aws.ToString(id.Arn))
	}
	// The user's permissions come along: x may assume a role it is trusted by.
	roleARN := createRole(t, admin, "r", userTrust("x", `"sts:AssumeRole"`, ""), "", 0)
	ar, err := ts.sts(sess).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("via-token")})
	if err != nil {
		t.Fatalf("AssumeRole with GetSessionToken credentials: %v", err)
	}
	if aws.ToString(ar.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/r/via-token" {
		t.Fatalf("assumed = %s", aws.ToString(ar.AssumedRoleUser.Arn))
	}
	_, err = ts.sts(sess).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	wantAPIError(t, err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	_, err = ts.sts(x).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(600)})
	wantAPIError(t, err, "ValidationError", "")
}

// captureHeader returns an API option that stores the named response
// header of every call in *into.
func captureHeader(name string, into *string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("captureHeader", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok {
				*into = resp.Header.Get(name)
			}
			return out, md, err
		}), middleware.After)
	}
}

// A denied call carries an encoded authorization message that a user with
// sts:DecodeAuthorizationMessage can read.
func TestDecodeAuthorizationMessageRoundTrip(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	x := newUser(t, admin, "x", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)
	auditor := newUser(t, admin, "auditor", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:DecodeAuthorizationMessage","Resource":"*"}]}`)

	var encoded string
	xi := iam.NewFromConfig(ts.awsConfig(x), func(o *iam.Options) {
		o.BaseEndpoint = aws.String(ts.URL)
		o.APIOptions = append(o.APIOptions, captureHeader("X-Batchd-Authorization-Message", &encoded))
	})
	_, err := xi.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("wanted"), AssumeRolePolicyDocument: aws.String(ec2Trust)})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/wanted because no identity-based policy allows the iam:CreateRole action")
	if encoded == "" {
		t.Fatal("no X-Batchd-Authorization-Message on the denial")
	}
	dec, err := ts.sts(auditor).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
	if err != nil {
		t.Fatal(err)
	}
	msg := aws.ToString(dec.DecodedMessage)
	for _, want := range []string{`"allowed":false`, `"action":"iam:CreateRole"`, `"resource":"arn:aws:iam::123456789012:role/wanted"`, `"arn":"arn:aws:iam::123456789012:user/x"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("decoded message lacks %s:\n%s", want, msg)
		}
	}
	_, err = ts.sts(x).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded)})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: sts:DecodeAuthorizationMessage on resource: *")
	_, err = ts.sts(auditor).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(encoded[:len(encoded)-4] + "AAAA")})
	wantAPIError(t, err, "InvalidAuthorizationMessageException", "")
	// An allowed call carries no message.
	encoded = "stale"
	if _, err := xi.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatal(err)
	}
	if encoded != "" {
		t.Fatalf("allowed call carries a message: %q", encoded)
	}
}

// A presigned GetCallerIdentity URL, fetched with plain net/http, answers
// with the signer's identity (the shape of EKS-style authentication).
func TestPresignedGetCallerIdentity(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	x := newUser(t, admin, "x")
	req, err := sts.NewPresignClient(ts.sts(x)).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(req.URL, "X-Amz-Signature=") || !strings.Contains(req.URL, "Action=GetCallerIdentity") {
		t.Fatalf("presigned URL = %s", req.URL)
	}
	fetch := func(u string) (int, string) {
		t.Helper()
		hr, err := http.NewRequestWithContext(ctx, req.Method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range req.SignedHeader {
			if strings.EqualFold(k, "Host") {
				continue
			}
			for _, v := range vs {
				hr.Header.Add(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := fetch(req.URL)
	if code != http.StatusOK || !strings.Contains(body, "<Arn>arn:aws:iam::123456789012:user/x</Arn>") || !strings.Contains(body, "<GetCallerIdentityResult>") {
		t.Fatalf("presigned GET: %d %s", code, body)
	}
	// One changed byte in the signature is refused.
	i := strings.Index(req.URL, "X-Amz-Signature=") + len("X-Amz-Signature=")
	flipped := req.URL[:i] + map[bool]string{true: "1", false: "0"}[req.URL[i] == '0'] + req.URL[i+1:]
	code, body = fetch(flipped)
	if code != http.StatusForbidden || !strings.Contains(body, "<Code>SignatureDoesNotMatch</Code>") {
		t.Fatalf("flipped signature: %d %s", code, body)
	}
}

// tamper returns secret with its first character changed, never to
// itself.
func tamper(secret string) string {
	if secret[0] == 'x' {
		return "y" + secret[1:]
	}
	return "x" + secret[1:]
}
