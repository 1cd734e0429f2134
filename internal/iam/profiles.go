package iam

import (
	"context"
	"errors"
	"slices"
	"strings"

	"batchd/internal/store"
)

// InstanceProfileDetail is an instance profile with its roles, as IAM shows
// it (IAM API Reference, InstanceProfile: Roles).
type InstanceProfileDetail struct {
	Profile *InstanceProfile
	Roles   []*Role
}

func profileNotFound(name string) *Error {
	return noSuchEntity("Instance Profile %s cannot be found.", name)
}

func loadProfile(tx store.Tx, name string) (*InstanceProfile, error) {
	p, found, err := get[InstanceProfile](tx, kindProfile, nameKey(name))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, profileNotFound(name)
	}
	return p, nil
}

// profileDetail resolves a profile's role names to roles; a role that is
// gone is left out.
func profileDetail(tx store.Tx, p *InstanceProfile) (*InstanceProfileDetail, error) {
	d := &InstanceProfileDetail{Profile: p, Roles: []*Role{}}
	for _, name := range p.Roles {
		r, found, err := get[Role](tx, kindRole, nameKey(name))
		if err != nil {
			return nil, err
		}
		if found {
			d.Roles = append(d.Roles, r)
		}
	}
	return d, nil
}

// profilesOfRole lists the instance profiles that hold a role.
func profilesOfRole(tx store.Tx, role string) ([]*InstanceProfile, error) {
	all, err := list[InstanceProfile](tx, kindProfile, "")
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(p *InstanceProfile) bool { return findFold(p.Roles, role) < 0 }), nil
}

// CreateInstanceProfile creates an instance profile without roles.
func (s *Service) CreateInstanceProfile(ctx context.Context, name, path string, tags []Tag) (*InstanceProfile, error) {
	path, err := normPath(path)
	if err != nil {
		return nil, err
	}
	tags, err = mergeTags(nil, tags)
	if err != nil {
		return nil, err
	}
	p := &InstanceProfile{
		Name: name, Path: path, ID: uniqueID(prefixProfile), ARN: s.arn("instance-profile" + path + name),
		CreateDate: s.Now(), Roles: []string{}, Tags: tags,
	}
	err = s.update(ctx, func(tx store.Tx) error {
		if n, err := tx.Count(kindProfile, ""); err != nil {
			return err
		} else if n >= s.limits.InstanceProfiles {
			return limitExceeded("Cannot exceed quota for InstanceProfilesPerAccount: %d", s.limits.InstanceProfiles)
		}
		if err := insert(tx, kindProfile, nameKey(name), p); errors.Is(err, store.ErrExists) {
			return alreadyExists("Instance Profile %s already exists.", name)
		} else {
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// GetInstanceProfile returns an instance profile with its roles.
func (s *Service) GetInstanceProfile(ctx context.Context, name string) (*InstanceProfileDetail, error) {
	var d *InstanceProfileDetail
	err := s.view(ctx, func(tx store.Tx) error {
		p, err := loadProfile(tx, name)
		if err != nil {
			return err
		}
		d, err = profileDetail(tx, p)
		return err
	})
	return d, err
}

// ListInstanceProfiles lists instance profiles whose path starts with
// pathPrefix, by name, with their roles.
func (s *Service) ListInstanceProfiles(ctx context.Context, pathPrefix string, p Page) (profiles []*InstanceProfileDetail, marker string, truncated bool, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		all, err := list[InstanceProfile](tx, kindProfile, "")
		if err != nil {
			return err
		}
		prefix := pathPrefixOr(pathPrefix)
		all = slices.DeleteFunc(all, func(ip *InstanceProfile) bool { return !strings.HasPrefix(ip.Path, prefix) })
		page, next, more, err := paginate(all, p)
		if err != nil {
			return err
		}
		profiles, marker, truncated = make([]*InstanceProfileDetail, 0, len(page)), next, more
		for _, ip := range page {
			d, err := profileDetail(tx, ip)
			if err != nil {
				return err
			}
			profiles = append(profiles, d)
		}
		return nil
	})
	return
}

// DeleteInstanceProfile deletes an instance profile that holds no role.
func (s *Service) DeleteInstanceProfile(ctx context.Context, name string) error {
	return s.update(ctx, func(tx store.Tx) error {
		p, err := loadProfile(tx, name)
		if err != nil {
			return err
		}
		if len(p.Roles) > 0 {
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		return tx.Delete(kindProfile, nameKey(p.Name))
	})
}

// AddRoleToInstanceProfile puts a role in an instance profile, which holds
// at most one (IAM User Guide, "IAM and AWS STS quotas": roles in an
// instance profile, 1).
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, profile, role string) error {
	return s.update(ctx, func(tx store.Tx) error {
		p, err := loadProfile(tx, profile)
		if err != nil {
			return err
		}
		r, err := loadHolder[Role](tx, roleHolder, role)
		if err != nil {
			return err
		}
		if len(p.Roles) >= 1 {
			return limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
		}
		p.Roles = append(p.Roles, r.Name)
		return put(tx, kindProfile, nameKey(p.Name), p)
	})
}

// RemoveRoleFromInstanceProfile takes a role out of an instance profile.
func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, profile, role string) error {
	return s.update(ctx, func(tx store.Tx) error {
		p, err := loadProfile(tx, profile)
		if err != nil {
			return err
		}
		r, err := loadHolder[Role](tx, roleHolder, role)
		if err != nil {
			return err
		}
		i := findFold(p.Roles, r.Name)
		if i < 0 {
			return noSuchEntity("The role with name %s cannot be found in instance profile %s.", r.Name, p.Name)
		}
		p.Roles = slices.Delete(p.Roles, i, i+1)
		return put(tx, kindProfile, nameKey(p.Name), p)
	})
}

// ListInstanceProfilesForRole lists the instance profiles that hold a role,
// by name.
func (s *Service) ListInstanceProfilesForRole(ctx context.Context, role string, p Page) (profiles []*InstanceProfileDetail, marker string, truncated bool, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		r, err := loadHolder[Role](tx, roleHolder, role)
		if err != nil {
			return err
		}
		all, err := profilesOfRole(tx, r.Name)
		if err != nil {
			return err
		}
		page, next, more, err := paginate(all, p)
		if err != nil {
			return err
		}
		profiles, marker, truncated = make([]*InstanceProfileDetail, 0, len(page)), next, more
		for _, ip := range page {
			d, err := profileDetail(tx, ip)
			if err != nil {
				return err
			}
			profiles = append(profiles, d)
		}
		return nil
	})
	return
}

func (s *Service) editProfile(ctx context.Context, name string, fn func(p *InstanceProfile) error) error {
	return s.update(ctx, func(tx store.Tx) error {
		p, err := loadProfile(tx, name)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		return put(tx, kindProfile, nameKey(p.Name), p)
	})
}

// TagInstanceProfile adds or replaces tags on an instance profile.
func (s *Service) TagInstanceProfile(ctx context.Context, name string, tags []Tag) error {
	return s.editProfile(ctx, name, func(p *InstanceProfile) (err error) {
		p.Tags, err = mergeTags(p.Tags, tags)
		return err
	})
}

// UntagInstanceProfile removes tags from an instance profile.
func (s *Service) UntagInstanceProfile(ctx context.Context, name string, keys []string) error {
	return s.editProfile(ctx, name, func(p *InstanceProfile) error {
		p.Tags = removeTags(p.Tags, keys)
		return nil
	})
}

// ListInstanceProfileTags lists an instance profile's tags.
func (s *Service) ListInstanceProfileTags(ctx context.Context, name string, p Page) (tags []Tag, marker string, truncated bool, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		ip, err := loadProfile(tx, name)
		if err != nil {
			return err
		}
		tags, marker, truncated, err = paginate(ip.Tags, p)
		return err
	})
	return
}
