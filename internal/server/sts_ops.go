package server

import (
	"errors"

	"batchd/internal/awsproto"
	"batchd/internal/iam"
	"batchd/internal/iam/policy"
	"batchd/internal/sts"
)

const stsXMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"

// stsOps is STS's operation table (STS API Reference 2011-06-15).
var stsOps = queryTable(map[string]queryOp{
	// GetCallerIdentity needs no permission; an explicit deny does not stop
	// it (STS API Reference, GetCallerIdentity).
	"GetCallerIdentity": {
		Handle: func(c *Call) (awsproto.Fields, error) {
			id := c.srv.cfg.STS.GetCallerIdentity(c.Principal)
			return awsproto.Fields{{Name: "UserId", Value: id.UserID}, {Name: "Account", Value: id.Account}, {Name: "Arn", Value: id.ARN}}, nil
		},
	},
	// AssumeRole is authorized by sts itself: the role's trust policy is a
	// resource-based policy of the evaluation.
	"AssumeRole": {
		Handle: func(c *Call) (awsproto.Fields, error) {
			in := sts.AssumeRoleInput{
				RoleARN: c.Str("RoleArn"), RoleSessionName: c.Str("RoleSessionName"), Policy: c.Str("Policy"),
				Tags: c.Tags("Tags"), TransitiveTagKeys: c.List("TransitiveTagKeys"),
				ExternalID: c.Str("ExternalId"), SourceIdentity: c.Str("SourceIdentity"),
			}
			if d, ok := c.Int("DurationSeconds"); ok {
				in.DurationSeconds = int32(d)
			}
			for _, p := range c.Structs("PolicyArns") {
				a, _ := p.String("arn")
				in.PolicyARNs = append(in.PolicyARNs, a)
			}
			out, err := c.srv.cfg.STS.AssumeRole(c.Ctx, c.Principal, c.Env, in)
			if err != nil {
				return nil, c.stsError(err)
			}
			f := awsproto.Fields{
				{Name: "Credentials", Value: credentialFields(&out.Credentials)},
				{Name: "AssumedRoleUser", Value: awsproto.Fields{{Name: "AssumedRoleId", Value: out.AssumedRoleID}, {Name: "Arn", Value: out.AssumedRoleARN}}},
				{Name: "PackedPolicySize", Value: out.PackedPolicySize},
			}
			if out.SourceIdentity != "" {
				f = append(f, awsproto.Field{Name: "SourceIdentity", Value: out.SourceIdentity})
			}
			return f, nil
		},
	},
	// GetSessionToken needs no permission, but an explicit deny stops it
	// (IAM User Guide, "Permissions for GetSessionToken").
	"GetSessionToken": {
		Handle: func(c *Call) (awsproto.Fields, error) {
			if err := c.Authorize("sts:GetSessionToken", "*", nil); err != nil {
				var ad *AccessDeniedError
				if !errors.As(err, &ad) || ad.Verdict.Outcome == policy.ExplicitDeny {
					return nil, err
				}
			}
			d, _ := c.Int("DurationSeconds")
			creds, err := c.srv.cfg.STS.GetSessionToken(c.Ctx, c.Principal, int32(d))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "Credentials", Value: credentialFields(creds)}}, nil
		},
	},
	"GetFederationToken": {
		Action: "sts:GetFederationToken",
		Resources: func(c *Call) []string {
			s := c.srv.cfg.IAM
			return one("arn:" + s.Partition() + ":sts::" + s.AccountID() + ":federated-user/" + c.Str("Name"))
		},
		Keys: func(c *Call) map[string][]string { return tagKeys(c.Tags("Tags")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			in := sts.GetFederationTokenInput{Name: c.Str("Name"), Policy: c.Str("Policy"), Tags: c.Tags("Tags")}
			if d, ok := c.Int("DurationSeconds"); ok {
				in.DurationSeconds = int32(d)
			}
			for _, p := range c.Structs("PolicyArns") {
				a, _ := p.String("arn")
				in.PolicyARNs = append(in.PolicyARNs, a)
			}
			creds, id, arn, packed, err := c.srv.cfg.STS.GetFederationToken(c.Ctx, c.Principal, in)
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{
				{Name: "Credentials", Value: credentialFields(creds)},
				{Name: "FederatedUser", Value: awsproto.Fields{{Name: "FederatedUserId", Value: id}, {Name: "Arn", Value: arn}}},
				{Name: "PackedPolicySize", Value: packed},
			}, nil
		},
	},
	"GetAccessKeyInfo": {
		Action: "sts:GetAccessKeyInfo",
		Handle: func(c *Call) (awsproto.Fields, error) {
			acct, err := c.srv.cfg.STS.GetAccessKeyInfo(c.Ctx, c.Str("AccessKeyId"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "Account", Value: acct}}, nil
		},
	},
	"DecodeAuthorizationMessage": {
		Action: "sts:DecodeAuthorizationMessage",
		Handle: func(c *Call) (awsproto.Fields, error) {
			msg, err := c.srv.cfg.STS.DecodeAuthorizationMessage(c.Str("EncodedMessage"))
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "DecodedMessage", Value: msg}}, nil
		},
	},
})

func credentialFields(cr *sts.Credentials) awsproto.Fields {
	return awsproto.Fields{
		{Name: "AccessKeyId", Value: cr.AccessKeyID}, {Name: "SecretAccessKey", Value: cr.SecretAccessKey},
		{Name: "SessionToken", Value: cr.SessionToken}, {Name: "Expiration", Value: cr.Expiration},
	}
}

// stsError turns sts's denial into the server's AccessDenied (kept for the
// audit trail and the encoded authorization message).
func (c *Call) stsError(err error) error {
	var de *sts.DeniedError
	if errors.As(err, &de) {
		c.verdicts = append(c.verdicts, de.Verdict)
		return &AccessDeniedError{Code: de.Code, Message: de.Message, Verdict: de.Verdict}
	}
	return err
}

var _ iam.Tag
