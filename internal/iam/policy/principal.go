package policy

import (
	"strings"

	"batchd/internal/arn"
)

// principalMatch is how closely a resource-based policy's Principal names the
// caller; it decides whether that policy's Allow stands on its own (IAM User
// Guide, "Policy evaluation logic": resource-based policies within one account).
type principalMatch uint8

const (
	matchNone principalMatch = iota
	// matchAccount: the caller's account (root or bare account ID). Within one
	// account this delegates to identity-based policies and allows nothing by
	// itself.
	matchAccount
	// matchRole: the role behind an assumed-role session. The Allow counts,
	// but a permissions boundary or session policy still limits it.
	matchRole
	// matchDirect: the caller itself (user ARN, role session ARN, federated
	// user ARN, service) or "*": the Allow stands on its own.
	matchDirect
)

// principalPattern is one compiled value of a Principal element.
type principalPattern struct {
	any      bool   // "*" or {"AWS": "*"}
	service  string // Service principal
	account  string // account root
	arn      string // exact user, session or federated-user ARN
	roleAcct string // role ARN: account and name
	roleName string
}

func compilePrincipal(p *Principal) []principalPattern {
	if p == nil {
		return nil
	}
	if p.Wildcard {
		return []principalPattern{{any: true}}
	}
	var out []principalPattern
	for _, e := range p.Entries {
		for _, v := range e.Values {
			switch e.Type {
			case "AWS":
				out = append(out, compileAWSPrincipal(v))
			case "Service":
				out = append(out, principalPattern{service: strings.ToLower(v)})
			default:
				// Federated and CanonicalUser principals never name a caller
				// that batchd authenticates.
				out = append(out, principalPattern{arn: "\x00" + e.Type + ":" + v})
			}
		}
	}
	return out
}

func compileAWSPrincipal(v string) principalPattern {
	if v == "*" {
		return principalPattern{any: true}
	}
	if len(v) == 12 && strings.Trim(v, "0123456789") == "" {
		return principalPattern{account: v}
	}
	a, err := arn.Parse(v)
	if err != nil {
		return principalPattern{arn: v}
	}
	switch {
	case a.Service == "iam" && a.Resource == "root":
		return principalPattern{account: a.AccountID}
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
		return principalPattern{roleAcct: a.AccountID, roleName: a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]}
	}
	return principalPattern{arn: v}
}

// match reports how p names c.
func (p *principalPattern) match(c *Caller) principalMatch {
	switch {
	case p.any:
		return matchDirect
	case p.service != "":
		if c.Kind == ServicePrincipal && strings.EqualFold(c.Name, p.service) {
			return matchDirect
		}
	case p.account != "":
		if c.Account == p.account && c.Kind >= Root && c.Kind <= FederatedUser {
			return matchAccount
		}
	case p.roleName != "":
		if c.Kind == AssumedRole && c.Account == p.roleAcct && c.Name == p.roleName {
			return matchRole
		}
	case p.arn != "":
		if c.ARN == p.arn && c.Kind != ServicePrincipal {
			return matchDirect
		}
	}
	return matchNone
}

// matchPrincipals returns the closest match among pats.
func matchPrincipals(pats []principalPattern, c *Caller) principalMatch {
	best := matchNone
	for i := range pats {
		if m := pats[i].match(c); m > best {
			best = m
		}
	}
	return best
}

// notPrincipalExempt reports whether a Deny statement's NotPrincipal
// exempts the caller (IAM User Guide, "AWS JSON policy elements:
// NotPrincipal"): AWS checks the caller's account, then the caller (for a
// role session, the role or the session), and the Deny applies at the first
// that is not listed — so the account must be listed along with the user,
// role or session. A caller with a permissions boundary is never exempt:
// "The NotPrincipal element with a Deny effect will always deny any IAM
// principal that has a permissions boundary policy attached, regardless of
// the values specified in the NotPrincipal element."
func notPrincipalExempt(pats []principalPattern, c *Caller, boundary bool) bool {
	if boundary {
		return false
	}
	var account, self bool
	for i := range pats {
		p := &pats[i]
		switch {
		case p.any:
			return true
		case p.service != "":
			if c.Kind == ServicePrincipal && strings.EqualFold(c.Name, p.service) {
				return true
			}
		case p.account != "":
			account = account || p.account == c.Account
		case p.roleName != "":
			self = self || c.Kind == AssumedRole && c.Account == p.roleAcct && c.Name == p.roleName
		case p.arn != "":
			self = self || c.ARN == p.arn && c.Kind != ServicePrincipal
		}
	}
	switch c.Kind {
	case Root:
		return account
	case User, AssumedRole, FederatedUser:
		return account && self
	}
	return false
}
