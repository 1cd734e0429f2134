package policy

// Policy language versions. A document without Version is read as 2008-10-17,
// which has no policy variables ("${...}" is literal text).
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is a statement's Effect element.
type Effect string

// The two effects a statement can have.
const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Document is a parsed policy document, kept as written (order, Sids, single
// values) so that it can be printed back and explained. It holds no compiled
// state; see Compile.
type Document struct {
	Version    string // "" when the element is absent
	ID         string
	Statements []Statement
	// singleStatement records that Statement was an object, not an array.
	singleStatement bool
}

// Statement is one element of a document's Statement.
type Statement struct {
	Sid          string
	Effect       Effect
	Principal    *Principal // nil when absent
	NotPrincipal *Principal
	Action       []string // nil when absent
	NotAction    []string
	Resource     []string
	NotResource  []string
	Condition    []ConditionOperator
}

// Principal is the value of a Principal or NotPrincipal element.
type Principal struct {
	Wildcard bool // the bare string "*"
	Entries  []PrincipalEntry
}

// PrincipalEntry is one principal type with its values, e.g. AWS: [arn, ...].
type PrincipalEntry struct {
	Type   string // AWS, Service, Federated or CanonicalUser
	Values []string
}

// ConditionOperator is one operator of a Condition block with its keys, e.g.
// "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["a*"]}.
type ConditionOperator struct {
	Operator string
	Keys     []ConditionKey
}

// ConditionKey is one key of a condition operator with its values; numbers and
// booleans written in the document are kept as their text.
type ConditionKey struct {
	Key    string
	Values []string
}

// UsesVariables reports whether ${...} is a policy variable in d rather than
// literal text.
func (d *Document) UsesVariables() bool { return d.Version == Version2012 }
