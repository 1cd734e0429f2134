package iam

import (
	"context"
	"errors"
	"slices"
	"strings"

	"batchd/internal/store"
)

// CreateUserInput is CreateUser's input.
type CreateUserInput struct {
	Name     string
	Path     string
	Boundary string
	Tags     []Tag
}

// CreateUser creates an IAM user.
func (s *Service) CreateUser(ctx context.Context, in CreateUserInput) (*User, error) {
	path, err := normPath(in.Path)
	if err != nil {
		return nil, err
	}
	u := &User{Name: in.Name, Path: path, ID: uniqueID(prefixUser), ARN: s.arn("user" + path + in.Name), CreateDate: s.Now(), Tags: in.Tags}
	err = s.update(ctx, func(tx store.Tx) error {
		if in.Boundary != "" {
			if err := s.checkBoundary(tx, in.Boundary); err != nil {
				return err
			}
			u.Boundary = in.Boundary
		}
		if n, err := tx.Count(kindUser, ""); err != nil {
			return err
		} else if n >= s.limits.Users {
			return limitExceeded("Cannot exceed quota for UsersPerAccount: %d", s.limits.Users)
		}
		if err := insert(tx, kindUser, nameKey(in.Name), u); errors.Is(err, store.ErrExists) {
			return alreadyExists("User with name %s already exists.", in.Name)
		} else {
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// GetUser returns a user.
func (s *Service) GetUser(ctx context.Context, name string) (*User, error) {
	var u *User
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		u, err = loadHolder[User](tx, userHolder, name)
		return err
	})
	return u, err
}

// ListUsers lists users whose path starts with pathPrefix, by name.
func (s *Service) ListUsers(ctx context.Context, pathPrefix string, p Page) (users []*User, marker string, truncated bool, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		all, err := list[User](tx, kindUser, "")
		if err != nil {
			return err
		}
		all = slices.DeleteFunc(all, func(u *User) bool { return !strings.HasPrefix(u.Path, pathPrefixOr(pathPrefix)) })
		users, marker, truncated, err = paginate(all, p)
		return err
	})
	return
}

func pathPrefixOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// UpdateUser renames a user or changes its path.
func (s *Service) UpdateUser(ctx context.Context, name, newName, newPath string) error {
	return s.update(ctx, func(tx store.Tx) error {
		u, err := loadHolder[User](tx, userHolder, name)
		if err != nil {
			return err
		}
		if newPath != "" {
			if u.Path, err = normPath(newPath); err != nil {
				return err
			}
		}
		if newName != "" && !strings.EqualFold(newName, u.Name) {
			if _, found, err := get[User](tx, kindUser, nameKey(newName)); err != nil {
				return err
			} else if found {
				return alreadyExists("User with name %s already exists.", newName)
			}
			if err := tx.Delete(kindUser, nameKey(u.Name)); err != nil {
				return err
			}
			keys, err := list[AccessKey](tx, kindAccessKey, "")
			if err != nil {
				return err
			}
			for _, k := range keys {
				if k.User == u.Name {
					k.User = newName
					if err := put(tx, kindAccessKey, k.ID, k); err != nil {
						return err
					}
				}
			}
			// The login profile follows its user.
			if p, found, err := get[loginProfile](tx, kindLoginProfile, nameKey(u.Name)); err != nil {
				return err
			} else if found {
				p.UserName = newName
				if err := tx.Delete(kindLoginProfile, nameKey(u.Name)); err != nil {
					return err
				}
				if err := put(tx, kindLoginProfile, nameKey(newName), p); err != nil {
					return err
				}
			}
		}
		if newName != "" {
			u.Name = newName
		}
		u.ARN = s.arn("user" + u.Path + u.Name)
		return put(tx, kindUser, nameKey(u.Name), u)
	})
}

// DeleteUser deletes a user that has no login profile, access keys,
// policies or group memberships left, as IAM requires.
func (s *Service) DeleteUser(ctx context.Context, name string) error {
	return s.update(ctx, func(tx store.Tx) error {
		u, err := loadHolder[User](tx, userHolder, name)
		if err != nil {
			return err
		}
		if _, found, err := get[loginProfile](tx, kindLoginProfile, nameKey(u.Name)); err != nil {
			return err
		} else if found {
			return deleteConflict("Cannot delete entity, must delete login profile first.")
		}
		keys, err := list[AccessKey](tx, kindAccessKey, "")
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.User == u.Name {
				return deleteConflict("Cannot delete entity, must delete access keys first.")
			}
		}
		switch {
		case len(u.InlinePolicies) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		case len(u.AttachedPolicies) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(u.Groups) > 0:
			return deleteConflict("Cannot delete entity, must remove user from all groups first.")
		}
		return tx.Delete(kindUser, nameKey(u.Name))
	})
}

// TagUser adds or replaces tags on a user.
func (s *Service) TagUser(ctx context.Context, name string, tags []Tag) error {
	return editHolder[User](ctx, s, userHolder, name, func(_ store.Tx, u *User) (err error) {
		u.Tags, err = mergeTags(u.Tags, tags)
		return err
	})
}

// UntagUser removes tags from a user.
func (s *Service) UntagUser(ctx context.Context, name string, keys []string) error {
	return editHolder[User](ctx, s, userHolder, name, func(_ store.Tx, u *User) error {
		u.Tags = removeTags(u.Tags, keys)
		return nil
	})
}

// PutUserPolicy adds or replaces an inline policy of a user.
func (s *Service) PutUserPolicy(ctx context.Context, user, name, doc string) error {
	return putInline[User](ctx, s, userHolder, user, name, doc)
}

// GetUserPolicy returns an inline policy of a user.
func (s *Service) GetUserPolicy(ctx context.Context, user, name string) (string, error) {
	return getInline[User](ctx, s, userHolder, user, name)
}

// ListUserPolicies lists a user's inline policy names.
func (s *Service) ListUserPolicies(ctx context.Context, user string) ([]string, error) {
	return listInline[User](ctx, s, userHolder, user)
}

// DeleteUserPolicy deletes an inline policy of a user.
func (s *Service) DeleteUserPolicy(ctx context.Context, user, name string) error {
	return deleteInline[User](ctx, s, userHolder, user, name)
}

// AttachUserPolicy attaches a managed policy to a user.
func (s *Service) AttachUserPolicy(ctx context.Context, user, arn string) error {
	return attachPolicy[User](ctx, s, userHolder, user, arn)
}

// DetachUserPolicy detaches a managed policy from a user.
func (s *Service) DetachUserPolicy(ctx context.Context, user, arn string) error {
	return detachPolicy[User](ctx, s, userHolder, user, arn)
}

// ListAttachedUserPolicies lists the managed policies attached to a user.
func (s *Service) ListAttachedUserPolicies(ctx context.Context, user, pathPrefix string) ([]AttachedPolicy, error) {
	return listAttached[User](ctx, s, userHolder, user, pathPrefix)
}

// PutUserPermissionsBoundary sets a user's permissions boundary.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, user, arn string) error {
	return editHolder[User](ctx, s, userHolder, user, func(tx store.Tx, u *User) error {
		if err := s.checkBoundary(tx, arn); err != nil {
			return err
		}
		u.Boundary = arn
		return nil
	})
}

// DeleteUserPermissionsBoundary removes a user's permissions boundary.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, user string) error {
	return editHolder[User](ctx, s, userHolder, user, func(_ store.Tx, u *User) error {
		u.Boundary = ""
		return nil
	})
}

// checkBoundary requires a boundary to be an existing managed policy.
func (s *Service) checkBoundary(tx store.Tx, arn string) error {
	if _, err := s.loadManaged(tx, arn); err != nil {
		return invalidInput("ARN %s is not valid.", arn)
	}
	return nil
}
