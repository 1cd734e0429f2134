package server

import (
	"maps"
	"slices"
	"strings"

	"batchd/internal/awsproto"
	"batchd/internal/iam"
)

// accountOps is IAM's operation table for the account, authorization
// details and the policy simulator. SimulatePrincipalPolicy and
// GetContextKeysForPrincipalPolicy are authorized on the user, group or
// role whose policies they read (PolicySourceArn, as the Service
// Authorization Reference lists those resource types); the others have no
// resource-level permission. Policy documents are URL-encoded
// (policyDoc).
var accountOps = map[string]queryOp{
	"GetAccountSummary": {
		Action: "iam:GetAccountSummary",
		Handle: func(c *Call) (awsproto.Fields, error) {
			m, err := c.srv.cfg.IAM.GetAccountSummary(c.Ctx)
			if err != nil {
				return nil, err
			}
			entries := awsproto.Entries{}
			for _, k := range slices.Sorted(maps.Keys(m)) {
				entries = append(entries, awsproto.Field{Name: k, Value: m[k]})
			}
			return awsproto.Fields{{Name: "SummaryMap", Value: entries}}, nil
		},
	},
	"GetAccountAuthorizationDetails": {
		Action: "iam:GetAccountAuthorizationDetails",
		Handle: func(c *Call) (awsproto.Fields, error) {
			d, err := c.srv.cfg.IAM.GetAccountAuthorizationDetails(c.Ctx, c.List("Filter"), c.page())
			if err != nil {
				return nil, err
			}
			users, groups, roles, policies := []awsproto.Fields{}, []awsproto.Fields{}, []awsproto.Fields{}, []awsproto.Fields{}
			for _, u := range d.Users {
				users = append(users, detailUserFields(u))
			}
			for _, g := range d.Groups {
				groups = append(groups, detailGroupFields(g))
			}
			for _, r := range d.Roles {
				roles = append(roles, detailRoleFields(r))
			}
			for _, p := range d.Policies {
				policies = append(policies, detailPolicyFields(p))
			}
			return append(awsproto.Fields{
				{Name: "UserDetailList", Value: users}, {Name: "GroupDetailList", Value: groups},
				{Name: "RoleDetailList", Value: roles}, {Name: "Policies", Value: policies},
			}, pageFields(d.Marker, d.Truncated)...), nil
		},
	},
	"SimulatePrincipalPolicy": {
		Action:    "iam:SimulatePrincipalPolicy",
		Resources: func(c *Call) []string { return one(c.Str("PolicySourceArn")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			in := c.simulateInput()
			in.PolicySourceARN = c.Str("PolicySourceArn")
			out, err := c.srv.cfg.IAM.SimulatePrincipalPolicy(c.Ctx, in)
			if err != nil {
				return nil, err
			}
			return simulateFields(out), nil
		},
	},
	"SimulateCustomPolicy": {
		Action: "iam:SimulateCustomPolicy",
		Handle: func(c *Call) (awsproto.Fields, error) {
			out, err := c.srv.cfg.IAM.SimulateCustomPolicy(c.Ctx, c.simulateInput())
			if err != nil {
				return nil, err
			}
			return simulateFields(out), nil
		},
	},
	"GetContextKeysForPrincipalPolicy": {
		Action:    "iam:GetContextKeysForPrincipalPolicy",
		Resources: func(c *Call) []string { return one(c.Str("PolicySourceArn")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			keys, err := c.srv.cfg.IAM.GetContextKeysForPrincipalPolicy(c.Ctx, c.Str("PolicySourceArn"), c.List("PolicyInputList"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "ContextKeyNames", Value: keys}}, nil
		},
	},
	"GetContextKeysForCustomPolicy": {
		Action: "iam:GetContextKeysForCustomPolicy",
		Handle: func(c *Call) (awsproto.Fields, error) {
			keys, err := c.srv.cfg.IAM.GetContextKeysForCustomPolicy(c.List("PolicyInputList"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "ContextKeyNames", Value: keys}}, nil
		},
	},
}

// simulateInput reads the parameters SimulatePrincipalPolicy and
// SimulateCustomPolicy share. ResourceHandlingOption names EC2 scenarios,
// which batchd does not simulate; it is accepted and ignored.
func (c *Call) simulateInput() iam.SimulateInput {
	in := iam.SimulateInput{
		PolicyInputList:                    c.List("PolicyInputList"),
		PermissionsBoundaryPolicyInputList: c.List("PermissionsBoundaryPolicyInputList"),
		ActionNames:                        c.List("ActionNames"),
		ResourceARNs:                       c.List("ResourceArns"),
		ResourcePolicy:                     c.Str("ResourcePolicy"),
		ResourceOwner:                      c.Str("ResourceOwner"),
		CallerARN:                          c.Str("CallerArn"),
		Page:                               c.page(),
	}
	// ContextEntries.member.N.{ContextKeyName, ContextKeyValues.member.M,
	// ContextKeyType}.
	for _, e := range c.Structs("ContextEntries") {
		name, _ := e.String("ContextKeyName")
		typ, _ := e.String("ContextKeyType")
		values, err := e.StringList("ContextKeyValues")
		if err != nil && c.paramErr == nil {
			c.paramErr = err
		}
		in.ContextEntries = append(in.ContextEntries, iam.ContextEntry{Key: name, Values: values, Type: typ})
	}
	return in
}

// simulateFields renders a SimulatePolicyResponse.
func simulateFields(out *iam.SimulateOutput) awsproto.Fields {
	results := []awsproto.Fields{}
	for _, r := range out.Results {
		f := awsproto.Fields{
			{Name: "EvalActionName", Value: r.ActionName}, {Name: "EvalResourceName", Value: r.ResourceName},
			{Name: "EvalDecision", Value: r.Decision}, {Name: "MatchedStatements", Value: simStatements(r.MatchedStatements)},
			{Name: "MissingContextValues", Value: strsOrEmpty(r.MissingContextValues)},
		}
		if b := r.PermissionsBoundaryDecisionDetail; b != nil {
			f = append(f, awsproto.Field{Name: "PermissionsBoundaryDecisionDetail", Value: simBoundaryDecision(b)})
		}
		if r.ResourceSpecificResults != nil {
			// For named resources of the caller's own account AWS sends
			// EvalDecisionDetails present and empty; for "*" it leaves it
			// out (IAM API Reference, EvaluationResult).
			f = append(f, awsproto.Field{Name: "EvalDecisionDetails", Value: awsproto.Entries{}})
			specific := []awsproto.Fields{}
			for _, rr := range r.ResourceSpecificResults {
				s := awsproto.Fields{
					{Name: "EvalResourceName", Value: rr.ResourceName}, {Name: "EvalResourceDecision", Value: rr.Decision},
					{Name: "MatchedStatements", Value: simStatements(rr.MatchedStatements)},
					{Name: "MissingContextValues", Value: strsOrEmpty(rr.MissingContextValues)},
					{Name: "EvalDecisionDetails", Value: awsproto.Entries{}},
				}
				if b := rr.PermissionsBoundaryDecisionDetail; b != nil {
					s = append(s, awsproto.Field{Name: "PermissionsBoundaryDecisionDetail", Value: simBoundaryDecision(b)})
				}
				specific = append(specific, s)
			}
			f = append(f, awsproto.Field{Name: "ResourceSpecificResults", Value: specific})
		}
		results = append(results, f)
	}
	return append(awsproto.Fields{{Name: "EvaluationResults", Value: results}}, pageFields(out.Marker, out.Truncated)...)
}

func simStatements(list []iam.MatchedStatement) []awsproto.Fields {
	out := []awsproto.Fields{}
	for _, m := range list {
		out = append(out, awsproto.Fields{
			{Name: "SourcePolicyId", Value: m.SourcePolicyID}, {Name: "SourcePolicyType", Value: m.SourcePolicyType},
			{Name: "StartPosition", Value: simPosition(m.StartPosition)}, {Name: "EndPosition", Value: simPosition(m.EndPosition)},
		})
	}
	return out
}

func simPosition(p iam.Position) awsproto.Fields {
	return awsproto.Fields{{Name: "Line", Value: p.Line}, {Name: "Column", Value: p.Column}}
}

func simBoundaryDecision(b *iam.BoundaryDecision) awsproto.Fields {
	return awsproto.Fields{{Name: "AllowedByPermissionsBoundary", Value: b.AllowedByPermissionsBoundary}}
}

func strsOrEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// acctPolicyName is the name in a managed policy ARN (its last segment).
func acctPolicyName(arn string) string {
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

// acctAttachedPolicies renders AttachedManagedPolicies.
func acctAttachedPolicies(arns []string) []awsproto.Fields {
	out := []awsproto.Fields{}
	for _, a := range arns {
		out = append(out, awsproto.Fields{{Name: "PolicyName", Value: acctPolicyName(a)}, {Name: "PolicyArn", Value: a}})
	}
	return out
}

// acctInlinePolicies renders a PolicyDetail list, by policy name, documents
// URL-encoded.
func acctInlinePolicies(docs map[string]string) []awsproto.Fields {
	out := []awsproto.Fields{}
	for _, n := range slices.Sorted(maps.Keys(docs)) {
		out = append(out, awsproto.Fields{{Name: "PolicyName", Value: n}, {Name: "PolicyDocument", Value: policyDoc(docs[n])}})
	}
	return out
}

// detailUserFields renders a UserDetail.
func detailUserFields(u *iam.User) awsproto.Fields {
	f := awsproto.Fields{
		{Name: "Path", Value: u.Path}, {Name: "UserName", Value: u.Name}, {Name: "UserId", Value: u.ID},
		{Name: "Arn", Value: u.ARN}, {Name: "CreateDate", Value: u.CreateDate},
		{Name: "UserPolicyList", Value: acctInlinePolicies(u.InlinePolicies)},
		{Name: "GroupList", Value: strsOrEmpty(u.Groups)},
		{Name: "AttachedManagedPolicies", Value: acctAttachedPolicies(u.AttachedPolicies)},
	}
	if u.Boundary != "" {
		f = append(f, awsproto.Field{Name: "PermissionsBoundary", Value: boundaryFields(u.Boundary)})
	}
	return append(f, awsproto.Field{Name: "Tags", Value: tagListOf(u.Tags)})
}

// detailGroupFields renders a GroupDetail.
func detailGroupFields(g *iam.Group) awsproto.Fields {
	return awsproto.Fields{
		{Name: "Path", Value: g.Path}, {Name: "GroupName", Value: g.Name}, {Name: "GroupId", Value: g.ID},
		{Name: "Arn", Value: g.ARN}, {Name: "CreateDate", Value: g.CreateDate},
		{Name: "GroupPolicyList", Value: acctInlinePolicies(g.InlinePolicies)},
		{Name: "AttachedManagedPolicies", Value: acctAttachedPolicies(g.AttachedPolicies)},
	}
}

// detailRoleFields renders a RoleDetail.
func detailRoleFields(d *iam.RoleDetail) awsproto.Fields {
	r := d.Role
	profiles := []awsproto.Fields{}
	for _, p := range d.InstanceProfiles {
		profiles = append(profiles, profileFields(p, true))
	}
	f := awsproto.Fields{
		{Name: "Path", Value: r.Path}, {Name: "RoleName", Value: r.Name}, {Name: "RoleId", Value: r.ID},
		{Name: "Arn", Value: r.ARN}, {Name: "CreateDate", Value: r.CreateDate},
		{Name: "AssumeRolePolicyDocument", Value: policyDoc(r.TrustPolicy)},
		{Name: "InstanceProfileList", Value: profiles},
		{Name: "RolePolicyList", Value: acctInlinePolicies(r.InlinePolicies)},
		{Name: "AttachedManagedPolicies", Value: acctAttachedPolicies(r.AttachedPolicies)},
	}
	if r.Boundary != "" {
		f = append(f, awsproto.Field{Name: "PermissionsBoundary", Value: boundaryFields(r.Boundary)})
	}
	return append(f, awsproto.Field{Name: "Tags", Value: tagListOf(r.Tags)}, awsproto.Field{Name: "RoleLastUsed", Value: roleLastUsed(r)})
}

// detailPolicyFields renders a ManagedPolicyDetail with every version.
func detailPolicyFields(p *iam.ManagedPolicyDetail) awsproto.Fields {
	versions := []awsproto.Fields{}
	for _, v := range p.Versions {
		versions = append(versions, awsproto.Fields{
			{Name: "Document", Value: policyDoc(v.Document)}, {Name: "VersionId", Value: v.ID},
			{Name: "IsDefaultVersion", Value: v.ID == p.DefaultVersion}, {Name: "CreateDate", Value: v.CreateDate},
		})
	}
	f := awsproto.Fields{
		{Name: "PolicyName", Value: p.Name}, {Name: "PolicyId", Value: p.ID}, {Name: "Arn", Value: p.ARN},
		{Name: "Path", Value: p.Path}, {Name: "DefaultVersionId", Value: p.DefaultVersion},
		{Name: "AttachmentCount", Value: p.AttachmentCount}, {Name: "PermissionsBoundaryUsageCount", Value: p.PermissionsBoundaryUsageCount},
		{Name: "IsAttachable", Value: p.IsAttachable},
	}
	if p.Description != "" {
		f = append(f, awsproto.Field{Name: "Description", Value: p.Description})
	}
	return append(f, awsproto.Field{Name: "CreateDate", Value: p.CreateDate}, awsproto.Field{Name: "UpdateDate", Value: p.UpdateDate},
		awsproto.Field{Name: "PolicyVersionList", Value: versions})
}
