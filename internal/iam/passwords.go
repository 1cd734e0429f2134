package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"batchd/internal/iam/policy"
	"batchd/internal/store"
)

// Passwords (IAM User Guide, "Manage passwords for IAM users"; IAM API
// Reference, CreateLoginProfile, ChangePassword, UpdateAccountPasswordPolicy).
//
// A password is kept only as a bcrypt hash of its SHA-256 digest: bcrypt
// reads at most 72 bytes and IAM passwords may have 128 characters (256
// bytes in UTF-8), so the digest, base64-encoded (44 bytes), is what bcrypt
// hashes. No password is kept in clear text, logged, or returned.

// PasswordPolicy is the account password policy (IAM API Reference,
// PasswordPolicy). UpdateAccountPasswordPolicy replaces it whole: a field
// the request leaves out takes its default.
type PasswordPolicy struct {
	MinimumPasswordLength      int // 6..128, default 6
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	// AllowUsersToChangePassword lets every IAM user call ChangePassword on
	// their own user and GetAccountPasswordPolicy, without a policy that
	// allows it (an explicit Deny still refuses).
	AllowUsersToChangePassword bool
	MaxPasswordAge             int // days a password is valid, 1..1095; 0: never expires
	PasswordReusePrevention    int // earlier passwords a user may not reuse, 1..24; 0: none
	// HardExpiry keeps a user whose password expired from choosing a new
	// one at sign-in: an administrator must reset it.
	HardExpiry bool
}

// ExpirePasswords is true when MaxPasswordAge is set (IAM API Reference,
// PasswordPolicy: ExpirePasswords).
func (p *PasswordPolicy) ExpirePasswords() bool { return p.MaxPasswordAge > 0 }

// LoginProfile is what IAM shows of a user's console password (IAM API
// Reference, LoginProfile). The password itself is never shown.
type LoginProfile struct {
	UserName              string
	CreateDate            time.Time
	PasswordResetRequired bool
}

// loginProfile is the stored login profile: the password's hash, when it
// was set, and the hashes of the passwords before it.
type loginProfile struct {
	UserName              string
	CreateDate            time.Time
	PasswordResetRequired bool
	Hash                  []byte
	PasswordSet           time.Time
	// Previous are the hashes of earlier passwords, newest first, at most
	// maxReusePrevention - 1 of them (with Hash, the last 24 passwords).
	Previous [][]byte `json:",omitempty"`
}

func (p *loginProfile) view() *LoginProfile {
	return &LoginProfile{UserName: p.UserName, CreateDate: p.CreateDate, PasswordResetRequired: p.PasswordResetRequired}
}

const (
	kindLoginProfile   = "iam.loginprofile"
	kindPasswordPolicy = "iam.passwordpolicy"

	maxReusePrevention = 24  // PasswordReusePrevention's maximum
	maxPasswordLength  = 128 // passwordType's maximum
)

// The error codes of password operations.
const (
	CodePasswordPolicyViolation = "PasswordPolicyViolation"
	CodeInvalidUserType         = "InvalidUserType"
)

func loginProfileNotFound(user string) *Error {
	return noSuchEntity("Login Profile for User %s cannot be found.", user)
}

func policyViolation(format string, args ...any) *Error {
	return errorf(CodePasswordPolicyViolation, format, args...)
}

// hashPassword returns the bcrypt hash of password's digest at the
// service's cost.
func (s *Service) hashPassword(password string) ([]byte, error) {
	h, err := bcrypt.GenerateFromPassword(passwordDigest(password), s.hashCost)
	if err != nil {
		return nil, errors.New("iam: hashing a password failed") // the cause may quote the input
	}
	return h, nil
}

// passwordMatches compares password with a hash in constant time (bcrypt's
// own comparison).
func passwordMatches(hash []byte, password string) bool {
	return len(hash) > 0 && bcrypt.CompareHashAndPassword(hash, passwordDigest(password)) == nil
}

func passwordDigest(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sum)))
	base64.StdEncoding.Encode(out, sum[:])
	return out
}

// dummyHash is a hash of a random password, compared against when a
// sign-in names nobody, so that an unknown user costs what a wrong
// password costs.
func (s *Service) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		b := make([]byte, 32)
		_, _ = rand.Read(b) // crypto/rand never fails (Go 1.24 and later crash instead)
		h, err := bcrypt.GenerateFromPassword(passwordDigest(string(b)), s.hashCost)
		if err != nil {
			panic("iam: bcrypt failed: " + err.Error())
		}
		s.dummy = h
	})
	return s.dummy
}

// passwordSymbols are the characters RequireSymbols asks for (IAM API
// Reference, UpdateAccountPasswordPolicy: RequireSymbols).
const passwordSymbols = "!@#$%^&*()_+-=[]{}|'"

// passwordClasses reports which kinds of character a password has.
func passwordClasses(pw string) (upper, lower, number, symbol bool) {
	for _, c := range pw {
		switch {
		case 'A' <= c && c <= 'Z':
			upper = true
		case 'a' <= c && c <= 'z':
			lower = true
		case '0' <= c && c <= '9':
			number = true
		case strings.ContainsRune(passwordSymbols, c):
			symbol = true
		}
	}
	return
}

// checkPasswordShape applies passwordType's constraints (1..128 characters
// of tab, line feed, carriage return and U+0020..U+00FF), for callers that
// do not come through the wire's model validation (sign-in, the root's
// password).
func checkPasswordShape(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < 1 || n > maxPasswordLength {
		return policyViolation("Password should have a length between 1 and %d", maxPasswordLength)
	}
	for _, c := range pw {
		if c != '\t' && c != '\n' && c != '\r' && (c < 0x20 || c > 0xFF) {
			return policyViolation("Password contains characters that are not allowed")
		}
	}
	return nil
}

// checkPassword applies the account password policy to a new password; a
// nil policy is AWS's default one (IAM User Guide, "Set an account password
// policy for IAM users": at least 8 characters, of at least three of
// upper-case letters, lower-case letters, numbers and symbols).
func checkPassword(p *PasswordPolicy, pw string) error {
	if err := checkPasswordShape(pw); err != nil {
		return err
	}
	upper, lower, number, symbol := passwordClasses(pw)
	if p == nil {
		kinds := 0
		for _, has := range []bool{upper, lower, number, symbol} {
			if has {
				kinds++
			}
		}
		if utf8.RuneCountInString(pw) < 8 || kinds < 3 {
			return policyViolation("Password does not conform to the account password policy.")
		}
		return nil
	}
	switch {
	case utf8.RuneCountInString(pw) < p.MinimumPasswordLength:
		return policyViolation("Password should have a minimum length of %d", p.MinimumPasswordLength)
	case p.RequireLowercaseCharacters && !lower:
		return policyViolation("Password should have at least one lowercase letter")
	case p.RequireUppercaseCharacters && !upper:
		return policyViolation("Password should have at least one uppercase letter")
	case p.RequireNumbers && !number:
		return policyViolation("Password should have at least one number")
	case p.RequireSymbols && !symbol:
		return policyViolation("Password should have at least one symbol")
	}
	return nil
}

// reused reports whether pw is one of the last n passwords of a profile
// (its current one and n-1 before it).
func (p *loginProfile) reused(pw string, n int) bool {
	if n <= 0 || p == nil {
		return false
	}
	if passwordMatches(p.Hash, pw) {
		return true
	}
	for i := 0; i < n-1 && i < len(p.Previous); i++ {
		if passwordMatches(p.Previous[i], pw) {
			return true
		}
	}
	return false
}

// expired reports whether the profile's password is older than the
// policy's MaxPasswordAge.
func (p *loginProfile) expired(pol *PasswordPolicy, now time.Time) bool {
	if pol == nil || pol.MaxPasswordAge <= 0 {
		return false
	}
	return !now.Before(p.PasswordSet.Add(time.Duration(pol.MaxPasswordAge) * 24 * time.Hour))
}

// replace makes hash the profile's password, set at now, keeping the old
// one among the previous.
func (p *loginProfile) replace(hash []byte, now time.Time) {
	if len(p.Hash) > 0 {
		p.Previous = append([][]byte{p.Hash}, p.Previous...)
		if len(p.Previous) > maxReusePrevention-1 {
			p.Previous = p.Previous[:maxReusePrevention-1]
		}
	}
	p.Hash, p.PasswordSet = hash, now
}

func loadPasswordPolicy(tx store.Tx, account string) (*PasswordPolicy, error) {
	p, found, err := get[PasswordPolicy](tx, kindPasswordPolicy, account)
	if err != nil || !found {
		return nil, err
	}
	return p, nil
}

func loadLoginProfile(tx store.Tx, user string) (*loginProfile, error) {
	p, found, err := get[loginProfile](tx, kindLoginProfile, nameKey(user))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, loginProfileNotFound(user)
	}
	return p, nil
}

// UpdateAccountPasswordPolicy sets the account password policy, replacing
// the one before; a MinimumPasswordLength of 0 is the default, 6.
func (s *Service) UpdateAccountPasswordPolicy(ctx context.Context, p PasswordPolicy) error {
	if p.MinimumPasswordLength == 0 {
		p.MinimumPasswordLength = 6
	}
	// The wire checks these ranges against the model first; callers in
	// process get the same answer.
	for _, r := range []struct {
		field     string
		v, lo, hi int
	}{
		{"minimumPasswordLength", p.MinimumPasswordLength, 6, maxPasswordLength},
		{"maxPasswordAge", p.MaxPasswordAge, 0, 1095},
		{"passwordReusePrevention", p.PasswordReusePrevention, 0, maxReusePrevention},
	} {
		if r.v < r.lo {
			return errorf(CodeValidationError, "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", r.v, r.field, max(r.lo, 1))
		}
		if r.v > r.hi {
			return errorf(CodeValidationError, "1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", r.v, r.field, r.hi)
		}
	}
	return s.update(ctx, func(tx store.Tx) error { return put(tx, kindPasswordPolicy, s.account, &p) })
}

// GetAccountPasswordPolicy returns the account password policy, or
// NoSuchEntity when none is set (the default policy then applies).
func (s *Service) GetAccountPasswordPolicy(ctx context.Context) (*PasswordPolicy, error) {
	var p *PasswordPolicy
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		p, err = loadPasswordPolicy(tx, s.account)
		if err == nil && p == nil {
			err = s.noPasswordPolicy()
		}
		return err
	})
	return p, err
}

func (s *Service) noPasswordPolicy() *Error {
	return noSuchEntity("The Password Policy with domain name %s cannot be found.", s.account)
}

// DeleteAccountPasswordPolicy removes the account password policy; the
// default policy applies again.
func (s *Service) DeleteAccountPasswordPolicy(ctx context.Context) error {
	return s.update(ctx, func(tx store.Tx) error {
		if p, err := loadPasswordPolicy(tx, s.account); err != nil {
			return err
		} else if p == nil {
			return s.noPasswordPolicy()
		}
		return tx.Delete(kindPasswordPolicy, s.account)
	})
}

// CreateLoginProfile gives a user a console password, which must satisfy
// the account password policy.
func (s *Service) CreateLoginProfile(ctx context.Context, user, password string, resetRequired bool) (*LoginProfile, error) {
	var name string
	var pol *PasswordPolicy
	err := s.view(ctx, func(tx store.Tx) error {
		u, err := loadHolder[User](tx, userHolder, user)
		if err != nil {
			return err
		}
		name = u.Name
		if _, found, err := get[loginProfile](tx, kindLoginProfile, nameKey(u.Name)); err != nil {
			return err
		} else if found {
			return alreadyExists("Login Profile for user %s already exists.", u.Name)
		}
		pol, err = loadPasswordPolicy(tx, s.account)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := checkPassword(pol, password); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	p := &loginProfile{UserName: name, CreateDate: now, PasswordResetRequired: resetRequired, Hash: hash, PasswordSet: now}
	err = s.update(ctx, func(tx store.Tx) error {
		if _, err := loadHolder[User](tx, userHolder, name); err != nil {
			return err
		}
		if err := insert(tx, kindLoginProfile, nameKey(name), p); errors.Is(err, store.ErrExists) {
			return alreadyExists("Login Profile for user %s already exists.", name)
		} else {
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	return p.view(), nil
}

// GetLoginProfile returns a user's login profile: the user name, when it
// was created and whether a new password is required at next sign-in.
func (s *Service) GetLoginProfile(ctx context.Context, user string) (*LoginProfile, error) {
	var out *LoginProfile
	err := s.view(ctx, func(tx store.Tx) error {
		u, err := loadHolder[User](tx, userHolder, user)
		if err != nil {
			return err
		}
		p, err := loadLoginProfile(tx, u.Name)
		if err != nil {
			return err
		}
		out = p.view()
		return nil
	})
	return out, err
}

// DeleteLoginProfile removes a user's console password.
func (s *Service) DeleteLoginProfile(ctx context.Context, user string) error {
	return s.update(ctx, func(tx store.Tx) error {
		u, err := loadHolder[User](tx, userHolder, user)
		if err != nil {
			return err
		}
		if _, err := loadLoginProfile(tx, u.Name); err != nil {
			return err
		}
		return tx.Delete(kindLoginProfile, nameKey(u.Name))
	})
}

// UpdateLoginProfile sets a user's password (when password is not empty;
// it must satisfy the policy, reuse prevention included) and its
// PasswordResetRequired flag (when resetRequired is not nil).
func (s *Service) UpdateLoginProfile(ctx context.Context, user, password string, resetRequired *bool) error {
	return s.setPassword(ctx, user, func(_ *loginProfile) error { return nil }, password, resetRequired)
}

// ChangePassword changes the caller's own password (IAM API Reference,
// ChangePassword): only an IAM user may (InvalidUserType for the root, a
// role or a federated session); the old password must be the current one;
// the new one must satisfy the account password policy, reuse prevention
// included. The password is no longer to be reset after it. Whether the
// caller may call it at all is the authorizer's to say
// (iam:ChangePassword, or the policy's AllowUsersToChangePassword).
func (s *Service) ChangePassword(ctx context.Context, caller *Principal, oldPassword, newPassword string) error {
	if caller == nil || caller.Kind != policy.User || caller.UserName == "" {
		return errorf(CodeInvalidUserType, "Only IAM Users can change their own password.")
	}
	no := false
	return s.setPassword(ctx, caller.UserName, func(p *loginProfile) error {
		if !passwordMatches(p.Hash, oldPassword) {
			return errWrongOldPassword
		}
		return nil
	}, newPassword, &no)
}

var errWrongOldPassword = &Error{Code: CodeAccessDenied, Message: "The old password is incorrect."}

// setPassword checks and sets a user's password (password "": keeps it)
// and reset flag. The slow hashing and comparing is done outside store
// transactions; the write then applies only if the profile is still the
// one read, and starts over otherwise.
func (s *Service) setPassword(ctx context.Context, user string, verify func(*loginProfile) error, password string, resetRequired *bool) error {
	for range 3 {
		var name string
		var cur *loginProfile
		var pol *PasswordPolicy
		err := s.view(ctx, func(tx store.Tx) error {
			u, err := loadHolder[User](tx, userHolder, user)
			if err != nil {
				return err
			}
			name = u.Name
			if cur, err = loadLoginProfile(tx, u.Name); err != nil {
				return err
			}
			pol, err = loadPasswordPolicy(tx, s.account)
			return err
		})
		if err != nil {
			return err
		}
		if err := verify(cur); err != nil {
			return err
		}
		var hash []byte
		if password != "" {
			if err := checkPassword(pol, password); err != nil {
				return err
			}
			if pol != nil && cur.reused(password, pol.PasswordReusePrevention) {
				return policyViolation("Password has been used before. The account password policy does not allow reusing the last %d passwords.", pol.PasswordReusePrevention)
			}
			if hash, err = s.hashPassword(password); err != nil {
				return err
			}
		}
		stale := false
		err = s.update(ctx, func(tx store.Tx) error {
			p, err := loadLoginProfile(tx, name)
			if err != nil {
				return err
			}
			if string(p.Hash) != string(cur.Hash) {
				stale = true // changed since it was read: check again
				return nil
			}
			if hash != nil {
				p.replace(hash, s.Now())
			}
			if resetRequired != nil {
				p.PasswordResetRequired = *resetRequired
			}
			return put(tx, kindLoginProfile, nameKey(name), p)
		})
		if err != nil || !stale {
			return err
		}
	}
	return errorf("EntityTemporarilyUnmodifiable", "Login Profile for User %s cannot be modified while another change to it is in progress.", user)
}

// SignInStatus says what a successful sign-in may do next.
type SignInStatus int

const (
	// SignedIn: the password is good and current.
	SignedIn SignInStatus = iota
	// MustResetPassword: an administrator set PasswordResetRequired; the
	// user must choose a new password (ChangePassword) before going on.
	MustResetPassword
	// PasswordExpired: the password is older than the policy's
	// MaxPasswordAge; the user must choose a new one (ChangePassword)
	// before going on. With HardExpiry, SignIn refuses instead.
	PasswordExpired
)

func (s SignInStatus) String() string {
	switch s {
	case SignedIn:
		return "SignedIn"
	case MustResetPassword:
		return "MustResetPassword"
	case PasswordExpired:
		return "PasswordExpired"
	}
	return "SignInStatus(" + itoa(int(s)) + ")"
}

// ErrSignInFailed is SignIn's and SignInRoot's answer to a wrong password,
// an unknown user and a user without a console password alike, in the
// console's words.
var ErrSignInFailed = &Error{Code: CodeAccessDenied, Message: "Your authentication information is incorrect. Please try again."}

// ErrPasswordHardExpired is SignIn's answer to a good password that has
// expired under a policy with HardExpiry: only an administrator can set a
// new one (UpdateLoginProfile).
var ErrPasswordHardExpired = &Error{Code: CodeAccessDenied, Message: "Your password has expired. Contact your administrator to reset it."}

// SignIn verifies an IAM user's console password and returns the same
// Principal that Authenticate returns for the user's access keys (without
// an access key ID), so that a console session is authorized exactly as
// the user's API calls are.
//
// A wrong password, an unknown user and a user without a login profile
// all give ErrSignInFailed, after the same bcrypt comparison (an unknown
// user's password is compared against a dummy hash), so that neither the
// answer nor its time tells which. A good password gives a status:
// MustResetPassword when an administrator asked for a new password,
// PasswordExpired when it is older than the policy's MaxPasswordAge; under
// HardExpiry an expired password gives ErrPasswordHardExpired instead.
func (s *Service) SignIn(ctx context.Context, userName, password string) (*Principal, SignInStatus, error) {
	var u *User
	var prof *loginProfile
	var pol *PasswordPolicy
	err := s.view(ctx, func(tx store.Tx) error {
		var found bool
		var err error
		if u, found, err = get[User](tx, kindUser, nameKey(userName)); err != nil || !found {
			u = nil
			return err
		}
		if prof, found, err = get[loginProfile](tx, kindLoginProfile, nameKey(u.Name)); err != nil || !found {
			prof = nil
			return err
		}
		pol, err = loadPasswordPolicy(tx, s.account)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	if prof == nil || checkPasswordShape(password) != nil {
		passwordMatches(s.dummyHash(), password) // spend what a real comparison spends
		return nil, 0, ErrSignInFailed
	}
	if !passwordMatches(prof.Hash, password) {
		return nil, 0, ErrSignInFailed
	}
	status := SignedIn
	switch {
	case prof.expired(pol, s.Now()):
		if pol.HardExpiry {
			return nil, 0, ErrPasswordHardExpired
		}
		status = PasswordExpired
	case prof.PasswordResetRequired:
		status = MustResetPassword
	}
	return s.userPrincipal(u), status, nil
}

// userPrincipal is the Principal of an IAM user's own credentials.
func (s *Service) userPrincipal(u *User) *Principal {
	return &Principal{Kind: policy.User, ARN: u.ARN, Account: s.account, UserName: u.Name, UserID: u.ID}
}

// SetRootPassword sets the account root's password, kept as a hash in the
// account record. It must have 8 to 128 characters of at least three of
// upper-case letters, lower-case letters, numbers and symbols, as AWS asks
// of a root password (IAM User Guide, "Change the password for the root
// user"); otherwise PasswordPolicyViolation.
func (s *Service) SetRootPassword(ctx context.Context, password string) error {
	if err := checkPassword(nil, password); err != nil {
		return err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx store.Tx) error {
		a, found, err := get[account](tx, kindAccount, s.account)
		if err != nil {
			return err
		}
		if !found {
			a = &account{ID: s.account, CreateDate: s.Now()}
		}
		a.RootPasswordHash = hash
		return put(tx, kindAccount, s.account, a)
	})
}

// SignInRoot verifies the account root's password and returns the root's
// Principal, as Authenticate does for root access keys. A wrong password,
// or none set, gives ErrSignInFailed after the same bcrypt comparison.
func (s *Service) SignInRoot(ctx context.Context, password string) (*Principal, error) {
	var hash []byte
	err := s.view(ctx, func(tx store.Tx) error {
		a, found, err := get[account](tx, kindAccount, s.account)
		if found {
			hash = a.RootPasswordHash
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(hash) == 0 || checkPasswordShape(password) != nil {
		passwordMatches(s.dummyHash(), password)
		return nil, ErrSignInFailed
	}
	if !passwordMatches(hash, password) {
		return nil, ErrSignInFailed
	}
	return s.rootPrincipal(), nil
}

// rootPasswordSet reports whether the root has a password, for
// GetAccountSummary's AccountPasswordPresent.
func rootPasswordSet(tx store.Tx, id string) (bool, error) {
	a, found, err := get[account](tx, kindAccount, id)
	return found && len(a.RootPasswordHash) > 0, err
}
