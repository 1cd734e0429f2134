package policy

import (
	"fmt"
	"strings"

	"batchd/internal/arn"
)

// CallerKind is the kind of principal that makes a request.
type CallerKind int

// The caller kinds batchd knows.
const (
	// Unspecified is a caller known only by its policies (policy eval without
	// a principal): identity-based policies apply, and of a resource-based
	// policy only a "*" principal matches it.
	Unspecified      CallerKind = iota
	Anonymous                   // an unsigned request
	Root                        // arn:aws:iam::ACCOUNT:root
	User                        // arn:aws:iam::ACCOUNT:user/PATH/NAME
	AssumedRole                 // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
	FederatedUser               // arn:aws:sts::ACCOUNT:federated-user/NAME
	ServicePrincipal            // an AWS service principal, e.g. batch.amazonaws.com
)

func (k CallerKind) String() string {
	return [...]string{"Unspecified", "Anonymous", "Account", "User", "AssumedRole", "FederatedUser", "AWSService"}[k]
}

// Caller is the principal a request is evaluated for.
type Caller struct {
	ARN       string // as the request gives it; the service name for Service
	Kind      CallerKind
	Partition string
	Account   string
	Name      string // user name, role name, federated user name, or service name
	Session   string // role session name
	// RoleARN is the role behind an assumed-role session, without its path
	// (the session ARN does not carry it).
	RoleARN string
}

// ParseCaller reads a caller from an ARN: an account root, IAM user,
// assumed-role session or federated-user session, or a service principal name
// such as ecs-tasks.amazonaws.com. "" is the Unspecified caller.
func ParseCaller(s string) (Caller, error) {
	if s == "" {
		return Caller{Kind: Unspecified}, nil
	}
	if !strings.HasPrefix(s, "arn:") {
		if strings.HasSuffix(s, ".amazonaws.com") || strings.HasSuffix(s, ".amazonaws.com.cn") {
			return Caller{ARN: s, Kind: ServicePrincipal, Name: s}, nil
		}
		return Caller{}, fmt.Errorf("principal %q: want an IAM user, role session, federated user or account root ARN, or a service principal", s)
	}
	a, err := arn.Parse(s)
	if err != nil {
		return Caller{}, err
	}
	c := Caller{ARN: s, Partition: a.Partition, Account: a.AccountID}
	bad := func() (Caller, error) {
		return Caller{}, fmt.Errorf("principal %q: not an account root, IAM user, assumed-role or federated-user ARN", s)
	}
	if a.AccountID == "" {
		return bad()
	}
	switch {
	case a.Service == "iam" && a.Resource == "root":
		c.Kind = Root
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "user/"):
		c.Kind = User
		c.Name = a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
		role, session, ok := strings.Cut(strings.TrimPrefix(a.Resource, "assumed-role/"), "/")
		if !ok || role == "" || session == "" {
			return bad()
		}
		c.Kind, c.Name, c.Session = AssumedRole, role, session
		c.RoleARN = "arn:" + a.Partition + ":iam::" + a.AccountID + ":role/" + role
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "federated-user/"):
		c.Kind = FederatedUser
		c.Name = strings.TrimPrefix(a.Resource, "federated-user/")
	default:
		return bad()
	}
	if c.Name == "" && c.Kind != Root {
		return bad()
	}
	return c, nil
}

// FillContext adds the global keys that follow from the caller —
// aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType and, for an IAM
// user, aws:username — where ctx does not already give them.
func (c Caller) FillContext(ctx *Context) {
	set := func(k, v string) {
		if !ctx.Has(k) && v != "" {
			ctx.Set(k, v)
		}
	}
	switch c.Kind {
	case Unspecified, Anonymous, ServicePrincipal:
		return
	case AssumedRole:
		set("aws:PrincipalArn", c.RoleARN)
	default:
		set("aws:PrincipalArn", c.ARN)
	}
	set("aws:PrincipalAccount", c.Account)
	set("aws:PrincipalType", c.Kind.String())
	if c.Kind == User {
		set("aws:username", c.Name)
	}
}
