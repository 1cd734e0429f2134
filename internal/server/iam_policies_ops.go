package server

import (
	"batchd/internal/awsproto"
	"batchd/internal/iam"
)

// policyResource is the PolicyArn parameter, the resource of the policy
// operations.
func policyResource(c *Call) []string { return one(c.Str("PolicyArn")) }

// policyResourceTags is aws:ResourceTag/K for each tag of the PolicyArn
// parameter's policy, which the policy resource type supports (Service
// Authorization Reference, IAM: resource type policy). A policy that does
// not exist, or has no tags, sets none.
func policyResourceTags(c *Call) map[string][]string {
	tags, _, _, err := c.srv.cfg.IAM.ListPolicyTags(c.Ctx, c.Str("PolicyArn"), iam.Page{MaxItems: 1000})
	if err != nil {
		c.lookupFailed(err)
		return nil
	}
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string][]string, len(tags))
	for _, t := range tags {
		m["aws:ResourceTag/"+t.Key] = []string{t.Value}
	}
	return m
}

// managedPolicyResult renders IAM's Policy structure. ListPolicies returns
// neither Description nor Tags (IAM API Reference, Policy data type and
// ListPolicies); GetPolicy and CreatePolicy return both when set.
func managedPolicyResult(p *iam.PolicyInfo, full bool) awsproto.Fields {
	f := awsproto.Fields{
		{Name: "PolicyName", Value: p.Name}, {Name: "PolicyId", Value: p.ID}, {Name: "Arn", Value: p.ARN},
		{Name: "Path", Value: p.Path}, {Name: "DefaultVersionId", Value: p.DefaultVersion},
		{Name: "AttachmentCount", Value: p.AttachmentCount},
		{Name: "PermissionsBoundaryUsageCount", Value: p.PermissionsBoundaryUsageCount},
		{Name: "IsAttachable", Value: p.IsAttachable},
	}
	if full && p.Description != "" {
		f = append(f, awsproto.Field{Name: "Description", Value: p.Description})
	}
	f = append(f, awsproto.Field{Name: "CreateDate", Value: p.CreateDate}, awsproto.Field{Name: "UpdateDate", Value: p.UpdateDate})
	if full && len(p.Tags) > 0 {
		f = append(f, awsproto.Field{Name: "Tags", Value: tagFields(p.Tags)})
	}
	return f
}

// policyVersionResult renders IAM's PolicyVersion structure. Only
// GetPolicyVersion returns the document (URL-encoded); CreatePolicyVersion
// and ListPolicyVersions do not.
func policyVersionResult(v *iam.PolicyVersionInfo, withDocument bool) awsproto.Fields {
	f := awsproto.Fields{}
	if withDocument {
		f = append(f, awsproto.Field{Name: "Document", Value: policyDoc(v.Document)})
	}
	return append(f, awsproto.Field{Name: "VersionId", Value: v.ID},
		awsproto.Field{Name: "IsDefaultVersion", Value: v.IsDefaultVersion},
		awsproto.Field{Name: "CreateDate", Value: v.CreateDate})
}

// policyEntityList renders one of ListEntitiesForPolicy's lists.
func policyEntityList(kind string, es []iam.PolicyEntity) []awsproto.Fields {
	out := []awsproto.Fields{}
	for _, e := range es {
		out = append(out, awsproto.Fields{{Name: kind + "Name", Value: e.Name}, {Name: kind + "Id", Value: e.ID}})
	}
	return out
}

// policyOps is IAM's operation table for customer managed policies and their versions.
var policyOps = map[string]queryOp{
	"CreatePolicy": {
		Action:    "iam:CreatePolicy",
		Resources: func(c *Call) []string { return one(c.iamARN("policy" + pathOr(c.Str("Path")) + c.Str("PolicyName"))) },
		Keys:      func(c *Call) map[string][]string { return tagKeys(c.Tags("Tags")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			tags := c.Tags("Tags")
			if len(tags) > 0 {
				// Tagging on create also needs iam:TagPolicy (Service
				// Authorization Reference: CreatePolicy's dependent action).
				if err := c.Authorize("iam:TagPolicy", c.iamARN("policy"+pathOr(c.Str("Path"))+c.Str("PolicyName")), tagKeys(tags)); err != nil {
					return nil, err
				}
			}
			mp, err := c.srv.cfg.IAM.CreatePolicy(c.Ctx, iam.CreatePolicyInput{
				Name: c.Str("PolicyName"), Path: c.Str("Path"), Description: c.Str("Description"),
				Document: c.Str("PolicyDocument"), Tags: tags,
			})
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "Policy", Value: managedPolicyResult(&iam.PolicyInfo{ManagedPolicy: mp}, true)}}, nil
		},
	},
	"GetPolicy": {
		Action:    "iam:GetPolicy",
		Resources: policyResource,
		Keys:      policyResourceTags,
		Handle: func(c *Call) (awsproto.Fields, error) {
			p, err := c.srv.cfg.IAM.GetPolicy(c.Ctx, c.Str("PolicyArn"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "Policy", Value: managedPolicyResult(p, true)}}, nil
		},
	},
	"ListPolicies": {
		Action: "iam:ListPolicies",
		Handle: func(c *Call) (awsproto.Fields, error) {
			onlyAttached, _ := c.Bool("OnlyAttached")
			policies, marker, truncated, err := c.srv.cfg.IAM.ListPolicies(c.Ctx, iam.ListPoliciesInput{
				Scope: c.Str("Scope"), OnlyAttached: onlyAttached, PathPrefix: c.Str("PathPrefix"),
				PolicyUsageFilter: c.Str("PolicyUsageFilter"), Page: c.page(),
			})
			if err != nil {
				return nil, err
			}
			list := []awsproto.Fields{}
			for _, p := range policies {
				list = append(list, managedPolicyResult(p, false))
			}
			return append(awsproto.Fields{{Name: "Policies", Value: list}}, pageFields(marker, truncated)...), nil
		},
	},
	"DeletePolicy": {
		Action:    "iam:DeletePolicy",
		Resources: policyResource,
		Keys:      policyResourceTags,
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeletePolicy(c.Ctx, c.Str("PolicyArn"))
		},
	},
	"CreatePolicyVersion": {
		Action:    "iam:CreatePolicyVersion",
		Resources: policyResource,
		Keys:      policyResourceTags,
		Handle: func(c *Call) (awsproto.Fields, error) {
			setDefault, _ := c.Bool("SetAsDefault")
			v, err := c.srv.cfg.IAM.CreatePolicyVersion(c.Ctx, c.Str("PolicyArn"), c.Str("PolicyDocument"), setDefault)
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "PolicyVersion", Value: policyVersionResult(v, false)}}, nil
		},
	},
	"GetPolicyVersion": {
		Action:    "iam:GetPolicyVersion",
		Resources: policyResource,
		Keys:      policyResourceTags,
		Handle: func(c *Call) (awsproto.Fields, error) {
			v, err := c.srv.cfg.IAM.GetPolicyVersion(c.Ctx, c.Str("PolicyArn"), c.Str("VersionId"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "PolicyVersion", Value: policyVersionResult(v, true)}}, nil
		},
	},
	"ListPolicyVersions": {
		Action:    "iam:ListPolicyVersions",
		Resources: policyResource,
		Keys:      policyResourceTags,
		Handle: func(c *Call) (awsproto.Fields, error) {
			versions, marker, truncated, err := c.srv.cfg.IAM.ListPolicyVersions(c.Ctx, c.Str("PolicyArn"), c.page())
			if err != nil {
				return nil, err
			}
			list := []awsproto.Fields{}
			for _, v := range versions {
				list = append(list, policyVersionResult(v, false))
			}
			return append(awsproto.Fields{{Name: "Versions", Value: list}}, pageFields(marker, truncated)...), nil
		},
	},
	"DeletePolicyVersion": {
		Action:    "iam:DeletePolicyVersion",
		Resources: policyResource,
		Keys:      policyResourceTags,
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeletePolicyVersion(c.Ctx, c.Str("PolicyArn"), c.Str("VersionId"))
		},
	},
	"SetDefaultPolicyVersion": {
		Action:    "iam:SetDefaultPolicyVersion",
		Resources: policyResource,
		Keys:      policyResourceTags,
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.SetDefaultPolicyVersion(c.Ctx, c.Str("PolicyArn"), c.Str("VersionId"))
		},
	},
	"TagPolicy": {
		Action:    "iam:TagPolicy",
		Resources: policyResource,
		Keys: func(c *Call) map[string][]string {
			return withKeys(policyResourceTags(c), tagKeys(c.Tags("Tags")))
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.TagPolicy(c.Ctx, c.Str("PolicyArn"), c.Tags("Tags"))
		},
	},
	"UntagPolicy": {
		Action:    "iam:UntagPolicy",
		Resources: policyResource,
		Keys: func(c *Call) map[string][]string {
			return withKeys(policyResourceTags(c), map[string][]string{"aws:TagKeys": c.List("TagKeys")})
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.UntagPolicy(c.Ctx, c.Str("PolicyArn"), c.List("TagKeys"))
		},
	},
	"ListPolicyTags": {
		Action:    "iam:ListPolicyTags",
		Resources: policyResource,
		Keys:      policyResourceTags,
		Handle: func(c *Call) (awsproto.Fields, error) {
			tags, marker, truncated, err := c.srv.cfg.IAM.ListPolicyTags(c.Ctx, c.Str("PolicyArn"), c.page())
			if err != nil {
				return nil, err
			}
			list := tagFields(tags)
			if list == nil {
				list = []awsproto.Fields{}
			}
			return append(awsproto.Fields{{Name: "Tags", Value: list}}, pageFields(marker, truncated)...), nil
		},
	},
	"ListEntitiesForPolicy": {
		Action:    "iam:ListEntitiesForPolicy",
		Resources: policyResource,
		Keys:      policyResourceTags,
		Handle: func(c *Call) (awsproto.Fields, error) {
			e, err := c.srv.cfg.IAM.ListEntitiesForPolicy(c.Ctx, c.Str("PolicyArn"), c.Str("EntityFilter"), c.Str("PathPrefix"), c.Str("PolicyUsageFilter"), c.page())
			if err != nil {
				return nil, err
			}
			f := awsproto.Fields{
				{Name: "PolicyGroups", Value: policyEntityList("Group", e.Groups)},
				{Name: "PolicyUsers", Value: policyEntityList("User", e.Users)},
				{Name: "PolicyRoles", Value: policyEntityList("Role", e.Roles)},
			}
			return append(f, pageFields(e.Marker, e.Truncated)...), nil
		},
	},
}
