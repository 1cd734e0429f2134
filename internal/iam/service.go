package iam

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"batchd/internal/iam/policy"
	"batchd/internal/store"
)

// Config is what a Service needs from its wiring.
type Config struct {
	Store     store.Store
	Keyring   *Keyring
	AccountID string
	Region    string
	Partition string // default "aws"
	Now       func() time.Time
	// Limits override AWS's default quotas (zero fields keep AWS's).
	Limits Limits
	// PasswordHashCost is the bcrypt cost of console passwords; 0 is
	// bcrypt's default (10). Tests lower it to bcrypt.MinCost.
	PasswordHashCost int
}

// Limits are IAM's quotas (IAM User Guide, "IAM and AWS STS quotas").
type Limits struct {
	Users, Groups, Roles, Policies, InstanceProfiles int
	GroupsPerUser                                    int
	AccessKeysPerUser                                int
	ManagedPoliciesPerEntity                         int
	PolicyVersions                                   int
}

func (l *Limits) fill() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.Users, 5000)
	def(&l.Groups, 300)
	def(&l.Roles, 1000)
	def(&l.Policies, 1500)
	def(&l.InstanceProfiles, 1000)
	def(&l.GroupsPerUser, 10)
	def(&l.AccessKeysPerUser, 2)
	def(&l.ManagedPoliciesPerEntity, 10)
	def(&l.PolicyVersions, 5)
}

// Service is the IAM domain: entities, operations and the Authorizer. It is
// safe for concurrent use.
type Service struct {
	store     store.Store
	keys      *Keyring
	account   string
	region    string
	partition string
	now       func() time.Time
	limits    Limits
	hashCost  int

	// dummy is the hash sign-ins of unknown users are compared against.
	dummyOnce sync.Once
	dummy     []byte

	// gen counts IAM writes; caches built at an older generation are stale.
	gen      atomic.Uint64
	mu       sync.RWMutex
	compiled map[string]*policy.Policy
	callers  map[string]*cachedCaller
	// authCache holds Authenticate's answers by access key ID.
	authCache map[string]*authEntry
	keyUse    map[string]keyUse
}

// New returns a Service over cfg.Store.
func New(cfg Config) *Service {
	s := &Service{
		store: cfg.Store, keys: cfg.Keyring, account: cfg.AccountID, region: cfg.Region,
		partition: cfg.Partition, now: cfg.Now, limits: cfg.Limits,
		compiled: map[string]*policy.Policy{}, callers: map[string]*cachedCaller{}, authCache: map[string]*authEntry{}, keyUse: map[string]keyUse{},
	}
	if s.partition == "" {
		s.partition = "aws"
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.limits.fill()
	s.hashCost = cfg.PasswordHashCost
	if s.hashCost == 0 {
		s.hashCost = bcrypt.DefaultCost
	}
	return s
}

// AccountID is the account the service serves.
func (s *Service) AccountID() string { return s.account }

// Region is the region the service serves.
func (s *Service) Region() string { return s.region }

// Partition is the ARN partition.
func (s *Service) Partition() string { return s.partition }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now().UTC() }

func (s *Service) arn(resource string) string {
	return "arn:" + s.partition + ":iam::" + s.account + ":" + resource
}

// RootARN is the account root's ARN.
func (s *Service) RootARN() string { return s.arn("root") }

// view and update run store transactions; update marks every cache stale.
func (s *Service) view(ctx context.Context, fn func(store.Tx) error) error {
	return s.store.View(ctx, fn)
}

func (s *Service) update(ctx context.Context, fn func(store.Tx) error) error {
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		// Replicas sharing the store drop their caches too (Heard).
		return tx.Notify(Topic)
	})
	s.gen.Add(1)
	return err
}

// Topic is what IAM notifies (store.Tx.Notify) when it writes, for the
// replicas that share its store.
const Topic = "iam"

// Heard tells the service what another replica sharing its store
// committed (store.Listener): Topic, or "" (the listener began again and
// may have missed topics), marks every cache stale, as a write here does.
func (s *Service) Heard(topic string) {
	if topic == Topic || topic == "" {
		s.gen.Add(1)
	}
}

// Update runs fn in a store transaction for another package of the same
// domain (sts) and marks IAM caches stale.
func (s *Service) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.update(ctx, fn)
}

// get, put, insert and list are the store's JSON helpers, named for this
// package's brevity.
func get[T any](tx store.Tx, kind, key string) (*T, bool, error) {
	return store.GetJSON[T](tx, kind, key)
}

func put(tx store.Tx, kind, key string, v any) error { return store.PutJSON(tx, kind, key, v) }

func insert(tx store.Tx, kind, key string, v any) error { return store.InsertJSON(tx, kind, key, v) }

func list[T any](tx store.Tx, kind, prefix string) ([]*T, error) {
	return store.ListJSON[T](tx, kind, prefix, "", 0)
}

// account is the stored account record.
type account struct {
	ID         string
	CreateDate time.Time
	// RootPasswordHash is the bcrypt hash of the root's password
	// (SetRootPassword); empty when it has none.
	RootPasswordHash []byte `json:",omitempty"`
}

// ErrWrongServerKey is returned by Bootstrap when the server key does not
// open the secrets already in the store: the store was made with another
// key (another replica's, or a key file lost or replaced).
var ErrWrongServerKey = errors.New("iam: the server key does not open the access keys in the store: it was made with another server key (replicas sharing a store must use copies of one key file)")

// Bootstrap creates the account and, when none exists, root access keys. It
// returns the new root key ID and secret, or empty strings when the account
// already had them. devKey, when set, is used as a well-known root key
// (with secret devSecret) instead of random ones. It fails with
// ErrWrongServerKey when the Keyring does not open the store's secrets.
func (s *Service) Bootstrap(ctx context.Context, devKey, devSecret string) (keyID, secret string, err error) {
	err = s.update(ctx, func(tx store.Tx) error {
		if _, found, err := get[account](tx, kindAccount, s.account); err != nil {
			return err
		} else if !found {
			if err := insert(tx, kindAccount, s.account, account{ID: s.account, CreateDate: s.Now()}); err != nil {
				return err
			}
		}
		// A server key that opens no secret of the store would fail every
		// signed call: say so now (replicas on one database must share
		// one key).
		if some, err := store.ListJSON[AccessKey](tx, kindAccessKey, "", "", 1); err != nil {
			return err
		} else if len(some) == 1 && len(some[0].SealedSecret) > 0 {
			if _, err := s.keys.Open(some[0].SealedSecret, []byte(some[0].ID)); err != nil {
				return ErrWrongServerKey
			}
		}
		if devKey != "" {
			if _, found, err := get[AccessKey](tx, kindAccessKey, devKey); err != nil || found {
				return err
			}
			keyID, secret = devKey, devSecret
		} else {
			keys, err := list[AccessKey](tx, kindAccessKey, "")
			if err != nil {
				return err
			}
			for _, k := range keys {
				if k.User == "" {
					return nil // root has keys already
				}
			}
			keyID, secret = newAccessKeyID(prefixAccessKey), newSecret()
		}
		k := AccessKey{ID: keyID, User: "", Status: "Active", CreateDate: s.Now(), SealedSecret: s.keys.Seal([]byte(secret), []byte(keyID))}
		return insert(tx, kindAccessKey, keyID, &k)
	})
	if err != nil {
		return "", "", err
	}
	return keyID, secret, nil
}
