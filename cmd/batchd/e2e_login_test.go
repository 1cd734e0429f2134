package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// The passwords these tests use; none may reach the audit trail.
const (
	lpFirst  = "F1rst-Passw0rd"
	lpSecond = "S3cond-Passw0rd"
	lpThird  = "Th1rd-Passw0rd"
)

// lpWantNoPasswords checks that no password of the tests is in the audit
// trail of a stopped server.
func lpWantNoPasswords(t testing.TB, ts *testServer) {
	t.Helper()
	ts.stop()
	data, err := os.ReadFile(filepath.Join(ts.DataDir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{lpFirst, lpSecond, lpThird, "short", "wrong-Passw0rd"} {
		if strings.Contains(string(data), pw) {
			t.Errorf("password %q is in the audit trail", pw)
		}
	}
	if !strings.Contains(string(data), `"eventName":"CreateLoginProfile"`) {
		t.Error("CreateLoginProfile is not in the audit trail")
	}
}

func TestLoginProfileLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	gpMust(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol"), Path: aws.String("/staff/")})).ok(t)

	_, err := admin.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("carol")})
	wantAPIError(t, err, "NoSuchEntity", "Login Profile for User carol cannot be found.")
	_, err = admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("nobody"), Password: aws.String(lpFirst)})
	wantAPIError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")
	_, err = admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{Password: aws.String(lpFirst)})
	wantAPIError(t, err, "ValidationError", "Must specify userName when calling with root credentials.")
	_, err = admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("carol")})
	wantAPIError(t, err, "ValidationError", "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null")
	_, err = admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("carol"), Password: aws.String(strings.Repeat("x", 129))})
	wantAPIError(t, err, "ValidationError", "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 128")
	// The default password policy: 8 characters of three kinds.
	_, err = admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("carol"), Password: aws.String("short")})
	wantAPIError(t, err, "PasswordPolicyViolation", "Password does not conform to the account password policy.")

	before := time.Now().Add(-time.Second)
	created := gpMust(admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("carol"), Password: aws.String(lpFirst), PasswordResetRequired: true})).ok(t)
	lp := created.LoginProfile
	if aws.ToString(lp.UserName) != "carol" || !lp.PasswordResetRequired || lp.CreateDate == nil || lp.CreateDate.Before(before) {
		t.Errorf("CreateLoginProfile = %+v", lp)
	}
	_, err = admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("carol"), Password: aws.String(lpFirst)})
	wantAPIError(t, err, "EntityAlreadyExists", "Login Profile for user carol already exists.")

	got := gpMust(admin.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("carol")})).ok(t).LoginProfile
	if aws.ToString(got.UserName) != "carol" || !got.PasswordResetRequired || !got.CreateDate.Equal(*lp.CreateDate) {
		t.Errorf("GetLoginProfile = %+v", got)
	}
	gpMust(admin.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("carol"), PasswordResetRequired: aws.Bool(false)})).ok(t)
	gpMust(admin.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("carol"), Password: aws.String(lpSecond)})).ok(t)
	if got := gpMust(admin.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("carol")})).ok(t).LoginProfile; got.PasswordResetRequired {
		t.Errorf("after UpdateLoginProfile: %+v", got)
	}
	_, err = admin.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("carol"), Password: aws.String("short")})
	wantAPIError(t, err, "PasswordPolicyViolation", "Password does not conform to the account password policy.")
	_, err = admin.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("nobody"), Password: aws.String(lpSecond)})
	wantAPIError(t, err, "NoSuchEntity", "The user with name nobody cannot be found.")

	// DeleteUser refuses while the login profile is there.
	_, err = admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")})
	wantAPIError(t, err, "DeleteConflict", "Cannot delete entity, must delete login profile first.")
	gpMust(admin.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("carol")})).ok(t)
	_, err = admin.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("carol")})
	wantAPIError(t, err, "NoSuchEntity", "Login Profile for User carol cannot be found.")
	_, err = admin.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("carol")})
	wantAPIError(t, err, "NoSuchEntity", "Login Profile for User carol cannot be found.")
	gpMust(admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")})).ok(t)

	lpWantNoPasswords(t, ts)
}

func TestAccountPasswordPolicyRoundTrip(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	_, err := admin.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	wantAPIError(t, err, "NoSuchEntity", "The Password Policy with domain name 123456789012 cannot be found.")
	_, err = admin.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	wantAPIError(t, err, "NoSuchEntity", "The Password Policy with domain name 123456789012 cannot be found.")
	_, err = admin.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(5)})
	wantAPIError(t, err, "ValidationError", "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6")

	gpMust(admin.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: aws.Int32(12), RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true,
		RequireLowercaseCharacters: true, AllowUsersToChangePassword: true, MaxPasswordAge: aws.Int32(90),
		PasswordReusePrevention: aws.Int32(3), HardExpiry: aws.Bool(true),
	})).ok(t)
	p := gpMust(admin.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})).ok(t).PasswordPolicy
	want := iamtypes.PasswordPolicy{
		MinimumPasswordLength: aws.Int32(12), RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true,
		RequireLowercaseCharacters: true, AllowUsersToChangePassword: true, ExpirePasswords: true, MaxPasswordAge: aws.Int32(90),
		PasswordReusePrevention: aws.Int32(3), HardExpiry: aws.Bool(true),
	}
	if !lpPolicyEqual(p, &want) {
		t.Errorf("GetAccountPasswordPolicy = %s", lpPolicyString(p))
	}

	gpMust(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dan")})).ok(t)
	for _, tc := range []struct{ pw, msg string }{
		{"Sh0rt-Pw", "Password should have a minimum length of 12"},
		{"NOLOWERCASE-123", "Password should have at least one lowercase letter"},
		{"nouppercase-123", "Password should have at least one uppercase letter"},
		{"NoNumbers-here", "Password should have at least one number"},
		{"NoSymbols1234", "Password should have at least one symbol"},
	} {
		_, err = admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("dan"), Password: aws.String(tc.pw)})
		wantAPIError(t, err, "PasswordPolicyViolation", tc.msg)
	}
	gpMust(admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("dan"), Password: aws.String(lpFirst)})).ok(t)
	// Reuse prevention: the current password may not be set again.
	_, err = admin.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("dan"), Password: aws.String(lpFirst)})
	wantAPIError(t, err, "PasswordPolicyViolation", "Password has been used before. The account password policy does not allow reusing the last 3 passwords.")

	// An update replaces the policy whole: what it leaves out is default.
	gpMust(admin.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{RequireNumbers: true})).ok(t)
	p = gpMust(admin.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})).ok(t).PasswordPolicy
	if !lpPolicyEqual(p, &iamtypes.PasswordPolicy{MinimumPasswordLength: aws.Int32(6), RequireNumbers: true, HardExpiry: aws.Bool(false)}) {
		t.Errorf("after a second update: %s", lpPolicyString(p))
	}
	gpMust(admin.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})).ok(t)
	_, err = admin.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	wantAPIError(t, err, "NoSuchEntity", "The Password Policy with domain name 123456789012 cannot be found.")
}

func lpPolicyString(p *iamtypes.PasswordPolicy) string {
	b, _ := json.Marshal(p)
	return string(b)
}

func lpPolicyEqual(a, b *iamtypes.PasswordPolicy) bool {
	return a != nil && lpPolicyString(a) == lpPolicyString(b)
}

// TestChangePassword has users change their own passwords with their own
// access keys: allowed by their policy, or by the password policy's
// AllowUsersToChangePassword; refused without either, under an explicit
// Deny, with a wrong old password, a password the policy refuses, and for
// the root.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	selfChange := gpAllow("arn:aws:iam::*:user/${aws:username}", "iam:ChangePassword")
	frank := ts.iam(newUser(t, admin, "frank", selfChange))
	grace := ts.iam(newUser(t, admin, "grace"))
	denied := ts.iam(newUser(t, admin, "henry", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ChangePassword","Resource":"*"}]}`))
	for _, u := range []string{"frank", "grace", "henry"} {
		gpMust(admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String(u), Password: aws.String(lpFirst), PasswordResetRequired: true})).ok(t)
	}

	// frank's policy allows it.
	_, err := frank.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("wrong-Passw0rd"), NewPassword: aws.String(lpSecond)})
	wantAPIError(t, err, "AccessDenied", "The old password is incorrect.")
	_, err = frank.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(lpFirst), NewPassword: aws.String("short")})
	wantAPIError(t, err, "PasswordPolicyViolation", "Password does not conform to the account password policy.")
	gpMust(frank.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(lpFirst), NewPassword: aws.String(lpSecond)})).ok(t)
	if lp := gpMust(admin.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("frank")})).ok(t).LoginProfile; lp.PasswordResetRequired {
		t.Errorf("frank still must reset: %+v", lp)
	}
	// The old password is no longer the current one.
	_, err = frank.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(lpFirst), NewPassword: aws.String(lpThird)})
	wantAPIError(t, err, "AccessDenied", "The old password is incorrect.")

	// grace has no policy, and the account does not let users change
	// their passwords: refused, as is reading the password policy.
	_, err = grace.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(lpFirst), NewPassword: aws.String(lpSecond)})
	gpWantDenied(t, err, "grace", "iam:ChangePassword", "arn:aws:iam::123456789012:user/grace")
	gpMust(admin.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(8)})).ok(t)
	_, err = grace.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})
	gpWantDenied(t, err, "grace", "iam:GetAccountPasswordPolicy", "*")

	// AllowUsersToChangePassword lets every user change their own, and
	// read the policy, without a policy of theirs.
	gpMust(admin.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(8), AllowUsersToChangePassword: true})).ok(t)
	gpMust(grace.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{})).ok(t)
	gpMust(grace.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(lpFirst), NewPassword: aws.String(lpSecond)})).ok(t)
	// ... but not past an explicit Deny.
	_, err = denied.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(lpFirst), NewPassword: aws.String(lpSecond)})
	wantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::123456789012:user/henry is not authorized to perform: iam:ChangePassword on resource: arn:aws:iam::123456789012:user/henry with an explicit deny in an identity-based policy")
	// ... and it grants nothing else.
	_, err = grace.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
	gpWantDenied(t, err, "grace", "iam:GetLoginProfile", "arn:aws:iam::123456789012:user/grace")

	// Only IAM users have passwords to change.
	_, err = admin.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String(lpFirst), NewPassword: aws.String(lpSecond)})
	wantAPIError(t, err, "InvalidUserType", "Only IAM Users can change their own password.")

	lpWantNoPasswordsAfterChange(t, ts)
}

// lpWantNoPasswordsAfterChange is lpWantNoPasswords for a trail with
// ChangePassword calls.
func lpWantNoPasswordsAfterChange(t testing.TB, ts *testServer) {
	t.Helper()
	lpWantNoPasswords(t, ts)
	data, _ := os.ReadFile(filepath.Join(ts.DataDir, "audit.jsonl"))
	if !strings.Contains(string(data), `"eventName":"ChangePassword"`) {
		t.Error("ChangePassword is not in the audit trail")
	}
}

// TestLoginProfileDenied: the login profile operations need their action on
// the user, which the user's tags can decide (iam:ResourceTag/).
func TestLoginProfileDenied(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	nobody := ts.iam(newUser(t, admin, "ivan"))
	helpdesk := ts.iam(newUser(t, admin, "judy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["iam:CreateLoginProfile","iam:GetLoginProfile","iam:UpdateLoginProfile","iam:DeleteLoginProfile"],
		"Resource":"*","Condition":{"StringEquals":{"iam:ResourceTag/team":"blue"}}}]}`))
	gpMust(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("blue"), Path: aws.String("/t/"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})).ok(t)
	gpMust(admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("red"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})).ok(t)

	_, err := nobody.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("blue"), Password: aws.String(lpFirst)})
	gpWantDenied(t, err, "ivan", "iam:CreateLoginProfile", "arn:aws:iam::123456789012:user/t/blue")
	_, err = nobody.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{})
	gpWantDenied(t, err, "ivan", "iam:UpdateAccountPasswordPolicy", "*")
	_, err = nobody.DeleteAccountPasswordPolicy(ctx, &iam.DeleteAccountPasswordPolicyInput{})
	gpWantDenied(t, err, "ivan", "iam:DeleteAccountPasswordPolicy", "*")

	gpMust(helpdesk.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("blue"), Password: aws.String(lpFirst)})).ok(t)
	gpMust(helpdesk.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("blue")})).ok(t)
	gpMust(helpdesk.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("blue"), Password: aws.String(lpSecond)})).ok(t)
	_, err = helpdesk.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("red"), Password: aws.String(lpFirst)})
	gpWantDenied(t, err, "judy", "iam:CreateLoginProfile", "arn:aws:iam::123456789012:user/red")
	gpMust(admin.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("red"), Password: aws.String(lpFirst)})).ok(t)
	_, err = helpdesk.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: aws.String("red"), Password: aws.String(lpSecond)})
	gpWantDenied(t, err, "judy", "iam:UpdateLoginProfile", "arn:aws:iam::123456789012:user/red")
	_, err = helpdesk.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("red")})
	gpWantDenied(t, err, "judy", "iam:DeleteLoginProfile", "arn:aws:iam::123456789012:user/red")
	gpMust(helpdesk.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: aws.String("blue")})).ok(t)
	// A user without a name of their own in the request acts on themselves.
	_, err = helpdesk.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
	gpWantDenied(t, err, "judy", "iam:GetLoginProfile", "arn:aws:iam::123456789012:user/judy")
}

// TestRootPasswordFile: --root-password-file sets the root's password at
// start (GetAccountSummary's AccountPasswordPresent), and a password the
// root may not have keeps the server from starting.
func TestRootPasswordFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "root-password")
	if err := os.WriteFile(file, []byte("R00t-Passw0rd\r\nsecond line ignored\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, "", func(c *Config) { c.RootPasswordFile = file })
	m := gpMust(ts.iam(ts.Root).GetAccountSummary(context.Background(), &iam.GetAccountSummaryInput{})).ok(t).SummaryMap
	if m["AccountPasswordPresent"] != 1 {
		t.Errorf("AccountPasswordPresent = %d", m["AccountPasswordPresent"])
	}
	ts.stop()

	if err := os.WriteFile(file, []byte("weakpassword\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.DataDir, cfg.Executor, cfg.RootPasswordFile = t.TempDir(), "local", file
	ln := lpListener(t)
	err := Serve(context.Background(), cfg, ln, discardLog(), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PasswordPolicyViolation") || strings.Contains(err.Error(), "weakpassword") {
		t.Errorf("Serve with a weak root password: %v", err)
	}

	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if cfg, err := parseServeFlags([]string{"--root-password-file", "/a"}, env(nil), io.Discard); err != nil || cfg.RootPasswordFile != "/a" {
		t.Errorf("flag: %+v %v", cfg.RootPasswordFile, err)
	}
	if cfg, err := parseServeFlags(nil, env(map[string]string{"BATCHD_ROOT_PASSWORD_FILE": "/b"}), io.Discard); err != nil || cfg.RootPasswordFile != "/b" {
		t.Errorf("env: %+v %v", cfg.RootPasswordFile, err)
	}
}

// TestCLILoginProfile drives the installed AWS CLI through a login profile
// and the password policy.
func TestCLILoginProfile(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not installed")
	}
	ts := startServer(t, "")
	gpMust(ts.iam(ts.Root).CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("kim")})).ok(t)
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") })
	env = append(env,
		"AWS_ACCESS_KEY_ID="+ts.Root.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+ts.Root.SecretAccessKey,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_MAX_ATTEMPTS=1")
	run := func(args ...string) (string, error) {
		cmd := exec.Command("aws", append([]string{"--endpoint-url", ts.URL, "--output", "json", "iam"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	var created struct {
		LoginProfile struct {
			UserName, CreateDate  string
			PasswordResetRequired bool
		}
	}
	out, err := run("create-login-profile", "--user-name", "kim", "--password", lpFirst, "--password-reset-required")
	if err != nil || json.Unmarshal([]byte(out), &created) != nil {
		t.Fatalf("create-login-profile: %v\n%s", err, out)
	}
	if created.LoginProfile.UserName != "kim" || !created.LoginProfile.PasswordResetRequired || created.LoginProfile.CreateDate == "" {
		t.Errorf("create-login-profile = %s", out)
	}
	out, err = run("get-login-profile", "--user-name", "kim")
	if err != nil || !strings.Contains(out, `"UserName": "kim"`) {
		t.Errorf("get-login-profile: %v\n%s", err, out)
	}
	if out, err = run("update-account-password-policy", "--minimum-password-length", "20", "--require-symbols"); err != nil {
		t.Fatalf("update-account-password-policy: %v\n%s", err, out)
	}
	out, err = run("get-account-password-policy")
	if err != nil || !strings.Contains(out, `"MinimumPasswordLength": 20`) || !strings.Contains(out, `"RequireSymbols": true`) {
		t.Errorf("get-account-password-policy: %v\n%s", err, out)
	}
	out, err = run("update-login-profile", "--user-name", "kim", "--password", lpSecond)
	if err == nil || !strings.Contains(out, "An error occurred (PasswordPolicyViolation) when calling the UpdateLoginProfile operation: Password should have a minimum length of 20") {
		t.Errorf("update-login-profile with a short password: %v\n%s", err, out)
	}
	if out, err = run("delete-login-profile", "--user-name", "kim"); err != nil {
		t.Errorf("delete-login-profile: %v\n%s", err, out)
	}
	out, err = run("get-login-profile", "--user-name", "kim")
	if err == nil || !strings.Contains(out, "An error occurred (NoSuchEntity) when calling the GetLoginProfile operation: Login Profile for User kim cannot be found.") {
		t.Errorf("get-login-profile after delete: %v\n%s", err, out)
	}
}

func lpListener(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
