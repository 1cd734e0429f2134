package server

import (
	"maps"
	"strings"

	"batchd/internal/awsproto"
	"batchd/internal/iam"
	"batchd/internal/iam/policy"
)

const iamXMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"

// iamOps is IAM's operation table (IAM API Reference 2010-05-08; actions,
// resources and condition keys from the Service Authorization Reference,
// "Actions, resources, and condition keys for AWS Identity and Access
// Management"). It is assembled from the tables of each entity's file.
var iamOps = queryTable(mergeOps(userOps, accessKeyOps, groupOps, policyOps, roleOps, profileOps, loginOps, accountOps))

func mergeOps(tables ...map[string]queryOp) map[string]queryOp {
	out := map[string]queryOp{}
	for _, t := range tables {
		maps.Copy(out, t)
	}
	return out
}

// userARN is the ARN of the named user as stored (with its path), or with
// the default path when the user does not exist (the handler then reports
// NoSuchEntity once authorization has passed).
func (c *Call) userARN(name string) string {
	u, err := c.srv.cfg.IAM.GetUser(c.Ctx, name)
	if err == nil {
		return u.ARN
	}
	c.lookupFailed(err)
	return c.iamARN("user/" + name)
}

func (c *Call) iamARN(resource string) string {
	s := c.srv.cfg.IAM
	return "arn:" + s.Partition() + ":iam::" + s.AccountID() + ":" + resource
}

// targetUser is the UserName parameter, or the caller's own user when it is
// absent ("" for the root), as IAM's user-scoped operations behave.
func (c *Call) targetUser() string {
	if n := c.Str("UserName"); n != "" {
		return n
	}
	return c.Principal.UserName
}

// targetUserARN is the ARN of targetUser: the caller's own ARN when the
// caller is the root.
func (c *Call) targetUserARN() string {
	if n := c.targetUser(); n != "" {
		return c.userARN(n)
	}
	return c.Principal.ARN
}

func one(s string) []string { return []string{s} }

func userFields(u *iam.User) awsproto.Fields {
	f := awsproto.Fields{
		{Name: "Path", Value: u.Path}, {Name: "UserName", Value: u.Name}, {Name: "UserId", Value: u.ID},
		{Name: "Arn", Value: u.ARN}, {Name: "CreateDate", Value: u.CreateDate},
	}
	if u.Boundary != "" {
		f = append(f, awsproto.Field{Name: "PermissionsBoundary", Value: boundaryFields(u.Boundary)})
	}
	if len(u.Tags) > 0 {
		f = append(f, awsproto.Field{Name: "Tags", Value: tagFields(u.Tags)})
	}
	return f
}

func boundaryFields(arn string) awsproto.Fields {
	return awsproto.Fields{{Name: "PermissionsBoundaryType", Value: "PermissionsBoundaryPolicy"}, {Name: "PermissionsBoundaryArn", Value: arn}}
}

// page reads Marker and MaxItems.
func (c *Call) page() iam.Page {
	p := iam.Page{Marker: c.Str("Marker")}
	if n, ok := c.Int("MaxItems"); ok {
		p.MaxItems = int(n)
	}
	return p
}

// pageFields renders IsTruncated and Marker.
func pageFields(marker string, truncated bool) awsproto.Fields {
	f := awsproto.Fields{{Name: "IsTruncated", Value: truncated}}
	if truncated {
		f = append(f, awsproto.Field{Name: "Marker", Value: marker})
	}
	return f
}

// policyDoc URL-encodes a policy document as IAM returns it ("URL-encoded
// compliant with RFC 3986", IAM API Reference, Role): every byte but the
// unreserved characters becomes %XX, a space %20 and a plus %2B. Both the
// AWS CLI (Python's unquote, then json.loads) and Go's url.QueryUnescape
// read that back unchanged; a form encoding's "+" for a space would leave
// the CLI a document it cannot parse.
func policyDoc(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		switch c := doc[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// boundaryKey is iam:PermissionsBoundary for operations that set one.
func boundaryKey(arn string) map[string][]string {
	if arn == "" {
		return nil
	}
	return map[string][]string{"iam:PermissionsBoundary": {arn}}
}

func withKeys(ms ...map[string][]string) map[string][]string {
	out := map[string][]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}

var userOps = map[string]queryOp{
	"CreateUser": {
		Action:    "iam:CreateUser",
		Resources: func(c *Call) []string { return one(c.iamARN("user" + pathOr(c.Str("Path")) + c.Str("UserName"))) },
		Keys: func(c *Call) map[string][]string {
			return withKeys(tagKeys(c.Tags("Tags")), boundaryKey(c.Str("PermissionsBoundary")))
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			tags := c.Tags("Tags")
			if len(tags) > 0 {
				// Tagging on create also needs iam:TagUser (IAM User Guide,
				// "Permissions required for tagging").
				if err := c.Authorize("iam:TagUser", c.iamARN("user"+pathOr(c.Str("Path"))+c.Str("UserName")), tagKeys(tags)); err != nil {
					return nil, err
				}
			}
			u, err := c.srv.cfg.IAM.CreateUser(c.Ctx, iam.CreateUserInput{Name: c.Str("UserName"), Path: c.Str("Path"), Boundary: c.Str("PermissionsBoundary"), Tags: tags})
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "User", Value: userFields(u)}}, nil
		},
	},
	"GetUser": {
		Action:    "iam:GetUser",
		Resources: func(c *Call) []string { return one(c.targetUserARN()) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			name := c.targetUser()
			if name == "" { // the root asking about itself
				p := c.Principal
				return awsproto.Fields{{Name: "User", Value: awsproto.Fields{
					{Name: "UserId", Value: p.Account}, {Name: "Arn", Value: p.ARN}, {Name: "CreateDate", Value: c.srv.cfg.IAM.Now()},
				}}}, nil
			}
			u, err := c.srv.cfg.IAM.GetUser(c.Ctx, name)
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "User", Value: userFields(u)}}, nil
		},
	},
	"ListUsers": {
		Action: "iam:ListUsers",
		Handle: func(c *Call) (awsproto.Fields, error) {
			users, marker, truncated, err := c.srv.cfg.IAM.ListUsers(c.Ctx, c.Str("PathPrefix"), c.page())
			if err != nil {
				return nil, err
			}
			list := []awsproto.Fields{}
			for _, u := range users {
				list = append(list, userFields(u))
			}
			return append(awsproto.Fields{{Name: "Users", Value: list}}, pageFields(marker, truncated)...), nil
		},
	},
	"UpdateUser": {
		Action:    "iam:UpdateUser",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.UpdateUser(c.Ctx, c.Str("UserName"), c.Str("NewUserName"), c.Str("NewPath"))
		},
	},
	"DeleteUser": {
		Action:    "iam:DeleteUser",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeleteUser(c.Ctx, c.Str("UserName"))
		},
	},
	"TagUser": {
		Action:    "iam:TagUser",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Keys:      func(c *Call) map[string][]string { return tagKeys(c.Tags("Tags")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.TagUser(c.Ctx, c.Str("UserName"), c.Tags("Tags"))
		},
	},
	"UntagUser": {
		Action:    "iam:UntagUser",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Keys: func(c *Call) map[string][]string {
			return map[string][]string{"aws:TagKeys": c.List("TagKeys")}
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.UntagUser(c.Ctx, c.Str("UserName"), c.List("TagKeys"))
		},
	},
	"ListUserTags": {
		Action:    "iam:ListUserTags",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			u, err := c.srv.cfg.IAM.GetUser(c.Ctx, c.Str("UserName"))
			if err != nil {
				return nil, err
			}
			return tagPage(c, u.Tags)
		},
	},
	"PutUserPolicy": {
		Action:    "iam:PutUserPolicy",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.PutUserPolicy(c.Ctx, c.Str("UserName"), c.Str("PolicyName"), c.Str("PolicyDocument"))
		},
	},
	"GetUserPolicy": {
		Action:    "iam:GetUserPolicy",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			doc, err := c.srv.cfg.IAM.GetUserPolicy(c.Ctx, c.Str("UserName"), c.Str("PolicyName"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "UserName", Value: c.Str("UserName")}, {Name: "PolicyName", Value: c.Str("PolicyName")}, {Name: "PolicyDocument", Value: policyDoc(doc)}}, nil
		},
	},
	"ListUserPolicies": {
		Action:    "iam:ListUserPolicies",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			names, err := c.srv.cfg.IAM.ListUserPolicies(c.Ctx, c.Str("UserName"))
			if err != nil {
				return nil, err
			}
			return namePage(c, "PolicyNames", names)
		},
	},
	"DeleteUserPolicy": {
		Action:    "iam:DeleteUserPolicy",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeleteUserPolicy(c.Ctx, c.Str("UserName"), c.Str("PolicyName"))
		},
	},
	"AttachUserPolicy": {
		Action:    "iam:AttachUserPolicy",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Keys:      func(c *Call) map[string][]string { return map[string][]string{"iam:PolicyARN": {c.Str("PolicyArn")}} },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.AttachUserPolicy(c.Ctx, c.Str("UserName"), c.Str("PolicyArn"))
		},
	},
	"DetachUserPolicy": {
		Action:    "iam:DetachUserPolicy",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Keys:      func(c *Call) map[string][]string { return map[string][]string{"iam:PolicyARN": {c.Str("PolicyArn")}} },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DetachUserPolicy(c.Ctx, c.Str("UserName"), c.Str("PolicyArn"))
		},
	},
	"ListAttachedUserPolicies": {
		Action:    "iam:ListAttachedUserPolicies",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			list, err := c.srv.cfg.IAM.ListAttachedUserPolicies(c.Ctx, c.Str("UserName"), c.Str("PathPrefix"))
			if err != nil {
				return nil, err
			}
			return attachedPage(c, list)
		},
	},
	"PutUserPermissionsBoundary": {
		Action:    "iam:PutUserPermissionsBoundary",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Keys:      func(c *Call) map[string][]string { return boundaryKey(c.Str("PermissionsBoundary")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.PutUserPermissionsBoundary(c.Ctx, c.Str("UserName"), c.Str("PermissionsBoundary"))
		},
	},
	"DeleteUserPermissionsBoundary": {
		Action:    "iam:DeleteUserPermissionsBoundary",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeleteUserPermissionsBoundary(c.Ctx, c.Str("UserName"))
		},
	},
}

// tagPage renders a ListXTags answer (all tags fit one page: at most 50).
func tagPage(c *Call, tags []iam.Tag) (awsproto.Fields, error) {
	list := tagFields(tags)
	if list == nil {
		list = []awsproto.Fields{}
	}
	return awsproto.Fields{{Name: "Tags", Value: list}, {Name: "IsTruncated", Value: false}}, nil
}

// namePage renders a paginated list of names.
func namePage(c *Call, field string, names []string) (awsproto.Fields, error) {
	page, marker, truncated, err := iam.Paginate(names, c.page())
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []string{}
	}
	return append(awsproto.Fields{{Name: field, Value: page}}, pageFields(marker, truncated)...), nil
}

// attachedPage renders AttachedPolicies.
func attachedPage(c *Call, list []iam.AttachedPolicy) (awsproto.Fields, error) {
	page, marker, truncated, err := iam.Paginate(list, c.page())
	if err != nil {
		return nil, err
	}
	out := []awsproto.Fields{}
	for _, a := range page {
		out = append(out, awsproto.Fields{{Name: "PolicyName", Value: a.Name}, {Name: "PolicyArn", Value: a.ARN}})
	}
	return append(awsproto.Fields{{Name: "AttachedPolicies", Value: out}}, pageFields(marker, truncated)...), nil
}

var accessKeyOps = map[string]queryOp{
	"CreateAccessKey": {
		Action:    "iam:CreateAccessKey",
		Resources: func(c *Call) []string { return one(c.targetUserARN()) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			k, secret, err := c.srv.cfg.IAM.CreateAccessKey(c.Ctx, c.targetUser())
			if err != nil {
				return nil, err
			}
			f := awsproto.Fields{}
			if k.User != "" {
				f = append(f, awsproto.Field{Name: "UserName", Value: k.User})
			}
			f = append(f, awsproto.Field{Name: "AccessKeyId", Value: k.ID}, awsproto.Field{Name: "Status", Value: k.Status},
				awsproto.Field{Name: "SecretAccessKey", Value: secret}, awsproto.Field{Name: "CreateDate", Value: k.CreateDate})
			return awsproto.Fields{{Name: "AccessKey", Value: f}}, nil
		},
	},
	"ListAccessKeys": {
		Action:    "iam:ListAccessKeys",
		Resources: func(c *Call) []string { return one(c.targetUserARN()) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			keys, err := c.srv.cfg.IAM.ListAccessKeys(c.Ctx, c.targetUser())
			if err != nil {
				return nil, err
			}
			page, marker, truncated, err := iam.Paginate(keys, c.page())
			if err != nil {
				return nil, err
			}
			list := []awsproto.Fields{}
			for _, k := range page {
				f := awsproto.Fields{}
				if k.User != "" {
					f = append(f, awsproto.Field{Name: "UserName", Value: k.User})
				}
				list = append(list, append(f, awsproto.Field{Name: "AccessKeyId", Value: k.ID}, awsproto.Field{Name: "Status", Value: k.Status}, awsproto.Field{Name: "CreateDate", Value: k.CreateDate}))
			}
			return append(awsproto.Fields{{Name: "AccessKeyMetadata", Value: list}}, pageFields(marker, truncated)...), nil
		},
	},
	"UpdateAccessKey": {
		Action:    "iam:UpdateAccessKey",
		Resources: func(c *Call) []string { return one(c.targetUserARN()) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.UpdateAccessKey(c.Ctx, c.targetUser(), c.Str("AccessKeyId"), c.Str("Status"))
		},
	},
	"DeleteAccessKey": {
		Action:    "iam:DeleteAccessKey",
		Resources: func(c *Call) []string { return one(c.targetUserARN()) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeleteAccessKey(c.Ctx, c.targetUser(), c.Str("AccessKeyId"))
		},
	},
	"GetAccessKeyLastUsed": {
		Action: "iam:GetAccessKeyLastUsed",
		Resources: func(c *Call) []string {
			owner, ok, err := c.srv.cfg.IAM.KeyOwner(c.Ctx, c.Str("AccessKeyId"))
			if err != nil {
				c.lookupFailed(err)
			}
			if ok && owner != "" {
				return one(c.userARN(owner))
			}
			return one(c.srv.cfg.IAM.RootARN())
		},
		Handle: func(c *Call) (awsproto.Fields, error) {
			k, err := c.srv.cfg.IAM.GetAccessKeyLastUsed(c.Ctx, c.Str("AccessKeyId"))
			if err != nil {
				return nil, err
			}
			last := awsproto.Fields{{Name: "ServiceName", Value: "N/A"}, {Name: "Region", Value: "N/A"}}
			if !k.LastUsed.IsZero() {
				last = awsproto.Fields{{Name: "LastUsedDate", Value: k.LastUsed}, {Name: "ServiceName", Value: k.LastService}, {Name: "Region", Value: k.LastRegion}}
			}
			f := awsproto.Fields{}
			if k.User != "" {
				f = append(f, awsproto.Field{Name: "UserName", Value: k.User})
			}
			return append(f, awsproto.Field{Name: "AccessKeyLastUsed", Value: last}), nil
		},
	},
}

var _ = policy.Allowed
