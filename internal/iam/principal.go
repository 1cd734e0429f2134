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
func (s *Service) Authenticate(ctx context.Context, keyID, sessionToken string) (p *Principal, secret string, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		if strings.HasPrefix(keyID, prefixTempKey) {
			sess, found, err := get[Session](tx, kindSession, keyID)
			if err != nil {
				return err
			}
			if !found || sessionToken == "" || subtle.ConstantTimeCompare(fingerprint(sessionToken), sess.TokenHash) != 1 {
				return errInvalidToken
			}
			if !s.Now().Before(sess.Expiration) {
				return errExpiredToken
			}
			plain, err := s.keys.Open(sess.SealedSecret, []byte(keyID))
			if err != nil {
				return errInvalidToken
			}
			secret = string(plain)
			p, err = s.sessionPrincipal(tx, sess)
			return err
		}
		k, found, err := get[AccessKey](tx, kindAccessKey, keyID)
		if err != nil {
			return err
		}
		if !found || k.Status != "Active" || sessionToken != "" {
			return errInvalidToken
		}
		plain, err := s.keys.Open(k.SealedSecret, []byte(keyID))
		if err != nil {
			return errInvalidToken
		}
		secret = string(plain)
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
			p = &Principal{Kind: policy.User, ARN: u.ARN, Account: s.account, UserName: u.Name, UserID: u.ID}
		}
		p.AccessKeyID = keyID
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return p, secret, nil
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
