package iam

import (
	"context"
	"crypto/subtle"
	"strings"
	"time"

	"batchd/internal/iam/policy"
	"batchd/internal/store"
)

// Session is a set of temporary credentials (an ASIA access key) with what
// it stands for: an assumed role, a federated user, or a user's or the
// root's own session (GetSessionToken).
type Session struct {
	AccessKeyID       string
	SealedSecret      []byte
	TokenHash         []byte
	Kind              string // AssumedRole, FederatedUser, User, Root
	RoleName          string
	RoleARN           string // with its path
	RoleID            string
	SessionName       string
	UserName          string // the user behind a User or FederatedUser session
	UserID            string
	Policies          []string // inline session policy documents
	PolicyARNs        []string // managed session policies
	Tags              []Tag
	TransitiveTagKeys []string
	SourceIdentity    string
	Issued            time.Time
	Expiration        time.Time
}

// Principal is an authenticated caller.
type Principal struct {
	Kind        policy.CallerKind
	ARN         string // root, user, assumed-role session or federated user ARN
	Account     string
	UserName    string // IAM user (also behind a user's own or federated session)
	UserID      string // aws:userid
	RoleName    string
	RoleARN     string
	AccessKeyID string
	Session     *Session // nil for long-term keys
}

// IsRoot reports whether the caller is the account root (with its own keys
// or a root session).
func (p *Principal) IsRoot() bool { return p.Kind == policy.Root }

var errInvalidToken = &Error{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
var errExpiredToken = &Error{Code: "ExpiredToken", Message: "The security token included in the request is expired"}

// Authenticate finds the principal and secret behind an access key ID and
// session token. Unknown, inactive and orphaned keys, wrong or missing
// session tokens give InvalidClientTokenId; an expired session gives
// ExpiredToken. Tokens are compared in constant time.
//
// Answers are cached per key until the next IAM write, so that a request
// costs no store read; the token and the session's expiry are checked on
// every call all the same.
func (s *Service) Authenticate(ctx context.Context, keyID, sessionToken string) (*Principal, string, error) {
	gen := s.gen.Load()
	s.mu.RLock()
	e := s.authCache[keyID]
	s.mu.RUnlock()
	if e == nil || e.gen != gen {
		var err error
		e, err = s.authenticate(ctx, keyID)
		if err != nil {
			return nil, "", err
		}
		e.gen = gen
		s.mu.Lock()
		if len(s.authCache) > 10000 {
			clear(s.authCache)
		}
		s.authCache[keyID] = e
		s.mu.Unlock()
	}
	if e.tokenHash == nil {
		if sessionToken != "" {
			return nil, "", errInvalidToken
		}
		return e.principal, e.secret, nil
	}
	if sessionToken == "" || subtle.ConstantTimeCompare(fingerprint(sessionToken), e.tokenHash) != 1 {
		return nil, "", errInvalidToken
	}
	if !s.Now().Before(e.expiration) {
		return nil, "", errExpiredToken
	}
	return e.principal, e.secret, nil
}

// authEntry is a cached answer of authenticate.
type authEntry struct {
	gen        uint64
	principal  *Principal
	secret     string
	tokenHash  []byte // nil for long-term keys
	expiration time.Time
}

// authenticate reads a key's principal and secret from the store. Token
// and expiry are Authenticate's to check.
func (s *Service) authenticate(ctx context.Context, keyID string) (*authEntry, error) {
	var e authEntry
	err := s.view(ctx, func(tx store.Tx) error {
		if strings.HasPrefix(keyID, prefixTempKey) {
			sess, found, err := get[Session](tx, kindSession, keyID)
			if err != nil {
				return err
			}
			if !found {
				return errInvalidToken
			}
			plain, err := s.keys.Open(sess.SealedSecret, []byte(keyID))
			if err != nil {
				return errInvalidToken
			}
			e.secret, e.tokenHash, e.expiration = string(plain), sess.TokenHash, sess.Expiration
			e.principal, err = s.sessionPrincipal(tx, sess)
			return err
		}
		k, found, err := get[AccessKey](tx, kindAccessKey, keyID)
		if err != nil {
			return err
		}
		if !found || k.Status != "Active" {
			return errInvalidToken
		}
		plain, err := s.keys.Open(k.SealedSecret, []byte(keyID))
		if err != nil {
			return errInvalidToken
		}
		e.secret = string(plain)
		var p *Principal
		if k.User == "" {
			p = s.rootPrincipal()
		} else {
			u, found, err := get[User](tx, kindUser, nameKey(k.User))
			if err != nil {
				return err
			}
			if !found {
				return errInvalidToken
			}
			p = s.userPrincipal(u)
		}
		p.AccessKeyID = keyID
		e.principal = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

func (s *Service) rootPrincipal() *Principal {
	return &Principal{Kind: policy.Root, ARN: s.RootARN(), Account: s.account, UserID: s.account}
}

func (s *Service) sessionPrincipal(tx store.Tx, sess *Session) (*Principal, error) {
	p := &Principal{Account: s.account, AccessKeyID: sess.AccessKeyID, Session: sess}
	switch sess.Kind {
	case "AssumedRole":
		p.Kind = policy.AssumedRole
		p.ARN = "arn:" + s.partition + ":sts::" + s.account + ":assumed-role/" + sess.RoleName + "/" + sess.SessionName
		p.RoleName, p.RoleARN = sess.RoleName, sess.RoleARN
		p.UserID = sess.RoleID + ":" + sess.SessionName
	case "FederatedUser":
		p.Kind = policy.FederatedUser
		p.ARN = "arn:" + s.partition + ":sts::" + s.account + ":federated-user/" + sess.SessionName
		p.UserName = sess.UserName
		p.UserID = s.account + ":" + sess.SessionName
	case "Root":
		p = s.rootPrincipal()
		p.AccessKeyID, p.Session = sess.AccessKeyID, sess
	default: // a user's own session
		u, found, err := get[User](tx, kindUser, nameKey(sess.UserName))
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, errInvalidToken
		}
		p.Kind, p.ARN, p.UserName, p.UserID = policy.User, u.ARN, u.Name, u.ID
	}
	return p, nil
}

// PutSession stores temporary credentials; the secret is sealed and only a
// digest of the token is kept.
func (s *Service) PutSession(ctx context.Context, sess *Session, secret, token string) error {
	sess.SealedSecret = s.keys.Seal([]byte(secret), []byte(sess.AccessKeyID))
	sess.TokenHash = fingerprint(token)
	return s.update(ctx, func(tx store.Tx) error { return insert(tx, kindSession, sess.AccessKeyID, sess) })
}

// NewTemporaryKey returns a new ASIA access key ID, secret and session
// token.
func NewTemporaryKey() (keyID, secret, token string) {
	return newAccessKeyID(prefixTempKey), newSecret(), "IQoJb3JpZ2luX2Vj" + randomBase32(24) + newSecret() + newSecret()
}
