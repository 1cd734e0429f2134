package iam

import (
	"context"
	"slices"
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

// RecordKeyUse notes that a key was used, at most once a minute per key so
// that reads stay cheap.
func (s *Service) RecordKeyUse(ctx context.Context, id, service, region string) {
	now := s.Now()
	_ = s.store.Update(ctx, func(tx store.Tx) error {
		k, found, err := get[AccessKey](tx, kindAccessKey, id)
		if err != nil || !found || now.Sub(k.LastUsed) < time.Minute {
			return err
		}
		k.LastUsed, k.LastService, k.LastRegion = now, service, region
		return put(tx, kindAccessKey, k.ID, k)
	})
}
