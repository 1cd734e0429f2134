package server

import (
	"batchd/internal/awsproto"
	"batchd/internal/iam"
	"batchd/internal/iam/policy"
)

// loginOps is IAM's operation table for console passwords. Login profile
// operations and ChangePassword are authorized on the user's ARN with its
// path (resource type "user") and set its aws:ResourceTag/ and
// iam:ResourceTag/ keys; the account password policy operations have no
// resource-level permission.
//
// With the password policy's AllowUsersToChangePassword, every IAM user may
// call ChangePassword on their own user and GetAccountPasswordPolicy
// without a policy that allows it, "applied at the account-level for all
// users by IAM" (IAM API Reference, PasswordPolicy): only an explicit Deny
// refuses them then. Without it, a user needs iam:ChangePassword from
// their policies (IAM User Guide, "Permit IAM users to change their own
// passwords").
var loginOps = map[string]queryOp{
	"CreateLoginProfile": {
		Action:    "iam:CreateLoginProfile",
		Resources: func(c *Call) []string { return one(c.targetUserARN()) },
		Keys:      func(c *Call) map[string][]string { return c.userTagKeys(c.targetUser()) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			user, err := c.loginUser()
			if err != nil {
				return nil, err
			}
			if _, ok := c.Params.String("Password"); !ok {
				return nil, awsproto.Errorf("ValidationError", "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null")
			}
			reset, _ := c.Bool("PasswordResetRequired")
			p, err := c.srv.cfg.IAM.CreateLoginProfile(c.Ctx, user, c.Str("Password"), reset)
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "LoginProfile", Value: loginProfileFields(p)}}, nil
		},
	},
	"GetLoginProfile": {
		Action:    "iam:GetLoginProfile",
		Resources: func(c *Call) []string { return one(c.targetUserARN()) },
		Keys:      func(c *Call) map[string][]string { return c.userTagKeys(c.targetUser()) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			user, err := c.loginUser()
			if err != nil {
				return nil, err
			}
			p, err := c.srv.cfg.IAM.GetLoginProfile(c.Ctx, user)
			if err != nil {
				return nil, err
			}
			return awsproto.Fields{{Name: "LoginProfile", Value: loginProfileFields(p)}}, nil
		},
	},
	"UpdateLoginProfile": {
		Action:    "iam:UpdateLoginProfile",
		Resources: func(c *Call) []string { return one(c.userARN(c.Str("UserName"))) },
		Keys:      func(c *Call) map[string][]string { return c.userTagKeys(c.Str("UserName")) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			var reset *bool
			if b, ok := c.Bool("PasswordResetRequired"); ok {
				reset = &b
			}
			return nil, c.srv.cfg.IAM.UpdateLoginProfile(c.Ctx, c.Str("UserName"), c.Str("Password"), reset)
		},
	},
	"DeleteLoginProfile": {
		Action:    "iam:DeleteLoginProfile",
		Resources: func(c *Call) []string { return one(c.targetUserARN()) },
		Keys:      func(c *Call) map[string][]string { return c.userTagKeys(c.targetUser()) },
		Handle: func(c *Call) (awsproto.Fields, error) {
			user, err := c.loginUser()
			if err != nil {
				return nil, err
			}
			return nil, c.srv.cfg.IAM.DeleteLoginProfile(c.Ctx, user)
		},
	},
	"ChangePassword": {
		Action: "iam:ChangePassword",
		// The caller's own user; anyone else is refused by the domain
		// (InvalidUserType), once authorized on their own ARN.
		Resources: func(c *Call) []string {
			if c.Principal.Kind == policy.User {
				return one(c.userARN(c.Principal.UserName))
			}
			return one(c.Principal.ARN)
		},
		Keys: func(c *Call) map[string][]string {
			if c.Principal.Kind == policy.User {
				return c.userTagKeys(c.Principal.UserName)
			}
			return nil
		},
		ExplicitOnly: (*Call).usersMayChangePassword,
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.ChangePassword(c.Ctx, c.Principal, c.Str("OldPassword"), c.Str("NewPassword"))
		},
	},
	"UpdateAccountPasswordPolicy": {
		Action: "iam:UpdateAccountPasswordPolicy",
		Handle: func(c *Call) (awsproto.Fields, error) {
			p := iam.PasswordPolicy{}
			if n, ok := c.Int("MinimumPasswordLength"); ok {
				p.MinimumPasswordLength = int(n)
			}
			if n, ok := c.Int("MaxPasswordAge"); ok {
				p.MaxPasswordAge = int(n)
			}
			if n, ok := c.Int("PasswordReusePrevention"); ok {
				p.PasswordReusePrevention = int(n)
			}
			p.RequireSymbols, _ = c.Bool("RequireSymbols")
			p.RequireNumbers, _ = c.Bool("RequireNumbers")
			p.RequireUppercaseCharacters, _ = c.Bool("RequireUppercaseCharacters")
			p.RequireLowercaseCharacters, _ = c.Bool("RequireLowercaseCharacters")
			p.AllowUsersToChangePassword, _ = c.Bool("AllowUsersToChangePassword")
			p.HardExpiry, _ = c.Bool("HardExpiry")
			return nil, c.srv.cfg.IAM.UpdateAccountPasswordPolicy(c.Ctx, p)
		},
	},
	"GetAccountPasswordPolicy": {
		Action:       "iam:GetAccountPasswordPolicy",
		ExplicitOnly: (*Call).usersMayChangePassword,
		Handle: func(c *Call) (awsproto.Fields, error) {
			p, err := c.srv.cfg.IAM.GetAccountPasswordPolicy(c.Ctx)
			if err != nil {
				return nil, err
			}
			f := awsproto.Fields{
				{Name: "MinimumPasswordLength", Value: p.MinimumPasswordLength},
				{Name: "RequireSymbols", Value: p.RequireSymbols},
				{Name: "RequireNumbers", Value: p.RequireNumbers},
				{Name: "RequireUppercaseCharacters", Value: p.RequireUppercaseCharacters},
				{Name: "RequireLowercaseCharacters", Value: p.RequireLowercaseCharacters},
				{Name: "AllowUsersToChangePassword", Value: p.AllowUsersToChangePassword},
				{Name: "ExpirePasswords", Value: p.ExpirePasswords()},
			}
			if p.MaxPasswordAge > 0 {
				f = append(f, awsproto.Field{Name: "MaxPasswordAge", Value: p.MaxPasswordAge})
			}
			if p.PasswordReusePrevention > 0 {
				f = append(f, awsproto.Field{Name: "PasswordReusePrevention", Value: p.PasswordReusePrevention})
			}
			f = append(f, awsproto.Field{Name: "HardExpiry", Value: p.HardExpiry})
			return awsproto.Fields{{Name: "PasswordPolicy", Value: f}}, nil
		},
	},
	"DeleteAccountPasswordPolicy": {
		Action: "iam:DeleteAccountPasswordPolicy",
		Handle: func(c *Call) (awsproto.Fields, error) {
			return nil, c.srv.cfg.IAM.DeleteAccountPasswordPolicy(c.Ctx)
		},
	},
}

// loginUser is the user a login profile operation is about: UserName, or
// the calling IAM user. The root and other callers must name one, as IAM
// answers them.
func (c *Call) loginUser() (string, error) {
	if u := c.targetUser(); u != "" {
		return u, nil
	}
	if c.Principal.IsRoot() {
		return "", awsproto.Errorf("ValidationError", "Must specify userName when calling with root credentials.")
	}
	return "", awsproto.Errorf("ValidationError", "Must specify userName when calling with non-User credentials")
}

// userTagKeys are an existing user's aws:ResourceTag/ and iam:ResourceTag/
// keys (none when the user does not exist, or name is empty).
func (c *Call) userTagKeys(name string) map[string][]string {
	if name == "" {
		return nil
	}
	u, err := c.srv.cfg.IAM.GetUser(c.Ctx, name)
	if err != nil {
		c.lookupFailed(err)
		return nil
	}
	return resourceTagKeys(u.Tags, "aws:ResourceTag/", "iam:ResourceTag/")
}

// usersMayChangePassword reports whether the caller is an IAM user and the
// account password policy lets every user change their own password.
func (c *Call) usersMayChangePassword() bool {
	if c.Principal.Kind != policy.User {
		return false
	}
	p, err := c.srv.cfg.IAM.GetAccountPasswordPolicy(c.Ctx)
	if err != nil {
		c.lookupFailed(err)
		return false
	}
	return p.AllowUsersToChangePassword
}

// loginProfileFields renders a LoginProfile in the model's member order.
func loginProfileFields(p *iam.LoginProfile) awsproto.Fields {
	return awsproto.Fields{
		{Name: "UserName", Value: p.UserName}, {Name: "CreateDate", Value: p.CreateDate},
		{Name: "PasswordResetRequired", Value: p.PasswordResetRequired},
	}
}
