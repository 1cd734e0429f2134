package iam

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"batchd/internal/iam/policy"
	"batchd/internal/store"
	"batchd/internal/store/memstore"
)

// pwClock is a settable clock for expiry tests.
type pwClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *pwClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *pwClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newPasswordTestService is a Service over a fresh store with the cheapest
// bcrypt cost, its clock, and a user "alice".
func newPasswordTestService(t testing.TB) (*Service, *pwClock, store.Store) {
	t.Helper()
	kr, err := NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	clock := &pwClock{t: rtNow}
	s := New(Config{Store: st, Keyring: kr, AccountID: rtAccount, Region: "us-east-1", Now: clock.now, PasswordHashCost: bcrypt.MinCost})
	_, err = s.CreateUser(context.Background(), CreateUserInput{Name: "alice", Path: "/team/"})
	rtMust(t, err)
	return s, clock, st
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	strict := &PasswordPolicy{MinimumPasswordLength: 10, RequireSymbols: true, RequireNumbers: true, RequireUppercaseCharacters: true, RequireLowercaseCharacters: true}
	tests := []struct {
		name   string
		policy *PasswordPolicy
		pw     string
		msg    string // "" when the password passes
	}{
		{name: "default policy: three kinds, 8 characters", pw: "abcDEF12"},
		{name: "default policy: lower, upper, symbol", pw: "abcDEF!!"},
		{name: "default policy: 7 characters", pw: "abcDE12", msg: "Password does not conform to the account password policy."},
		{name: "default policy: two kinds", pw: "abcdefgh12", msg: "Password does not conform to the account password policy."},
		{name: "default policy: a symbol not in the list does not count", pw: "abcdefg1~~", msg: "Password does not conform to the account password policy."},
		{name: "strict: good", policy: strict, pw: "Abcdefg1!x"},
		{name: "strict: short", policy: strict, pw: "Abcdef1!", msg: "Password should have a minimum length of 10"},
		{name: "strict: no lower", policy: strict, pw: "ABCDEFG1!X", msg: "Password should have at least one lowercase letter"},
		{name: "strict: no upper", policy: strict, pw: "abcdefg1!x", msg: "Password should have at least one uppercase letter"},
		{name: "strict: no number", policy: strict, pw: "Abcdefgh!x", msg: "Password should have at least one number"},
		{name: "strict: no symbol", policy: strict, pw: "Abcdefgh1x", msg: "Password should have at least one symbol"},
		{name: "length counts characters, not bytes", policy: &PasswordPolicy{MinimumPasswordLength: 6}, pw: "ééééé", msg: "Password should have a minimum length of 6"},
		{name: "Latin-1 allowed", policy: &PasswordPolicy{MinimumPasswordLength: 6}, pw: "éééééé"},
		{name: "tab allowed", policy: &PasswordPolicy{MinimumPasswordLength: 6}, pw: "abc\tdef"},
		{name: "beyond Latin-1", policy: &PasswordPolicy{MinimumPasswordLength: 6}, pw: "abcdef€", msg: "Password contains characters that are not allowed"},
		{name: "control character", policy: &PasswordPolicy{MinimumPasswordLength: 6}, pw: "abcdef\x00", msg: "Password contains characters that are not allowed"},
		{name: "129 characters", policy: &PasswordPolicy{MinimumPasswordLength: 6}, pw: strings.Repeat("a", 129), msg: "Password should have a length between 1 and 128"},
		{name: "128 characters", policy: &PasswordPolicy{MinimumPasswordLength: 6}, pw: strings.Repeat("a", 128)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := checkPassword(tc.policy, tc.pw)
			if tc.msg == "" {
				rtMust(t, err)
				return
			}
			rtWantErr(t, err, CodePasswordPolicyViolation, tc.msg)
		})
	}
}

func TestLoginProfileLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, st := newPasswordTestService(t)
	_, err := s.GetLoginProfile(ctx, "alice")
	rtWantErr(t, err, CodeNoSuchEntity, "Login Profile for User alice cannot be found.")
	_, err = s.CreateLoginProfile(ctx, "bob", "Passw0rd!", false)
	rtWantErr(t, err, CodeNoSuchEntity, "The user with name bob cannot be found.")
	_, err = s.CreateLoginProfile(ctx, "alice", "short", false)
	rtWantErr(t, err, CodePasswordPolicyViolation, "Password does not conform to the account password policy.")

	p, err := s.CreateLoginProfile(ctx, "ALICE", "Passw0rd!", true)
	rtMust(t, err)
	if *p != (LoginProfile{UserName: "alice", CreateDate: rtNow, PasswordResetRequired: true}) {
		t.Errorf("created %+v", p)
	}
	_, err = s.CreateLoginProfile(ctx, "alice", "Passw0rd!", false)
	rtWantErr(t, err, CodeEntityAlreadyExists, "Login Profile for user alice already exists.")

	// Only a hash is stored: the password appears nowhere in the record.
	raw, found, err := rawGet(st, kindLoginProfile, "alice")
	rtMust(t, err)
	if !found || bytes.Contains(raw, []byte("Passw0rd!")) || !bytes.Contains(raw, []byte("JDJ")) { // base64 of "$2"
		t.Errorf("stored record %s", raw)
	}

	no := false
	rtMust(t, s.UpdateLoginProfile(ctx, "alice", "", &no))
	if p, _ = s.GetLoginProfile(ctx, "alice"); p.PasswordResetRequired {
		t.Errorf("after update %+v", p)
	}
	rtMust(t, s.UpdateLoginProfile(ctx, "alice", "N3wPassword", nil))
	if _, _, err := s.SignIn(ctx, "alice", "N3wPassword"); err != nil {
		t.Errorf("sign-in with the updated password: %v", err)
	}

	err = s.DeleteUser(ctx, "alice")
	rtWantErr(t, err, CodeDeleteConflict, "Cannot delete entity, must delete login profile first.")

	// A renamed user keeps its password.
	rtMust(t, s.UpdateUser(ctx, "alice", "alicia", ""))
	if p, err = s.GetLoginProfile(ctx, "alicia"); err != nil || p.UserName != "alicia" {
		t.Fatalf("after rename %+v %v", p, err)
	}
	if _, _, err := s.SignIn(ctx, "alicia", "N3wPassword"); err != nil {
		t.Errorf("sign-in after rename: %v", err)
	}

	rtMust(t, s.DeleteLoginProfile(ctx, "alicia"))
	err = s.DeleteLoginProfile(ctx, "alicia")
	rtWantErr(t, err, CodeNoSuchEntity, "Login Profile for User alicia cannot be found.")
	rtMust(t, s.DeleteUser(ctx, "alicia"))
}

func rawGet(st store.Store, kind, key string) ([]byte, bool, error) {
	var b []byte
	var found bool
	err := st.View(context.Background(), func(tx store.Tx) error {
		v, err := tx.Get(kind, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		b, found = v, err == nil
		return err
	})
	return b, found, err
}

func TestAccountPasswordPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, _ := newPasswordTestService(t)
	_, err := s.GetAccountPasswordPolicy(ctx)
	rtWantErr(t, err, CodeNoSuchEntity, "The Password Policy with domain name 123456789012 cannot be found.")
	err = s.DeleteAccountPasswordPolicy(ctx)
	rtWantErr(t, err, CodeNoSuchEntity, "The Password Policy with domain name 123456789012 cannot be found.")

	err = s.UpdateAccountPasswordPolicy(ctx, PasswordPolicy{MinimumPasswordLength: 5})
	rtWantErr(t, err, CodeValidationError, "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6")
	err = s.UpdateAccountPasswordPolicy(ctx, PasswordPolicy{MaxPasswordAge: 1096})
	rtWantErr(t, err, CodeValidationError, "1 validation error detected: Value '1096' at 'maxPasswordAge' failed to satisfy constraint: Member must have value less than or equal to 1095")
	err = s.UpdateAccountPasswordPolicy(ctx, PasswordPolicy{PasswordReusePrevention: -1})
	rtWantErr(t, err, CodeValidationError, "1 validation error detected: Value '-1' at 'passwordReusePrevention' failed to satisfy constraint: Member must have value greater than or equal to 1")
	rtMust(t, s.UpdateAccountPasswordPolicy(ctx, PasswordPolicy{RequireNumbers: true, MaxPasswordAge: 90}))
	p, err := s.GetAccountPasswordPolicy(ctx)
	rtMust(t, err)
	if *p != (PasswordPolicy{MinimumPasswordLength: 6, RequireNumbers: true, MaxPasswordAge: 90}) || !p.ExpirePasswords() {
		t.Errorf("policy %+v", p)
	}
	// An update replaces the policy: what it leaves out is back to default.
	rtMust(t, s.UpdateAccountPasswordPolicy(ctx, PasswordPolicy{MinimumPasswordLength: 12}))
	if p, _ = s.GetAccountPasswordPolicy(ctx); *p != (PasswordPolicy{MinimumPasswordLength: 12}) || p.ExpirePasswords() {
		t.Errorf("policy %+v", p)
	}
	_, err = s.CreateLoginProfile(ctx, "alice", "abcdefghijk", false)
	rtWantErr(t, err, CodePasswordPolicyViolation, "Password should have a minimum length of 12")
	_, err = s.CreateLoginProfile(ctx, "alice", "abcdefghijkl", false) // a custom policy replaces the default one's three kinds
	rtMust(t, err)

	rtMust(t, s.DeleteAccountPasswordPolicy(ctx))
	_, err = s.GetAccountPasswordPolicy(ctx)
	rtWantErr(t, err, CodeNoSuchEntity, "The Password Policy with domain name 123456789012 cannot be found.")
}

func TestPasswordReusePrevention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice := &Principal{Kind: policy.User, UserName: "alice"}
	tests := []struct {
		name    string
		prevent int
		history []string // passwords set one after the other, the last current
		reuse   string
		refused bool
	}{
		{name: "no prevention: the current one again", prevent: 0, history: []string{"Passw0rd-1"}, reuse: "Passw0rd-1"},
		{name: "1: the current one", prevent: 1, history: []string{"Passw0rd-1"}, reuse: "Passw0rd-1", refused: true},
		{name: "1: the one before", prevent: 1, history: []string{"Passw0rd-1", "Passw0rd-2"}, reuse: "Passw0rd-1"},
		{name: "2: the one before", prevent: 2, history: []string{"Passw0rd-1", "Passw0rd-2"}, reuse: "Passw0rd-1", refused: true},
		{name: "3: two before", prevent: 3, history: []string{"Passw0rd-1", "Passw0rd-2", "Passw0rd-3"}, reuse: "Passw0rd-1", refused: true},
		{name: "2: two before", prevent: 2, history: []string{"Passw0rd-1", "Passw0rd-2", "Passw0rd-3"}, reuse: "Passw0rd-1"},
		{name: "2: a new one", prevent: 2, history: []string{"Passw0rd-1", "Passw0rd-2"}, reuse: "Passw0rd-9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _, _ := newPasswordTestService(t)
			rtMust(t, s.UpdateAccountPasswordPolicy(ctx, PasswordPolicy{MinimumPasswordLength: 8, PasswordReusePrevention: tc.prevent}))
			_, err := s.CreateLoginProfile(ctx, "alice", tc.history[0], false)
			rtMust(t, err)
			for i := 1; i < len(tc.history); i++ {
				rtMust(t, s.ChangePassword(ctx, alice, tc.history[i-1], tc.history[i]))
			}
			current := tc.history[len(tc.history)-1]
			for name, set := range map[string]func() error{
				"ChangePassword":     func() error { return s.ChangePassword(ctx, alice, current, tc.reuse) },
				"UpdateLoginProfile": func() error { return s.UpdateLoginProfile(ctx, "alice", tc.reuse, nil) },
			} {
				// Each attempt starts from the same history: a refusal
				// changes nothing, and a success is undone below.
				err := set()
				if tc.refused {
					rtWantErr(t, err, CodePasswordPolicyViolation, "Password has been used before. The account password policy does not allow reusing the last "+itoa(tc.prevent)+" passwords.")
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				return // history changed; one accepted path is proof enough
			}
		})
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, _ := newPasswordTestService(t)
	alice := &Principal{Kind: policy.User, UserName: "alice"}
	err := s.ChangePassword(ctx, alice, "Passw0rd!", "Passw0rd!2")
	rtWantErr(t, err, CodeNoSuchEntity, "Login Profile for User alice cannot be found.")
	_, err = s.CreateLoginProfile(ctx, "alice", "Passw0rd!", true)
	rtMust(t, err)
	for _, p := range []*Principal{
		{Kind: policy.Root},
		{Kind: policy.AssumedRole, RoleName: "r"},
		{Kind: policy.FederatedUser, UserName: "alice"},
	} {
		err := s.ChangePassword(ctx, p, "Passw0rd!", "Passw0rd!2")
		rtWantErr(t, err, CodeInvalidUserType, "Only IAM Users can change their own password.")
	}
	err = s.ChangePassword(ctx, alice, "wrong", "Passw0rd!2")
	rtWantErr(t, err, CodeAccessDenied, "The old password is incorrect.")
	err = s.ChangePassword(ctx, alice, "Passw0rd!", "weak")
	rtWantErr(t, err, CodePasswordPolicyViolation, "Password does not conform to the account password policy.")
	rtMust(t, s.ChangePassword(ctx, alice, "Passw0rd!", "Passw0rd!2"))
	// The reset an administrator asked for is done.
	if p, _ := s.GetLoginProfile(ctx, "alice"); p.PasswordResetRequired {
		t.Errorf("after change %+v", p)
	}
	if _, _, err := s.SignIn(ctx, "alice", "Passw0rd!"); !errors.Is(err, ErrSignInFailed) {
		t.Errorf("old password still signs in: %v", err)
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, clock, _ := newPasswordTestService(t)
	_, err := s.CreateLoginProfile(ctx, "alice", "Passw0rd!", false)
	rtMust(t, err)
	_, err = s.CreateUser(ctx, CreateUserInput{Name: "nopassword"})
	rtMust(t, err)

	for _, tc := range []struct{ name, user, pw string }{
		{"wrong password", "alice", "Passw0rd?"},
		{"unknown user", "nobody", "Passw0rd!"},
		{"user without a login profile", "nopassword", "Passw0rd!"},
		{"empty password", "alice", ""},
		{"overlong password", "alice", strings.Repeat("x", 200)},
	} {
		p, _, err := s.SignIn(ctx, tc.user, tc.pw)
		if p != nil || !errors.Is(err, ErrSignInFailed) {
			t.Errorf("%s: %v %v", tc.name, p, err)
		}
	}

	p, status, err := s.SignIn(ctx, "ALICE", "Passw0rd!")
	rtMust(t, err)
	u, _ := s.GetUser(ctx, "alice")
	want := &Principal{Kind: policy.User, ARN: "arn:aws:iam::123456789012:user/team/alice", Account: rtAccount, UserName: "alice", UserID: u.ID}
	if *p != *want || status != SignedIn {
		t.Errorf("signed in as %+v, %v", p, status)
	}

	// The same principal as the user's access key gives, but for the key.
	k, secret, err := s.CreateAccessKey(ctx, "alice")
	rtMust(t, err)
	byKey, gotSecret, err := s.Authenticate(ctx, k.ID, "")
	rtMust(t, err)
	byKeyCopy := *byKey
	byKeyCopy.AccessKeyID = ""
	if byKeyCopy != *p || gotSecret != secret {
		t.Errorf("Authenticate %+v, SignIn %+v", byKey, p)
	}

	yes := true
	rtMust(t, s.UpdateLoginProfile(ctx, "alice", "", &yes))
	if _, status, err = s.SignIn(ctx, "alice", "Passw0rd!"); err != nil || status != MustResetPassword {
		t.Errorf("reset required: %v %v", status, err)
	}

	// MaxPasswordAge: the password expires 90 days after it was set.
	rtMust(t, s.UpdateAccountPasswordPolicy(ctx, PasswordPolicy{MaxPasswordAge: 90}))
	clock.advance(90*24*time.Hour - time.Second)
	if _, status, err = s.SignIn(ctx, "alice", "Passw0rd!"); err != nil || status != MustResetPassword {
		t.Errorf("a second before expiry: %v %v", status, err)
	}
	clock.advance(time.Second)
	if _, status, err = s.SignIn(ctx, "alice", "Passw0rd!"); err != nil || status != PasswordExpired {
		t.Errorf("at expiry: %v %v", status, err)
	}
	// HardExpiry: refused, until an administrator sets a new password.
	rtMust(t, s.UpdateAccountPasswordPolicy(ctx, PasswordPolicy{MaxPasswordAge: 90, HardExpiry: true}))
	if p, _, err = s.SignIn(ctx, "alice", "Passw0rd!"); p != nil || !errors.Is(err, ErrPasswordHardExpired) {
		t.Errorf("hard expiry: %v %v", p, err)
	}
	// ... but a wrong password is still just wrong.
	if _, _, err = s.SignIn(ctx, "alice", "Passw0rd?"); !errors.Is(err, ErrSignInFailed) {
		t.Errorf("hard expiry, wrong password: %v", err)
	}
	no := false
	rtMust(t, s.UpdateLoginProfile(ctx, "alice", "Fresh-Passw0rd", &no))
	if _, status, err = s.SignIn(ctx, "alice", "Fresh-Passw0rd"); err != nil || status != SignedIn {
		t.Errorf("after reset: %v %v", status, err)
	}
}

// TestSignInUnknownUserCostsAHash checks that a sign-in naming nobody
// spends a bcrypt comparison, as a wrong password does.
func TestSignInUnknownUserCostsAHash(t *testing.T) {
	ctx := context.Background()
	kr, _ := NewKeyring(make([]byte, 32))
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	s := New(Config{Store: st, Keyring: kr, AccountID: rtAccount, PasswordHashCost: 12})
	_, err := s.CreateUser(ctx, CreateUserInput{Name: "alice"})
	rtMust(t, err)
	_, err = s.CreateLoginProfile(ctx, "alice", "Passw0rd!", false)
	rtMust(t, err)
	s.dummyHash() // made once, ahead
	timeOf := func(user string) time.Duration {
		start := time.Now()
		_, _, err := s.SignIn(ctx, user, "Passw0rd?")
		if !errors.Is(err, ErrSignInFailed) {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	wrong, unknown := timeOf("alice"), timeOf("nobody")
	if unknown < wrong/3 || wrong < unknown/3 {
		t.Errorf("wrong password took %v, unknown user %v", wrong, unknown)
	}
}

func TestRootPassword(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, _ := newPasswordTestService(t)
	if p, err := s.SignInRoot(ctx, "Passw0rd!"); p != nil || !errors.Is(err, ErrSignInFailed) {
		t.Errorf("no root password: %v %v", p, err)
	}
	err := s.SetRootPassword(ctx, "password")
	rtWantErr(t, err, CodePasswordPolicyViolation, "Password does not conform to the account password policy.")
	rtMust(t, s.SetRootPassword(ctx, "R00t-Passw0rd"))
	if p, err := s.SignInRoot(ctx, "R00t-Passw0rd!"); p != nil || !errors.Is(err, ErrSignInFailed) {
		t.Errorf("wrong root password: %v %v", p, err)
	}
	p, err := s.SignInRoot(ctx, "R00t-Passw0rd")
	rtMust(t, err)
	if *p != (Principal{Kind: policy.Root, ARN: "arn:aws:iam::123456789012:root", Account: rtAccount, UserID: rtAccount}) {
		t.Errorf("root %+v", p)
	}
	m, err := s.GetAccountSummary(ctx)
	rtMust(t, err)
	if m["AccountPasswordPresent"] != 1 {
		t.Errorf("AccountPasswordPresent %d", m["AccountPasswordPresent"])
	}
	// A new root password replaces the old one.
	rtMust(t, s.SetRootPassword(ctx, "An0ther-Passw0rd"))
	if _, err := s.SignInRoot(ctx, "R00t-Passw0rd"); !errors.Is(err, ErrSignInFailed) {
		t.Errorf("old root password: %v", err)
	}
}
