package iam

import (
	"context"
	"slices"
	"strings"
	"time"

	"batchd/internal/store"
)

// CreateAccessKey creates an access key for user, or for the account root
// when user is "". It returns the key with its secret, which is never
// shown again.
func (s *Service) CreateAccessKey(ctx context.Context, user string) (*AccessKey, string, error) {
	secret := newSecret()
	k := &AccessKey{ID: newAccessKeyID(prefixAccessKey), User: user, Status: "Active", CreateDate: s.Now()}
	k.SealedSecret = s.keys.Seal([]byte(secret), []byte(k.ID))
	err := s.update(ctx, func(tx store.Tx) error {
		if user != "" {
			u, err := loadHolder[User](tx, userHolder, user)
			if err != nil {
				return err
			}
			k.User = u.Name
		}
		n, err := s.countKeys(tx, k.User)
		if err != nil {
			return err
		}
		if n >= s.limits.AccessKeysPerUser {
			return limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", s.limits.AccessKeysPerUser)
		}
		return insert(tx, kindAccessKey, k.ID, k)
	})
	if err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

func (s *Service) countKeys(tx store.Tx, user string) (int, error) {
	keys, err := list[AccessKey](tx, kindAccessKey, "")
	if err != nil {
		return 0, err
	}
	return len(slices.DeleteFunc(keys, func(k *AccessKey) bool { return k.User != user })), nil
}

// ListAccessKeys lists the keys of user ("" for the root), oldest first.
func (s *Service) ListAccessKeys(ctx context.Context, user string) ([]*AccessKey, error) {
	var out []*AccessKey
	err := s.view(ctx, func(tx store.Tx) error {
		if user != "" {
			u, err := loadHolder[User](tx, userHolder, user)
			if err != nil {
				return err
			}
			user = u.Name
		}
		keys, err := list[AccessKey](tx, kindAccessKey, "")
		if err != nil {
			return err
		}
		out = slices.DeleteFunc(keys, func(k *AccessKey) bool { return k.User != user })
		slices.SortFunc(out, func(a, b *AccessKey) int { return a.CreateDate.Compare(b.CreateDate) })
		return nil
	})
	return out, err
}

// editKey changes an access key of user ("" for the root).
func (s *Service) editKey(ctx context.Context, user, id string, fn func(tx store.Tx, k *AccessKey) error) error {
	return s.update(ctx, func(tx store.Tx) error {
		if user != "" {
			if _, err := loadHolder[User](tx, userHolder, user); err != nil {
				return err
			}
		}
		k, found, err := get[AccessKey](tx, kindAccessKey, id)
		if err != nil {
			return err
		}
		if !found || (user != "" && k.User != user) {
			return noSuchEntity("The Access Key with id %s cannot be found", id)
		}
		return fn(tx, k)
	})
}

// UpdateAccessKey sets a key Active or Inactive.
func (s *Service) UpdateAccessKey(ctx context.Context, user, id, status string) error {
	return s.editKey(ctx, user, id, func(tx store.Tx, k *AccessKey) error {
		k.Status = status
		return put(tx, kindAccessKey, k.ID, k)
	})
}

// DeleteAccessKey deletes a key.
func (s *Service) DeleteAccessKey(ctx context.Context, user, id string) error {
	return s.editKey(ctx, user, id, func(tx store.Tx, k *AccessKey) error {
		return tx.Delete(kindAccessKey, k.ID)
	})
}

// GetAccessKeyLastUsed returns a key and when, where and for what it was
// last used.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, id string) (*AccessKey, error) {
	var k *AccessKey
	err := s.view(ctx, func(tx store.Tx) error {
		var found bool
		var err error
		k, found, err = get[AccessKey](tx, kindAccessKey, id)
		if err == nil && !found {
			err = noSuchEntity("The Access Key with id %s cannot be found", id)
		}
		return err
	})
	if err == nil {
		s.lastUse(k)
	}
	return k, err
}

// KeyOwner returns the user name ("" for the root) that owns an access key;
// ok is false for an unknown key.
func (s *Service) KeyOwner(ctx context.Context, id string) (user string, ok bool, err error) {
	k, err := s.GetAccessKeyLastUsed(ctx, id)
	if err != nil {
		if e, isIAM := err.(*Error); isIAM && e.Code == CodeNoSuchEntity {
			return "", false, nil
		}
		return "", false, err
	}
	return k.User, true, nil
}

// RecordKeyUse notes that a long-term key was used. The newest use is kept
// in memory and written to the store at most once a minute per key, so
// that a request costs no store write; GetAccessKeyLastUsed reads both.
func (s *Service) RecordKeyUse(ctx context.Context, id, service, region string) {
	if !strings.HasPrefix(id, prefixAccessKey) {
		return
	}
	now := s.Now()
	s.mu.Lock()
	u, seen := s.keyUse[id]
	s.keyUse[id] = keyUse{at: now, service: service, region: region, persisted: u.persisted}
	due := !seen || now.Sub(u.persisted) >= time.Minute
	if due {
		s.keyUse[id] = keyUse{at: now, service: service, region: region, persisted: now}
	}
	s.mu.Unlock()
	if !due {
		return
	}
	// Not s.update: a key's last use changes no permission, so caches stay.
	_ = s.store.Update(ctx, func(tx store.Tx) error {
		k, found, err := get[AccessKey](tx, kindAccessKey, id)
		if err != nil || !found {
			return err
		}
		k.LastUsed, k.LastService, k.LastRegion = now, service, region
		return put(tx, kindAccessKey, k.ID, k)
	})
}

// keyUse is a key's newest use and when it was last written to the store.
type keyUse struct {
	at              time.Time
	service, region string
	persisted       time.Time
}

// lastUse merges the in-memory newest use into k.
func (s *Service) lastUse(k *AccessKey) {
	s.mu.RLock()
	u, ok := s.keyUse[k.ID]
	s.mu.RUnlock()
	if ok && u.at.After(k.LastUsed) {
		k.LastUsed, k.LastService, k.LastRegion = u.at, u.service, u.region
	}
}
