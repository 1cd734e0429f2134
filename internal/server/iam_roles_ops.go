package server

import (
	"strings"

	"batchd/internal/awsproto"
	"batchd/internal/iam"
)

// roleOps is IAM's operation table for roles and the service-linked role.
// Every operation on an existing role is authorized on the role's ARN with
// its path (resource type "role", arn:${Partition}:iam::${Account}:role/
// ${RoleNameWithPath}) and sets the role's aws:ResourceTag/ and
// iam:ResourceTag/ keys; the operations whose row in the Service
// Authorization Reference lists iam:PermissionsBoundary also set it to the
// role's boundary (or, for CreateRole and PutRolePermissionsBoundary, to the
// boundary asked for).
var roleOps = map[string]queryOp{
	"CreateRole": {
		Action:    "iam:CreateRole",
		Resources: func(c *Call) []string { return one(c.newRoleARN()) },
		Keys: func(c *Call) map[string][]string {
			return withKeys(tagKeys(c.Tags("Tags")), boundaryKey(c.Str("PermissionsBoundary")))
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			tags := c.Tags("Tags")
			if len(tags) > 0 {
				// Tagging on create also needs iam:TagRole (IAM User Guide,
				// "Permissions required for tagging"; the reference lists
				// it as CreateRole's dependent action).
				if err := c.Authorize("iam:TagRole", c.newRoleARN(), tagKeys(tags)); err != nil {
					return nil, err
				}
			}
			in := iam.CreateRoleInput{
				Name: c.Str("RoleName"), Path: c.Str("Path"), TrustPolicy: c.Str("AssumeRolePolicyDocument"),
				Description: c.Str("Description"), Boundary: c.Str("PermissionsBoundary"), Tags: tags,
			}
			if d, ok := c.Int("MaxSessionDuration"); ok {
				in.MaxSessionDuration = int32(d)
			}
			r, err := c.srv.cfg.IAM.CreateRole(c.Ctx, in)
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "Role", Value: roleFields(r, roleWritten)}}, nil
		},
	},
	"GetRole": {
		Action:    "iam:GetRole",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), true) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			r, err := c.srv.cfg.IAM.GetRole(c.Ctx, c.Str("RoleName"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "Role", Value: roleFields(r, roleFull)}}, nil
		},
	},
	"ListRoles": {
		Action: "iam:ListRoles",
		Handle: func(c *Call) (awsproto.Fields, error) {
			roles, marker, truncated, err := c.srv.cfg.IAM.ListRoles(c.Ctx, c.Str("PathPrefix"), c.page())
			if err != nil {
				return nil, err
			}
			list := []awsproto.Fields{}
			for _, r := range roles {
				list = append(list, roleFields(r, roleListed))
			}
			return append(awsproto.Fields{{Name: "Roles", Value: list}}, pageFields(marker, truncated)...), nil
		},
	},
	"UpdateRole": {
		Action:    "iam:UpdateRole",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), true) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			var desc *string
			if c.Params.Has("Description") {
				d := c.Str("Description")
				desc = &d
			}
			var maxSession *int32
			if d, ok := c.Int("MaxSessionDuration"); ok {
				n := int32(d)
				maxSession = &n
			}
			return nil, c.srv.cfg.IAM.UpdateRole(c.Ctx, c.Str("RoleName"), desc, maxSession)
		},
	},
	"UpdateRoleDescription": {
		Action:    "iam:UpdateRoleDescription",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), true) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			r, err := c.srv.cfg.IAM.UpdateRoleDescription(c.Ctx, c.Str("RoleName"), c.Str("Description"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "Role", Value: roleFields(r, roleWritten)}}, nil
		},
	},
	"UpdateAssumeRolePolicy": {
		Action:    "iam:UpdateAssumeRolePolicy",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), true) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.UpdateAssumeRolePolicy(c.Ctx, c.Str("RoleName"), c.Str("PolicyDocument"))
		},
	},
	"DeleteRole": {
		Action:    "iam:DeleteRole",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), true) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeleteRole(c.Ctx, c.Str("RoleName"))
		},
	},
	"TagRole": {
		Action:    "iam:TagRole",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys: func(c *Call) map[string][]string {
			return withKeys(c.roleKeys(c.Str("RoleName"), false), tagKeys(c.Tags("Tags")))
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.TagRole(c.Ctx, c.Str("RoleName"), c.Tags("Tags"))
		},
	},
	"UntagRole": {
		Action:    "iam:UntagRole",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys: func(c *Call) map[string][]string {
			return withKeys(c.roleKeys(c.Str("RoleName"), false), map[string][]string{"aws:TagKeys": c.List("TagKeys")})
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.UntagRole(c.Ctx, c.Str("RoleName"), c.List("TagKeys"))
		},
	},
	"ListRoleTags": {
		Action:    "iam:ListRoleTags",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), false) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			tags, marker, truncated, err := c.srv.cfg.IAM.ListRoleTags(c.Ctx, c.Str("RoleName"), c.page())
			if err != nil {
				return nil, err
			}
			return append(awsproto.Fields{{Name: "Tags", Value: tagListOf(tags)}}, pageFields(marker, truncated)...), nil
		},
	},
	"PutRolePolicy": {
		Action:    "iam:PutRolePolicy",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), true) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.PutRolePolicy(c.Ctx, c.Str("RoleName"), c.Str("PolicyName"), c.Str("PolicyDocument"))
		},
	},
	"GetRolePolicy": {
		Action:    "iam:GetRolePolicy",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), false) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			doc, err := c.srv.cfg.IAM.GetRolePolicy(c.Ctx, c.Str("RoleName"), c.Str("PolicyName"))
			if err != nil {
				return nil, err
			}
			// Names are matched without regard to case; the answer spells
			// them as stored.
			role, policyName := c.Str("RoleName"), c.Str("PolicyName")
			if r := c.lookupRole(role); r != nil {
				role = r.Name
				for n := range r.InlinePolicies {
					if strings.EqualFold(n, policyName) {
						policyName = n
					}
				}
			}
			return awsproto.Fields{{Name: "RoleName", Value: role}, {Name: "PolicyName", Value: policyName}, {Name: "PolicyDocument", Value: policyDoc(doc)}}, nil
		},
	},
	"ListRolePolicies": {
		Action:    "iam:ListRolePolicies",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), false) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			names, err := c.srv.cfg.IAM.ListRolePolicies(c.Ctx, c.Str("RoleName"))
			if err != nil {
				return nil, err
			}
			return namePage(c, "PolicyNames", names)
		},
	},
	"DeleteRolePolicy": {
		Action:    "iam:DeleteRolePolicy",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), true) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeleteRolePolicy(c.Ctx, c.Str("RoleName"), c.Str("PolicyName"))
		},
	},
	"AttachRolePolicy": {
		Action:    "iam:AttachRolePolicy",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys: func(c *Call) map[string][]string {
			return withKeys(c.roleKeys(c.Str("RoleName"), true), map[string][]string{"iam:PolicyARN": {c.Str("PolicyArn")}})
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.AttachRolePolicy(c.Ctx, c.Str("RoleName"), c.Str("PolicyArn"))
		},
	},
	"DetachRolePolicy": {
		Action:    "iam:DetachRolePolicy",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys: func(c *Call) map[string][]string {
			return withKeys(c.roleKeys(c.Str("RoleName"), true), map[string][]string{"iam:PolicyARN": {c.Str("PolicyArn")}})
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DetachRolePolicy(c.Ctx, c.Str("RoleName"), c.Str("PolicyArn"))
		},
	},
	"ListAttachedRolePolicies": {
		Action:    "iam:ListAttachedRolePolicies",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), false) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			list, err := c.srv.cfg.IAM.ListAttachedRolePolicies(c.Ctx, c.Str("RoleName"), c.Str("PathPrefix"))
			if err != nil {
				return nil, err
			}
			return attachedPage(c, list)
		},
	},
	"PutRolePermissionsBoundary": {
		Action:    "iam:PutRolePermissionsBoundary",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		// iam:PermissionsBoundary is the boundary being set (IAM User
		// Guide, "Condition keys": it checks the policy "attached as a
		// permissions boundary" by the request).
		Keys: func(c *Call) map[string][]string {
			return withKeys(c.roleKeys(c.Str("RoleName"), false), boundaryKey(c.Str("PermissionsBoundary")))
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.PutRolePermissionsBoundary(c.Ctx, c.Str("RoleName"), c.Str("PermissionsBoundary"))
		},
	},
	"DeleteRolePermissionsBoundary": {
		Action:    "iam:DeleteRolePermissionsBoundary",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), true) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeleteRolePermissionsBoundary(c.Ctx, c.Str("RoleName"))
		},
	},
	"CreateServiceLinkedRole": {
		Action:    "iam:CreateServiceLinkedRole",
		Resources: func(c *Call) []string { return one(c.serviceLinkedRoleARN()) },
		Keys: func(c *Call) map[string][]string {
			return map[string][]string{"iam:AWSServiceName": {c.Str("AWSServiceName")}}
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			r, err := c.srv.cfg.IAM.CreateServiceLinkedRole(c.Ctx, c.Str("AWSServiceName"), c.Str("Description"), c.Str("CustomSuffix"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "Role", Value: roleFields(r, roleWritten)}}, nil
		},
	},
	"DeleteServiceLinkedRole": {
		Action:    "iam:DeleteServiceLinkedRole",
		Resources: func(c *Call) []string { return one(c.roleARN(c.Str("RoleName"))) },
		Keys:      func(c *Call) map[string][]string { return c.roleKeys(c.Str("RoleName"), false) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			id, err := c.srv.cfg.IAM.DeleteServiceLinkedRole(c.Ctx, c.Str("RoleName"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "DeletionTaskId", Value: id}}, nil
		},
	},
	"GetServiceLinkedRoleDeletionStatus": {
		Action:    "iam:GetServiceLinkedRoleDeletionStatus",
		Resources: func(c *Call) []string { return one(c.deletionTaskRoleARN(c.Str("DeletionTaskId"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			status, err := c.srv.cfg.IAM.GetServiceLinkedRoleDeletionStatus(c.Ctx, c.Str("DeletionTaskId"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "Status", Value: status}}, nil
		},
	},
}

// lookupRole returns the stored role, or nil when there is none (the
// handler then reports NoSuchEntity once authorization has passed).
func (c *Call) lookupRole(name string) *iam.Role {
	r, err := c.srv.cfg.IAM.GetRole(c.Ctx, name)
	if err != nil {
		c.lookupFailed(err)
		return nil
	}
	return r
}

// roleARN is the ARN of the named role as stored (with its path), or with
// the default path when the role does not exist.
func (c *Call) roleARN(name string) string {
	if r := c.lookupRole(name); r != nil {
		return r.ARN
	}
	return c.iamARN("role/" + name)
}

// newRoleARN is the ARN CreateRole's role will have.
func (c *Call) newRoleARN() string {
	return c.iamARN("role" + pathOr(c.Str("Path")) + c.Str("RoleName"))
}

// roleKeys are the condition keys of an existing role: aws:ResourceTag/K
// and iam:ResourceTag/K for each of its tags and, when boundary is set
// and the role has one, iam:PermissionsBoundary.
func (c *Call) roleKeys(name string, boundary bool) map[string][]string {
	r := c.lookupRole(name)
	if r == nil {
		return nil
	}
	m := resourceTagKeys(r.Tags, "aws:ResourceTag/", "iam:ResourceTag/")
	if boundary && r.Boundary != "" {
		m["iam:PermissionsBoundary"] = []string{r.Boundary}
	}
	return m
}

// resourceTagKeys returns prefix+K → V for each tag and each prefix.
func resourceTagKeys(tags []iam.Tag, prefixes ...string) map[string][]string {
	m := map[string][]string{}
	for _, t := range tags {
		for _, p := range prefixes {
			m[p+t.Key] = []string{t.Value}
		}
	}
	return m
}

// serviceLinkedRoleARN is the ARN CreateServiceLinkedRole's role will have:
// role/aws-service-role/SERVICE/NAME (IAM User Guide, "Using service-linked
// roles"). The name of an unknown service's role is a guess; the operation
// then fails with InvalidInput.
func (c *Call) serviceLinkedRoleARN() string {
	svc := c.Str("AWSServiceName")
	name := iam.BatchServiceLinkedRole
	if svc != iam.BatchServiceName {
		first, _, _ := strings.Cut(svc, ".")
		name = "AWSServiceRoleFor" + strings.ToUpper(first)
	}
	if s := c.Str("CustomSuffix"); s != "" {
		name += "_" + s
	}
	return c.iamARN("role/aws-service-role/" + svc + "/" + name)
}

// deletionTaskRoleARN is the ARN of the service-linked role a deletion task
// (task/aws-service-role/SERVICE/NAME/UUID) deleted.
func (c *Call) deletionTaskRoleARN(taskID string) string {
	rest, ok := strings.CutPrefix(taskID, "task/")
	if i := strings.LastIndexByte(rest, '/'); ok && i > 0 {
		return c.iamARN("role/" + rest[:i])
	}
	return c.iamARN("role/" + taskID)
}

// roleView is which of a role's fields an operation returns.
type roleView int

const (
	// roleListed is what listings show (ListRoles, the roles of an
	// instance profile): AWS leaves out PermissionsBoundary, Tags and
	// RoleLastUsed (IAM API Reference, ListRoles).
	roleListed roleView = iota
	// roleWritten is what CreateRole and UpdateRoleDescription return.
	roleWritten
	// roleFull is GetRole's and GetAccountAuthorizationDetails' view, with
	// RoleLastUsed (empty when the role was never used).
	roleFull
)

// roleFields renders a Role in the model's member order.
func roleFields(r *iam.Role, view roleView) awsproto.Fields {
	f := awsproto.Fields{
		{Name: "Path", Value: r.Path}, {Name: "RoleName", Value: r.Name}, {Name: "RoleId", Value: r.ID},
		{Name: "Arn", Value: r.ARN}, {Name: "CreateDate", Value: r.CreateDate},
		{Name: "AssumeRolePolicyDocument", Value: policyDoc(r.TrustPolicy)},
	}
	if r.Description != "" {
		f = append(f, awsproto.Field{Name: "Description", Value: r.Description})
	}
	f = append(f, awsproto.Field{Name: "MaxSessionDuration", Value: r.MaxSessionDuration})
	if view == roleListed {
		return f
	}
	if r.Boundary != "" {
		f = append(f, awsproto.Field{Name: "PermissionsBoundary", Value: boundaryFields(r.Boundary)})
	}
	if len(r.Tags) > 0 {
		f = append(f, awsproto.Field{Name: "Tags", Value: tagFields(r.Tags)})
	}
	if view == roleFull {
		f = append(f, awsproto.Field{Name: "RoleLastUsed", Value: roleLastUsed(r)})
	}
	return f
}

// roleLastUsed renders RoleLastUsed: an empty structure for a role never
// assumed, as AWS answers.
func roleLastUsed(r *iam.Role) awsproto.Fields {
	if r.LastUsed.IsZero() {
		return awsproto.Fields{}
	}
	return awsproto.Fields{{Name: "LastUsedDate", Value: r.LastUsed}, {Name: "Region", Value: r.LastUsedIn}}
}

// tagListOf renders tags as a Tags list that is written even when empty.
func tagListOf(tags []iam.Tag) []awsproto.Fields {
	if l := tagFields(tags); l != nil {
		return l
	}
	return []awsproto.Fields{}
}
