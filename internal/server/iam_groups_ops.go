package server

import (
	"batchd/internal/awsproto"
	"batchd/internal/iam"
)

// groupARN is the ARN of the named group as stored (with its path), or with
// the default path when the group does not exist (the handler then reports
// NoSuchEntity once authorization has passed), as userARN does for users.
func (c *Call) groupARN(name string) string {
	g, _, _, _, err := c.srv.cfg.IAM.GetGroup(c.Ctx, name, iam.Page{MaxItems: 1})
	if err == nil {
		return g.ARN
	}
	c.lookupFailed(err)
	return c.iamARN("group/" + name)
}

// groupResource authorizes an operation on the GroupName parameter's group.
func groupResource(c *Call) []string { return one(c.groupARN(c.Str("GroupName"))) }

// groupAttachKeys is iam:PolicyARN, set by the operations that attach or
// detach a managed policy (Service Authorization Reference, IAM).
func groupAttachKeys(c *Call) map[string][]string {
	return map[string][]string{"iam:PolicyARN": {c.Str("PolicyArn")}}
}

// groupFields renders IAM's Group structure.
func groupFields(g *iam.Group) awsproto.Fields {
	return awsproto.Fields{
		{Name: "Path", Value: g.Path}, {Name: "GroupName", Value: g.Name}, {Name: "GroupId", Value: g.ID},
		{Name: "Arn", Value: g.ARN}, {Name: "CreateDate", Value: g.CreateDate},
	}
}

// groupList renders a list of groups with its page fields.
func groupList(groups []*iam.Group, marker string, truncated bool) awsproto.Fields {
	list := []awsproto.Fields{}
	for _, g := range groups {
		list = append(list, groupFields(g))
	}
	return append(awsproto.Fields{{Name: "Groups", Value: list}}, pageFields(marker, truncated)...)
}

// groupMemberFields renders a member in GetGroup's Users list: like ListUsers,
// GetGroup lists users without their tags and permissions boundary.
func groupMemberFields(u *iam.User) awsproto.Fields {
	return awsproto.Fields{
		{Name: "Path", Value: u.Path}, {Name: "UserName", Value: u.Name}, {Name: "UserId", Value: u.ID},
		{Name: "Arn", Value: u.ARN}, {Name: "CreateDate", Value: u.CreateDate},
	}
}

// groupOps is IAM's operation table for groups and membership.
var groupOps = map[string]queryOp{
	"CreateGroup": {
		Action:    "iam:CreateGroup",
		Resources: func(c *Call) []string { return one(c.iamARN("group" + pathOr(c.Str("Path")) + c.Str("GroupName"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			g, err := c.srv.cfg.IAM.CreateGroup(c.Ctx, c.Str("GroupName"), c.Str("Path"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "Group", Value: groupFields(g)}}, nil
		},
	},
	"GetGroup": {
		Action:    "iam:GetGroup",
		Resources: groupResource,
		Handle: func(c *Call) (awsproto.Fields, error) {
			g, members, marker, truncated, err := c.srv.cfg.IAM.GetGroup(c.Ctx, c.Str("GroupName"), c.page())
			if err != nil {
				return nil, err
			}
			users := []awsproto.Fields{}
			for _, u := range members {
				users = append(users, groupMemberFields(u))
			}
			f := awsproto.Fields{{Name: "Group", Value: groupFields(g)}, {Name: "Users", Value: users}}
			return append(f, pageFields(marker, truncated)...), nil
		},
	},
	"ListGroups": {
		Action: "iam:ListGroups",
		Handle: func(c *Call) (awsproto.Fields, error) {
			groups, marker, truncated, err := c.srv.cfg.IAM.ListGroups(c.Ctx, c.Str("PathPrefix"), c.page())
			if err != nil {
				return nil, err
			}
			return groupList(groups, marker, truncated), nil
		},
	},
	"UpdateGroup": {
		Action: "iam:UpdateGroup",
		// The caller needs the permission on the group under its old name
		// and under its new one (IAM API Reference, UpdateGroup).
		Resources: func(c *Call) []string {
			name, newName, newPath := c.Str("GroupName"), c.Str("NewGroupName"), c.Str("NewPath")
			g, _, _, _, err := c.srv.cfg.IAM.GetGroup(c.Ctx, name, iam.Page{MaxItems: 1})
			if err != nil {
				c.lookupFailed(err)
				return one(c.iamARN("group/" + name))
			}
			if newName == "" {
				newName = g.Name
			}
			if newPath == "" {
				newPath = g.Path
			}
			if to := c.iamARN("group" + newPath + newName); to != g.ARN {
				return []string{g.ARN, to}
			}
			return one(g.ARN)
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.UpdateGroup(c.Ctx, c.Str("GroupName"), c.Str("NewGroupName"), c.Str("NewPath"))
		},
	},
	"DeleteGroup": {
		Action:    "iam:DeleteGroup",
		Resources: groupResource,
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeleteGroup(c.Ctx, c.Str("GroupName"))
		},
	},
	"AddUserToGroup": {
		Action:    "iam:AddUserToGroup",
		Resources: groupResource,
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.AddUserToGroup(c.Ctx, c.Str("GroupName"), c.Str("UserName"))
		},
	},
	"RemoveUserFromGroup": {
		Action:    "iam:RemoveUserFromGroup",
		Resources: groupResource,
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.RemoveUserFromGroup(c.Ctx, c.Str("GroupName"), c.Str("UserName"))
		},
	},
	"ListGroupsForUser": {
		Action:    "iam:ListGroupsForUser",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			groups, marker, truncated, err := c.srv.cfg.IAM.ListGroupsForUser(c.Ctx, c.Str("UserName"), c.page())
			if err != nil {
				return nil, err
			}
			return groupList(groups, marker, truncated), nil
		},
	},
	"PutGroupPolicy": {
		Action:    "iam:PutGroupPolicy",
		Resources: groupResource,
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.PutGroupPolicy(c.Ctx, c.Str("GroupName"), c.Str("PolicyName"), c.Str("PolicyDocument"))
		},
	},
	"GetGroupPolicy": {
		Action:    "iam:GetGroupPolicy",
		Resources: groupResource,
		Handle: func(c *Call) (awsproto.Fields, error) {
			doc, err := c.srv.cfg.IAM.GetGroupPolicy(c.Ctx, c.Str("GroupName"), c.Str("PolicyName"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "GroupName", Value: c.Str("GroupName")}, {Name: "PolicyName", Value: c.Str("PolicyName")}, {Name: "PolicyDocument", Value: policyDoc(doc)}}, nil
		},
	},
	"ListGroupPolicies": {
		Action:    "iam:ListGroupPolicies",
		Resources: groupResource,
		Handle: func(c *Call) (awsproto.Fields, error) {
			names, err := c.srv.cfg.IAM.ListGroupPolicies(c.Ctx, c.Str("GroupName"))
			if err != nil {
				return nil, err
			}
			return namePage(c, "PolicyNames", names)
		},
	},
	"DeleteGroupPolicy": {
		Action:    "iam:DeleteGroupPolicy",
		Resources: groupResource,
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeleteGroupPolicy(c.Ctx, c.Str("GroupName"), c.Str("PolicyName"))
		},
	},
	"AttachGroupPolicy": {
		Action:    "iam:AttachGroupPolicy",
		Resources: groupResource,
		Keys:      groupAttachKeys,
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.AttachGroupPolicy(c.Ctx, c.Str("GroupName"), c.Str("PolicyArn"))
		},
	},
	"DetachGroupPolicy": {
		Action:    "iam:DetachGroupPolicy",
		Resources: groupResource,
		Keys:      groupAttachKeys,
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DetachGroupPolicy(c.Ctx, c.Str("GroupName"), c.Str("PolicyArn"))
		},
	},
	"ListAttachedGroupPolicies": {
		Action:    "iam:ListAttachedGroupPolicies",
		Resources: groupResource,
		Handle: func(c *Call) (awsproto.Fields, error) {
			list, err := c.srv.cfg.IAM.ListAttachedGroupPolicies(c.Ctx, c.Str("GroupName"), c.Str("PathPrefix"))
			if err != nil {
				return nil, err
			}
			return attachedPage(c, list)
		},
	},
}
