package iam

import (
	"context"
	"errors"
	"slices"
	"strings"

	"batchd/internal/store"
)

// CreateGroup creates an IAM group (IAM API Reference, CreateGroup).
func (s *Service) CreateGroup(ctx context.Context, name, path string) (*Group, error) {
	path, err := normPath(path)
	if err != nil {
		return nil, err
	}
	g := &Group{Name: name, Path: path, ID: uniqueID(prefixGroup), ARN: s.arn("group" + path + name), CreateDate: s.Now()}
	err = s.update(ctx, func(tx store.Tx) error {
		// A taken name is reported before the quota, as CreatePolicy does.
		if _, found, err := get[Group](tx, kindGroup, nameKey(name)); err != nil {
			return err
		} else if found {
			return alreadyExists("Group with name %s already exists.", name)
		}
		if n, err := tx.Count(kindGroup, ""); err != nil {
			return err
		} else if n >= s.limits.Groups {
			return limitExceeded("Cannot exceed quota for GroupsPerAccount: %d", s.limits.Groups)
		}
		if err := insert(tx, kindGroup, nameKey(name), g); errors.Is(err, store.ErrExists) {
			return alreadyExists("Group with name %s already exists.", name)
		} else {
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// GetGroup returns a group and one page of its members, by name.
func (s *Service) GetGroup(ctx context.Context, name string, p Page) (g *Group, members []*User, marker string, truncated bool, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		var err error
		if g, err = loadHolder[Group](tx, groupHolder, name); err != nil {
			return err
		}
		all, err := groupMembers(tx, g.Name)
		if err != nil {
			return err
		}
		members, marker, truncated, err = paginate(all, p)
		return err
	})
	if err != nil {
		return nil, nil, "", false, err
	}
	return g, members, marker, truncated, nil
}

// groupMembers lists the users in group, in the store's (name) order.
func groupMembers(tx store.Tx, group string) ([]*User, error) {
	users, err := list[User](tx, kindUser, "")
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(users, func(u *User) bool { return findFold(u.Groups, group) < 0 }), nil
}

// ListGroups lists groups whose path starts with pathPrefix, by name.
func (s *Service) ListGroups(ctx context.Context, pathPrefix string, p Page) (groups []*Group, marker string, truncated bool, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		all, err := list[Group](tx, kindGroup, "")
		if err != nil {
			return err
		}
		prefix := pathPrefixOr(pathPrefix)
		all = slices.DeleteFunc(all, func(g *Group) bool { return !strings.HasPrefix(g.Path, prefix) })
		groups, marker, truncated, err = paginate(all, p)
		return err
	})
	return
}

// UpdateGroup renames a group or changes its path. Members stay members:
// their lists of groups follow the new name.
func (s *Service) UpdateGroup(ctx context.Context, name, newName, newPath string) error {
	return s.update(ctx, func(tx store.Tx) error {
		g, err := loadHolder[Group](tx, groupHolder, name)
		if err != nil {
			return err
		}
		if newPath != "" {
			if g.Path, err = normPath(newPath); err != nil {
				return err
			}
		}
		if newName != "" && newName != g.Name {
			if !strings.EqualFold(newName, g.Name) {
				if _, found, err := get[Group](tx, kindGroup, nameKey(newName)); err != nil {
					return err
				} else if found {
					return alreadyExists("Group with name %s already exists.", newName)
				}
				if err := tx.Delete(kindGroup, nameKey(g.Name)); err != nil {
					return err
				}
			}
			members, err := groupMembers(tx, g.Name)
			if err != nil {
				return err
			}
			for _, u := range members {
				u.Groups[findFold(u.Groups, g.Name)] = newName
				if err := put(tx, kindUser, nameKey(u.Name), u); err != nil {
					return err
				}
			}
			g.Name = newName
		}
		g.ARN = s.arn("group" + g.Path + g.Name)
		return put(tx, kindGroup, nameKey(g.Name), g)
	})
}

// DeleteGroup deletes a group that has no members and no policies left, as
// IAM requires (IAM API Reference, DeleteGroup).
func (s *Service) DeleteGroup(ctx context.Context, name string) error {
	return s.update(ctx, func(tx store.Tx) error {
		g, err := loadHolder[Group](tx, groupHolder, name)
		if err != nil {
			return err
		}
		members, err := groupMembers(tx, g.Name)
		if err != nil {
			return err
		}
		switch {
		case len(members) > 0:
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		case len(g.InlinePolicies) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		case len(g.AttachedPolicies) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		}
		return tx.Delete(kindGroup, nameKey(g.Name))
	})
}

// AddUserToGroup makes a user a member of a group; adding a member again
// changes nothing.
func (s *Service) AddUserToGroup(ctx context.Context, group, user string) error {
	return s.update(ctx, func(tx store.Tx) error {
		g, err := loadHolder[Group](tx, groupHolder, group)
		if err != nil {
			return err
		}
		u, err := loadHolder[User](tx, userHolder, user)
		if err != nil {
			return err
		}
		if findFold(u.Groups, g.Name) >= 0 {
			return nil
		}
		if len(u.Groups) >= s.limits.GroupsPerUser {
			return limitExceeded("Cannot exceed quota for GroupsPerUser: %d", s.limits.GroupsPerUser)
		}
		u.Groups = append(u.Groups, g.Name)
		return put(tx, kindUser, nameKey(u.Name), u)
	})
}

// RemoveUserFromGroup ends a user's membership of a group.
func (s *Service) RemoveUserFromGroup(ctx context.Context, group, user string) error {
	return s.update(ctx, func(tx store.Tx) error {
		g, err := loadHolder[Group](tx, groupHolder, group)
		if err != nil {
			return err
		}
		u, err := loadHolder[User](tx, userHolder, user)
		if err != nil {
			return err
		}
		i := findFold(u.Groups, g.Name)
		if i < 0 {
			// IAM names the user, not the membership, when it is missing.
			return noSuchEntity("The user with name %s cannot be found.", user)
		}
		u.Groups = slices.Delete(u.Groups, i, i+1)
		return put(tx, kindUser, nameKey(u.Name), u)
	})
}

// ListGroupsForUser lists the groups a user belongs to, by name.
func (s *Service) ListGroupsForUser(ctx context.Context, user string, p Page) (groups []*Group, marker string, truncated bool, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		u, err := loadHolder[User](tx, userHolder, user)
		if err != nil {
			return err
		}
		var all []*Group
		for _, name := range u.Groups {
			g, found, err := get[Group](tx, kindGroup, nameKey(name))
			if err != nil {
				return err
			}
			if found {
				all = append(all, g)
			}
		}
		slices.SortFunc(all, func(a, b *Group) int { return strings.Compare(nameKey(a.Name), nameKey(b.Name)) })
		groups, marker, truncated, err = paginate(all, p)
		return err
	})
	return
}

// PutGroupPolicy adds or replaces an inline policy of a group.
func (s *Service) PutGroupPolicy(ctx context.Context, group, name, doc string) error {
	return putInline[Group](ctx, s, groupHolder, group, name, doc)
}

// GetGroupPolicy returns an inline policy of a group.
func (s *Service) GetGroupPolicy(ctx context.Context, group, name string) (string, error) {
	return getInline[Group](ctx, s, groupHolder, group, name)
}

// ListGroupPolicies lists a group's inline policy names.
func (s *Service) ListGroupPolicies(ctx context.Context, group string) ([]string, error) {
	return listInline[Group](ctx, s, groupHolder, group)
}

// DeleteGroupPolicy deletes an inline policy of a group.
func (s *Service) DeleteGroupPolicy(ctx context.Context, group, name string) error {
	return deleteInline[Group](ctx, s, groupHolder, group, name)
}

// AttachGroupPolicy attaches a managed policy to a group.
func (s *Service) AttachGroupPolicy(ctx context.Context, group, arn string) error {
	return attachPolicy[Group](ctx, s, groupHolder, group, arn)
}

// DetachGroupPolicy detaches a managed policy from a group.
func (s *Service) DetachGroupPolicy(ctx context.Context, group, arn string) error {
	return detachPolicy[Group](ctx, s, groupHolder, group, arn)
}

// ListAttachedGroupPolicies lists the managed policies attached to a group.
func (s *Service) ListAttachedGroupPolicies(ctx context.Context, group, pathPrefix string) ([]AttachedPolicy, error) {
	return listAttached[Group](ctx, s, groupHolder, group, pathPrefix)
}
