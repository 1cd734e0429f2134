package server

import (
	"batchd/internal/awsproto"
	"batchd/internal/iam"
)

// profileOps is IAM's operation table for instance profiles. Operations on
// an instance profile are authorized on its ARN with its path (resource
// type "instance-profile", arn:${Partition}:iam::${Account}:
// instance-profile/${InstanceProfileNameWithPath}) and set its
// aws:ResourceTag/ keys; ListInstanceProfilesForRole is authorized on the
// role.
var profileOps = map[string]queryOp{
	"CreateInstanceProfile": {
		Action:    "iam:CreateInstanceProfile",
		Resources: func(c *Call) []string { return one(c.newProfileARN()) },
		Keys:      func(c *Call) map[string][]string { return tagKeys(c.Tags("Tags")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			tags := c.Tags("Tags")
			if len(tags) > 0 {
				// Tagging on create also needs iam:TagInstanceProfile (the
				// reference lists it as a dependent action).
				if err := c.Authorize("iam:TagInstanceProfile", c.newProfileARN(), tagKeys(tags)); err != nil {
					return nil, err
				}
			}
			p, err := c.srv.cfg.IAM.CreateInstanceProfile(c.Ctx, c.Str("InstanceProfileName"), c.Str("Path"), tags)
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "InstanceProfile", Value: profileFields(&iam.InstanceProfileDetail{Profile: p}, true)}}, nil
		},
	},
	"GetInstanceProfile": {
		Action:    "iam:GetInstanceProfile",
		Resources: func(c *Call) []string { return one(c.profileARN(c.Str("InstanceProfileName"))) },
		Keys:      func(c *Call) map[string][]string { return c.profileKeys(c.Str("InstanceProfileName")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			d, err := c.srv.cfg.IAM.GetInstanceProfile(c.Ctx, c.Str("InstanceProfileName"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "InstanceProfile", Value: profileFields(d, true)}}, nil
		},
	},
	"ListInstanceProfiles": {
		Action: "iam:ListInstanceProfiles",
		Handle: func(c *Call) (awsproto.Fields, error) {
			list, marker, truncated, err := c.srv.cfg.IAM.ListInstanceProfiles(c.Ctx, c.Str("PathPrefix"), c.page())
			if err != nil {
				return nil, err
			}
			return profilePage(list, marker, truncated), nil
		},
	},
	"DeleteInstanceProfile": {
		Action:    "iam:DeleteInstanceProfile",
		Resources: func(c *Call) []string { return one(c.profileARN(c.Str("InstanceProfileName"))) },
		Keys:      func(c *Call) map[string][]string { return c.profileKeys(c.Str("InstanceProfileName")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeleteInstanceProfile(c.Ctx, c.Str("InstanceProfileName"))
		},
	},
	"AddRoleToInstanceProfile": {
		Action:    "iam:AddRoleToInstanceProfile",
		Resources: func(c *Call) []string { return one(c.profileARN(c.Str("InstanceProfileName"))) },
		Keys:      func(c *Call) map[string][]string { return c.profileKeys(c.Str("InstanceProfileName")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			// Putting a role in an instance profile passes it to EC2: the
			// caller also needs iam:PassRole on the role (IAM User Guide,
			// "Using an IAM role to grant permissions to applications
			// running on Amazon EC2 instances"). A role that does not
			// exist is left to the domain's NoSuchEntity.
			if r := c.lookupRole(c.Str("RoleName")); r != nil {
				keys := withKeys(resourceTagKeys(r.Tags, "aws:ResourceTag/", "iam:ResourceTag/"),
					map[string][]string{"iam:PassedToService": {"ec2.amazonaws.com"}})
				if err := c.Authorize("iam:PassRole", r.ARN, keys); err != nil {
					return nil, err
				}
			}
			return nil, c.srv.cfg.IAM.AddRoleToInstanceProfile(c.Ctx, c.Str("InstanceProfileName"), c.Str("RoleName"))
		},
	},
	"RemoveRoleFromInstanceProfile": {
		Action:    "iam:RemoveRoleFromInstanceProfile",
		Resources: func(c *Call) []string { return one(c.profileARN(c.Str("InstanceProfileName"))) },
		Keys:      func(c *Call) map[string][]string { return c.profileKeys(c.Str("InstanceProfileName")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.RemoveRoleFromInstanceProfile(c.Ctx, c.Str("InstanceProfileName"), c.Str("RoleName"))
		},
	},
	"ListInstanceProfilesForRole": {
		Action:    "iam:ListInstanceProfilesForRole",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), false) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			list, marker, truncated, err := c.srv.cfg.IAM.ListInstanceProfilesForRole(c.Ctx, c.Str("RoleName"), c.page())
			if err != nil {
				return nil, err
			}
			return profilePage(list, marker, truncated), nil
		},
	},
	"TagInstanceProfile": {
		Action:    "iam:TagInstanceProfile",
		Resources: func(c *Call) []string { return one(c.profileARN(c.Str("InstanceProfileName"))) },
		Keys: func(c *Call) map[string][]string {
			return withKeys(c.profileKeys(c.Str("InstanceProfileName")), tagKeys(c.Tags("Tags")))
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.TagInstanceProfile(c.Ctx, c.Str("InstanceProfileName"), c.Tags("Tags"))
		},
	},
	"UntagInstanceProfile": {
		Action:    "iam:UntagInstanceProfile",
		Resources: func(c *Call) []string { return one(c.profileARN(c.Str("InstanceProfileName"))) },
		Keys: func(c *Call) map[string][]string {
			return withKeys(c.profileKeys(c.Str("InstanceProfileName")), map[string][]string{"aws:TagKeys": c.List("TagKeys")})
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.UntagInstanceProfile(c.Ctx, c.Str("InstanceProfileName"), c.List("TagKeys"))
		},
	},
	"ListInstanceProfileTags": {
		Action:    "iam:ListInstanceProfileTags",
		Resources: func(c *Call) []string { return one(c.profileARN(c.Str("InstanceProfileName"))) },
		Keys:      func(c *Call) map[string][]string { return c.profileKeys(c.Str("InstanceProfileName")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			tags, marker, truncated, err := c.srv.cfg.IAM.ListInstanceProfileTags(c.Ctx, c.Str("InstanceProfileName"), c.page())
			if err != nil {
				return nil, err
			}
			return append(awsproto.Fields{{Name: "Tags", Value: tagListOf(tags)}}, pageFields(marker, truncated)...), nil
		},
	},
}

// lookupProfile returns the stored instance profile, or nil when there is
// none.
func (c *Call) lookupProfile(name string) *iam.InstanceProfile {
	d, err := c.srv.cfg.IAM.GetInstanceProfile(c.Ctx, name)
	if err != nil {
		return nil
	}
	return d.Profile
}

// profileARN is the ARN of the named instance profile as stored (with its
// path), or with the default path when it does not exist.
func (c *Call) profileARN(name string) string {
	if p := c.lookupProfile(name); p != nil {
		return p.ARN
	}
	return c.iamARN("instance-profile/" + name)
}

// newProfileARN is the ARN CreateInstanceProfile's profile will have.
func (c *Call) newProfileARN() string {
	return c.iamARN("instance-profile" + pathOr(c.Str("Path")) + c.Str("InstanceProfileName"))
}

// profileKeys are an existing instance profile's aws:ResourceTag/ keys.
func (c *Call) profileKeys(name string) map[string][]string {
	p := c.lookupProfile(name)
	if p == nil {
		return nil
	}
	return resourceTagKeys(p.Tags, "aws:ResourceTag/")
}

// profileFields renders an InstanceProfile in the model's member order.
// Its roles are shown as listings show roles; its tags only when withTags
// (listings leave them out, IAM API Reference, ListInstanceProfiles).
func profileFields(d *iam.InstanceProfileDetail, withTags bool) awsproto.Fields {
	p := d.Profile
	roles := []awsproto.Fields{}
	for _, r := range d.Roles {
		roles = append(roles, roleFields(r, roleListed))
	}
	f := awsproto.Fields{
		{Name: "Path", Value: p.Path}, {Name: "InstanceProfileName", Value: p.Name}, {Name: "InstanceProfileId", Value: p.ID},
		{Name: "Arn", Value: p.ARN}, {Name: "CreateDate", Value: p.CreateDate}, {Name: "Roles", Value: roles},
	}
	if withTags && len(p.Tags) > 0 {
		f = append(f, awsproto.Field{Name: "Tags", Value: tagFields(p.Tags)})
	}
	return f
}

// profilePage renders InstanceProfiles with IsTruncated and Marker.
func profilePage(list []*iam.InstanceProfileDetail, marker string, truncated bool) awsproto.Fields {
	out := []awsproto.Fields{}
	for _, d := range list {
		out = append(out, profileFields(d, false))
	}
	return append(awsproto.Fields{{Name: "InstanceProfiles", Value: out}}, pageFields(marker, truncated)...)
}
