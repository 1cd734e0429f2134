package policy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"batchd/internal/arn"
)

// Severity ranks a Finding, with the four finding types of IAM Access
// Analyzer (IAM User Guide, "Validate policies with IAM Access Analyzer"): an
// ERROR makes AWS refuse the policy or the policy not work as meant; the
// others are advice.
type Severity string

// The severities, most serious first.
const (
	SeverityError           Severity = "ERROR"
	SeveritySecurityWarning Severity = "SECURITY_WARNING"
	SeverityWarning         Severity = "WARNING"
	SeveritySuggestion      Severity = "SUGGESTION"
)

func (s Severity) rank() int {
	switch s {
	case SeverityError:
		return 0
	case SeveritySecurityWarning:
		return 1
	case SeverityWarning:
		return 2
	}
	return 3
}

// Finding is one problem Validate reports.
type Finding struct {
	Severity Severity `json:"severity"`
	Code     string   `json:"code"` // issue type in UPPER_SNAKE, e.g. UNKNOWN_ACTION
	Path     string   `json:"path"` // JSON path, as in Error.Path: $.Statement[0].Action[1]
	Message  string   `json:"message"`
}

// HasErrors reports whether any finding has SeverityError.
func HasErrors(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity == SeverityError })
}

// DocKind is where a policy document is used. It decides which elements a
// statement needs or must not have, and the document's size quota.
type DocKind int

// The kinds of policy document.
const (
	KindManaged     DocKind = iota // customer managed policy
	KindInlineUser                 // inline policy of an IAM user
	KindInlineGroup                // inline policy of an IAM group
	KindInlineRole                 // inline policy of an IAM role
	KindBoundary                   // permissions boundary (a managed policy)
	KindSession                    // session policy passed to AssumeRole and friends
	KindResource                   // resource-based policy
	KindTrust                      // role trust policy
)

var kindNames = [...]string{"managed", "inline-user", "inline-group", "inline-role", "boundary", "session", "resource", "trust"}

// String is the name ParseDocKind reads, e.g. "inline-role".
func (k DocKind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("DocKind(%d)", int(k))
}

// ParseDocKind reads a kind name: managed, inline-user, inline-group,
// inline-role, boundary, session, resource or trust.
func ParseDocKind(s string) (DocKind, error) {
	for i, n := range kindNames {
		if n == s {
			return DocKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown policy kind %q: want one of %s", s, strings.Join(kindNames[:], ", "))
}

// identity reports whether documents of kind k are identity-based policies
// (including boundaries and session policies), which apply to the principal
// they are attached to and so name no Principal.
func (k DocKind) identity() bool { return k >= KindManaged && k <= KindSession }

func (k DocKind) resourceBased() bool { return k == KindResource || k == KindTrust }

// sizeLimit is the quota on a document's characters, whitespace not counted,
// or 0 for none (IAM User Guide, "IAM and AWS STS quotas": managed policy
// 6,144; inline policies, summed per identity, user 2,048, group 5,120, role
// 10,240; role trust policy 2,048; session policy 2,048). Resource-based
// policies have quotas of their own service.
func (k DocKind) sizeLimit() int {
	switch k {
	case KindManaged, KindBoundary:
		return 6144
	case KindInlineUser, KindSession, KindTrust:
		return 2048
	case KindInlineGroup:
		return 5120
	case KindInlineRole:
		return 10240
	}
	return 0
}

// Validate checks a policy document used as kind beyond what Parse and
// Compile refuse, in the manner of IAM Access Analyzer's policy checks (IAM
// User Guide, "IAM policy validation check reference"). Findings are
// sorted by severity, ERROR first, then by path. Validate never panics.
func Validate(data []byte, kind DocKind) []Finding {
	v := &validator{kind: kind}
	v.checkSize(data)
	doc, err := Parse(data)
	var root *node
	if err == nil {
		// Parse accepted the text, so this cannot fail; the tree gives the
		// path of every value.
		root, err = parseJSON(data)
	}
	if err != nil {
		path, msg := located(err)
		v.add(SeverityError, "SYNTAX_ERROR", path, "%s", msg)
		return v.sorted()
	}
	v.doc, v.stmts = doc, statementNodes(root)
	if len(v.stmts) != len(doc.Statements) {
		return v.sorted() // cannot happen: both come from the same text
	}
	v.checkVersion()
	for i := range doc.Statements {
		v.checkStatement(i)
	}
	if !v.invalidCondition {
		// Compile is the authority on what AWS refuses when storing the
		// policy; checkConditions mirrors it per key, this catches the rest.
		if _, err := Compile("", doc); err != nil {
			path, msg := located(err)
			v.add(SeverityError, "INVALID_CONDITION", path, "%s", msg)
		}
	}
	v.checkRedundantStatements()
	v.checkBatch()
	return v.sorted()
}

// located returns the path and message of an *Error in err's chain, else
// "$" and the whole error text.
func located(err error) (path, msg string) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Path, pe.Msg
	}
	return "$", err.Error()
}

type validator struct {
	kind             DocKind
	doc              *Document
	stmts            []*node // the statements' JSON, parallel to doc.Statements
	invalidCondition bool    // an INVALID_CONDITION was reported
	findings         []Finding
}

func (v *validator) add(sev Severity, code, path, format string, args ...any) {
	v.findings = append(v.findings, Finding{Severity: sev, Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) sorted() []Finding {
	slices.SortStableFunc(v.findings, func(a, b Finding) int {
		if c := a.Severity.rank() - b.Severity.rank(); c != 0 {
			return c
		}
		if c := comparePaths(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	return v.findings
}

func statementNodes(root *node) []*node {
	s := child(root, "Statement")
	if s == nil {
		return nil
	}
	if s.kind == jsonObject {
		return []*node{s}
	}
	return s.elems
}

// child is n.get(key) that tolerates a nil n.
func child(n *node, key string) *node {
	if n == nil {
		return nil
	}
	return n.get(key)
}

// valuePath is the path of the j-th value of an element that is a string or
// a list of strings.
func valuePath(n *node, j int) string {
	switch {
	case n == nil:
		return "$"
	case n.kind == jsonArray && j < len(n.elems):
		return n.elems[j].path
	}
	return n.path
}

func pathOf(n *node) string {
	if n == nil {
		return "$"
	}
	return n.path
}

// checkSize applies the size quotas (IAM User Guide, "IAM and AWS STS
// quotas": "IAM doesn't count white space when calculating the size of a
// policy against these limits").
func (v *validator) checkSize(data []byte) {
	limit := v.kind.sizeLimit()
	if limit == 0 {
		return
	}
	n := 0
	for _, r := range string(data) {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	if n > limit {
		v.add(SeverityError, "POLICY_SIZE_EXCEEDED", "$", "the policy has %d characters not counting whitespace; a %s policy may have at most %d", n, v.kind, limit)
	}
}

// checkVersion follows IAM User Guide, "IAM JSON policy elements: Version":
// without Version a policy is read as 2008-10-17, where policy variables are
// literal text ("IAM policy elements: Variables and tags").
func (v *validator) checkVersion() {
	if v.doc.Version == "" {
		v.add(SeverityWarning, "MISSING_VERSION", "$", "the policy has no Version, so it is read as %s; add \"Version\": %q", Version2008, Version2012)
	}
	if v.doc.UsesVariables() {
		return
	}
	for i := range v.doc.Statements {
		for _, s := range v.variableSites(i) {
			if strings.Contains(s.text, "${") {
				v.add(SeverityWarning, "POLICY_VARIABLE_IN_OLD_VERSION", s.path, "%q is literal text under policy version %s; policy variables need \"Version\": %q", s.text, Version2008, Version2012)
				return
			}
		}
	}
}

// site is a string where a policy variable may stand: a Resource or
// NotResource value or a condition value.
type site struct{ path, text string }

func (v *validator) variableSites(i int) []site {
	s, n := &v.doc.Statements[i], v.stmts[i]
	var out []site
	for j, r := range s.Resource {
		out = append(out, site{valuePath(child(n, "Resource"), j), r})
	}
	for j, r := range s.NotResource {
		out = append(out, site{valuePath(child(n, "NotResource"), j), r})
	}
	cn := child(n, "Condition")
	for _, op := range s.Condition {
		on := child(cn, op.Operator)
		for _, k := range op.Keys {
			kn := child(on, k.Key)
			for j, val := range k.Values {
				out = append(out, site{valuePath(kn, j), val})
			}
		}
	}
	return out
}

func (v *validator) checkStatement(i int) {
	s, n := &v.doc.Statements[i], v.stmts[i]
	v.checkPlacement(s, n)
	v.checkActions(s, n)
	v.checkResources(s, n)
	v.checkPrincipals(s, n)
	v.checkSecurity(s, n)
	v.checkConditions(s, n)
	if v.doc.UsesVariables() {
		v.checkVariables(i)
	}
}

// checkPlacement applies the rules that depend on where the policy is used
// (IAM User Guide, "IAM JSON policy elements: Principal": identity-based
// policies cannot name one, resource-based policies must; "Resource": an
// identity-based statement must have Resource or NotResource; "Sid": in IAM
// policies only ASCII letters and digits).
func (v *validator) checkPlacement(s *Statement, n *node) {
	switch {
	case v.kind.identity():
		for _, el := range []string{"Principal", "NotPrincipal"} {
			if p := child(n, el); p != nil {
				v.add(SeverityError, "PRINCIPAL_NOT_ALLOWED", p.path, "%s is not allowed in %s policy: an identity-based policy applies to the identity it is attached to", el, withArticle(v.kind.String()))
			}
		}
		if s.Resource == nil && s.NotResource == nil {
			v.add(SeverityError, "MISSING_RESOURCE", n.path, "a statement of a %s policy must have Resource or NotResource", v.kind)
		}
		if !isAlphanumeric(s.Sid) {
			v.add(SeverityError, "INVALID_SID", pathOf(child(n, "Sid")), "Sid %q must contain only ASCII letters and digits in %s policy", s.Sid, withArticle(v.kind.String()))
		}
	case v.kind.resourceBased():
		if s.Principal == nil && s.NotPrincipal == nil {
			v.add(SeverityError, "MISSING_PRINCIPAL", n.path, "a statement of a %s policy must have Principal or NotPrincipal", v.kind)
		}
	}
}

func isAlphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// actionRef is one Action or NotAction value taken apart.
type actionRef struct {
	any      bool   // "*"
	service  string // lower-case
	name     string // lower-case, may hold wildcards
	served   bool
	expanded []*ActionInfo // the catalog actions it matches, when served
}

func newActionRef(a string) actionRef {
	if a == "*" {
		return actionRef{any: true}
	}
	svc, name, _ := strings.Cut(strings.ToLower(a), ":")
	r := actionRef{service: svc, name: name}
	r.expanded, r.served = ExpandAction(a)
	return r
}

// covers reports whether every action b matches is also matched by a.
func (a *actionRef) covers(b *actionRef) bool {
	switch {
	case a.any:
		return true
	case b.any || a.service != b.service:
		return false
	case a.served:
		return len(b.expanded) > 0 && subset(b.expanded, a.expanded)
	case a.name == "*" || a.name == b.name:
		return true
	case !strings.ContainsAny(b.name, "*?"):
		return globLower(a.name, b.name)
	}
	// Both have wildcards: only a plain "prefix*" is known to cover.
	prefix, ok := strings.CutSuffix(a.name, "*")
	return ok && !strings.ContainsAny(prefix, "*?") && strings.HasPrefix(b.name, prefix)
}

// subset reports whether every action of small is in big; both are sorted by
// name, as ExpandAction returns them.
func subset(small, big []*ActionInfo) bool {
	j := 0
	for _, a := range small {
		for j < len(big) && big[j].Name < a.Name {
			j++
		}
		if j == len(big) || big[j] != a {
			return false
		}
	}
	return true
}

// checkActions looks actions of the services batchd serves up in the catalog
// (policy validation check "Invalid action"; Service Authorization
// Reference) and finds actions another of the same list already matches
// (check "Redundant action"). Other services' actions are not checked: batchd has no
// catalog for them, and its built-in managed policies name them.
func (v *validator) checkActions(s *Statement, n *node) {
	el, acts := "Action", s.Action
	if s.NotAction != nil {
		el, acts = "NotAction", s.NotAction
	}
	an := child(n, el)
	refs := make([]actionRef, len(acts))
	for j, a := range acts {
		refs[j] = newActionRef(a)
		if r := &refs[j]; r.served && len(r.expanded) == 0 {
			v.add(SeverityError, "UNKNOWN_ACTION", valuePath(an, j), "%s", unknownActionMessage(a, r.service, r.name))
		}
	}
	for j := range refs {
		for i := range refs {
			if i == j || !refs[i].covers(&refs[j]) {
				continue
			}
			// When two values match the same actions, keep the first.
			if !refs[j].covers(&refs[i]) || i < j {
				v.add(SeveritySuggestion, "REDUNDANT_ACTION", valuePath(an, j), "%q is already matched by %q in the same statement", acts[j], acts[i])
				break
			}
		}
	}
}

func unknownActionMessage(action, svc, name string) string {
	si, _ := Service(svc)
	msg := fmt.Sprintf("%s has no action matching %q (Service Authorization Reference)", si.Name, action)
	if strings.ContainsAny(name, "*?") {
		return msg
	}
	var near []string
	best := 3 // suggest names at most this many edits away
	for lname, a := range si.lowerActions {
		if abs(len(name)-len(lname)) > best {
			continue // at least that many edits
		}
		d := editDistance(name, lname)
		switch {
		case d < best:
			best, near = d, []string{svc + ":" + a.Name}
		case d == best:
			near = append(near, svc+":"+a.Name)
		}
	}
	if len(near) == 0 {
		return msg
	}
	slices.Sort(near)
	return msg + "; did you mean " + strings.Join(near, " or ") + "?"
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// checkResources requires "*" or an ARN (IAM User Guide, "IAM JSON policy
// elements: Resource"; policy validation checks "Invalid ARN prefix" and
// "Missing ARN field"). Values with wildcards or policy variables are only
// checked for the six-part shape, since any part may be a pattern.
func (v *validator) checkResources(s *Statement, n *node) {
	el, res := "Resource", s.Resource
	if s.NotResource != nil {
		el, res = "NotResource", s.NotResource
	}
	rn := child(n, el)
	for j, r := range res {
		if msg := resourceProblem(r); msg != "" {
			v.add(SeverityError, "MALFORMED_ARN", valuePath(rn, j), "%s", msg)
		}
	}
}

func resourceProblem(r string) string {
	if r == "*" {
		return ""
	}
	if strings.ContainsAny(r, "*?") || strings.Contains(r, "${") {
		parts, ok := splitOutsideVars(r)
		if !ok || parts[0] != "arn" {
			return fmt.Sprintf("resource %q must be \"*\" or an ARN, arn:partition:service:region:account:resource", r)
		}
		return ""
	}
	if _, err := arn.Parse(r); err != nil {
		return "resource: " + err.Error()
	}
	return ""
}

// checkPrincipals checks AWS principals of resource-based policies (IAM User
// Guide, "AWS JSON policy elements: Principal": an account ID, an ARN or "*";
// "You cannot use a wildcard to match part of a principal name or ARN";
// policy validation checks "Invalid principal format" and "Unsupported
// wildcard in principal").
func (v *validator) checkPrincipals(s *Statement, n *node) {
	if v.kind.identity() {
		return // PRINCIPAL_NOT_ALLOWED already
	}
	for _, el := range []string{"Principal", "NotPrincipal"} {
		p := s.Principal
		if el == "NotPrincipal" {
			p = s.NotPrincipal
		}
		if p == nil {
			continue
		}
		pn := child(n, el)
		for _, e := range p.Entries {
			if e.Type != "AWS" {
				continue
			}
			en := child(pn, e.Type)
			for j, val := range e.Values {
				if msg := awsPrincipalProblem(val); msg != "" {
					v.add(SeverityError, "INVALID_PRINCIPAL", valuePath(en, j), "AWS principal %q: %s", val, msg)
				}
			}
		}
	}
}

func awsPrincipalProblem(p string) string {
	switch {
	case p == "*" || isAccountID(p):
		return ""
	case !strings.HasPrefix(p, "arn:"):
		return "must be \"*\", a 12-digit account ID or an ARN"
	case strings.ContainsAny(p, "*?"):
		return "a principal ARN cannot hold wildcards; use \"*\" with a condition on aws:PrincipalArn"
	}
	if _, err := arn.Parse(p); err != nil {
		return err.Error()
	}
	return ""
}

func isAccountID(s string) bool {
	return len(s) == 12 && strings.Trim(s, "0123456789") == ""
}

// checkSecurity reports Allow statements that grant more than they seem to
// (IAM User Guide, "IAM JSON policy elements: NotAction" and "NotResource":
// with Allow they allow everything not listed; policy validation check
// "Pass role with star in resource").
func (v *validator) checkSecurity(s *Statement, n *node) {
	if s.Effect != Allow {
		return
	}
	if s.NotAction != nil {
		v.add(SeveritySecurityWarning, "ALLOW_WITH_NOT_ACTION", pathOf(child(n, "NotAction")), "Allow with NotAction allows every action not listed, in every service, including those added later; list the actions to allow")
	}
	if s.NotResource != nil {
		v.add(SeveritySecurityWarning, "ALLOW_WITH_NOT_RESOURCE", pathOf(child(n, "NotResource")), "Allow with NotResource allows every resource not listed, including those created later; list the resources to allow")
	}
	if !allowsPassRole(s) {
		return
	}
	for j, r := range s.Resource {
		if namesEveryRole(r) {
			advice := "list the roles that may be passed"
			if !hasConditionKey(s, "iam:PassedToService") {
				advice += " and restrict iam:PassedToService"
			}
			v.add(SeveritySecurityWarning, "PASS_ROLE_WITH_STAR_IN_RESOURCE", valuePath(child(n, "Resource"), j), "the statement allows iam:PassRole on %q, so every role may be passed; %s", r, advice)
			return
		}
	}
}

func allowsPassRole(s *Statement) bool {
	passRole := func(p string) bool { return actionMatches(p, "iam", "passrole") }
	if s.NotAction != nil {
		return !slices.ContainsFunc(s.NotAction, passRole)
	}
	return slices.ContainsFunc(s.Action, passRole)
}

// actionMatches reports whether action pattern p matches svc:name (both
// lower-case).
func actionMatches(p, svc, name string) bool {
	ap := compileAction(p)
	switch {
	case ap.any:
		return ap.service == "" || ap.service == svc
	case ap.service != svc:
		return false
	case ap.wild:
		return globLower(ap.name, name)
	}
	return ap.name == name
}

// namesEveryRole reports whether resource pattern r matches every IAM role of
// an account: "*", or an ARN of service "*" or "iam" whose resource is "*"
// or "role/*".
func namesEveryRole(r string) bool {
	if r == "*" {
		return true
	}
	parts, ok := arn.Split(r)
	return ok && (parts[2] == "*" || strings.EqualFold(parts[2], "iam")) && (parts[5] == "*" || parts[5] == "role/*")
}

// checkConditions checks every condition operator and key: operators and
// values as Compile does (IAM User Guide, "IAM JSON policy elements:
// Condition operators"; check "Invalid condition operator"), keys against
// the global keys and the Service Authorization Reference (checks "Invalid
// global condition key", "Invalid service condition key", "Unsupported
// action for condition key", "Data type mismatch"), and set operators
// against the key's type (IAM User Guide, "Single-valued vs. multivalued
// context keys").
func (v *validator) checkConditions(s *Statement, n *node) {
	cn := child(n, "Condition")
	acts := statementActions(s)
	for _, op := range s.Condition {
		on := child(cn, op.Operator)
		po, err := parseOperator(op.Operator)
		if err != nil {
			v.invalidCondition = true
			v.add(SeverityError, "INVALID_CONDITION", pathOf(on), "%s", err)
			continue
		}
		for _, k := range op.Keys {
			path := pathOf(child(on, k.Key))
			if _, err := compileCondition(po, k.Key, k.Values, v.doc.UsesVariables(), path); err != nil {
				v.invalidCondition = true
				_, msg := located(err)
				v.add(SeverityError, "INVALID_CONDITION", path, "%s", msg)
			}
			v.checkKey(s, acts, po, op.Operator, k.Key, path)
			// IAM User Guide, "Single-valued vs. multivalued context keys":
			// ForAllValues returns true when the key is absent from the
			// request, so with Allow it grants access to requests without it.
			if s.Effect == Allow && po.set == setAllValues && !requiresKey(s, k.Key) {
				v.add(SeveritySecurityWarning, "FORALLVALUES_WITH_ALLOW", path, "%s also matches requests without %s; add \"Null\": {%q: \"false\"} to require it", op.Operator, k.Key, k.Key)
			}
		}
	}
}

// checkKey checks one condition key: that it exists, that the statement's
// actions support it, and that the operator fits its type.
func (v *validator) checkKey(s *Statement, acts []*ActionInfo, po parsedOperator, opName, key, path string) {
	lk := strings.ToLower(key)
	prefix, _, _ := strings.Cut(lk, ":")
	typ, known := KeyType(key)
	if !known {
		switch {
		case strings.HasPrefix(lk, "batch:resourcetag/"):
			_, tag, _ := strings.Cut(key, "/")
			v.add(SeverityWarning, "UNKNOWN_CONDITION_KEY", path, "AWS's Service Authorization Reference lists only aws:ResourceTag/${TagKey} for AWS Batch, not %s; use aws:ResourceTag/%s", key, tag)
		case prefix == "aws" || isServed(prefix):
			v.add(SeverityError, "UNKNOWN_CONDITION_KEY", path, "%s is not a global condition key nor a key of a service batchd serves", key)
		}
		return
	}
	if acts != nil && !slices.ContainsFunc(acts, func(a *ActionInfo) bool { return a.SupportsKey(key) }) {
		v.add(SeverityWarning, "UNKNOWN_CONDITION_FOR_ACTION", path, "none of the statement's actions (%s) supports condition key %s, so the condition never matches a request for them", strings.Join(s.Action, ", "), key)
	}
	elem, multi := strings.CutPrefix(typ, "ArrayOf")
	if ot := operatorType(po.info.kind); !typeFits(ot, elem, lk) {
		v.add(SeverityWarning, "MISMATCHED_TYPE", path, "%s compares %s values but %s is of type %s", opName, ot, key, typ)
	}
	switch {
	case multi && po.set == setNone && po.info.kind != opNull:
		v.add(SeverityWarning, "MISSING_SET_OPERATOR", path, "%s is multivalued (%s): use ForAnyValue: or ForAllValues: with %s", key, typ, opName)
	case !multi && po.set != setNone:
		v.add(SeverityWarning, "SET_OPERATOR_ON_SINGLE_VALUED_KEY", path, "%s is single-valued: %s behaves unexpectedly with it; drop the set operator", key, opName)
	}
}

// typeFits reports whether an operator of type op can compare a key whose
// (element) type is key (IAM User Guide, "IAM JSON policy elements: Condition
// operators"; string operators also compare ARNs, and aws:EpochTime takes
// numeric operators too).
func typeFits(op, key, lowerKey string) bool {
	switch op {
	case "Null":
		return true
	case "String":
		return key == "String" || key == "ARN"
	case "Numeric":
		return key == "Numeric" || lowerKey == "aws:epochtime"
	}
	return op == key
}

func isServed(prefix string) bool {
	_, ok := Service(prefix)
	return ok
}

// statementActions lists the catalog actions of a statement's Action, or nil
// when the statement may apply to actions outside the catalog (NotAction,
// "*", another service's action) so that condition support cannot be judged.
func statementActions(s *Statement) []*ActionInfo {
	if s.NotAction != nil {
		return nil
	}
	var out []*ActionInfo
	for _, a := range s.Action {
		if a == "*" {
			return nil
		}
		exp, served := ExpandAction(a)
		if !served {
			return nil
		}
		out = append(out, exp...)
	}
	return out
}

func hasConditionKey(s *Statement, key string) bool {
	for _, op := range s.Condition {
		for _, k := range op.Keys {
			if strings.EqualFold(k.Key, key) {
				return true
			}
		}
	}
	return false
}

// requiresKey reports whether s also has "Null": {key: "false"}.
func requiresKey(s *Statement, key string) bool {
	for _, op := range s.Condition {
		if op.Operator != "Null" {
			continue
		}
		for _, k := range op.Keys {
			if strings.EqualFold(k.Key, key) && len(k.Values) == 1 && strings.EqualFold(k.Values[0], "false") {
				return true
			}
		}
	}
	return false
}

// checkVariables reports policy variables that name no known key (IAM User
// Guide, "IAM policy elements: Variables and tags"). Only the global keys and
// the keys of the services batchd serves are known, so variables of other
// prefixes (ec2:SourceInstanceARN, saml:sub) are left alone.
func (v *validator) checkVariables(i int) {
	for _, st := range v.variableSites(i) {
		for _, key := range variableKeys(st.text) {
			prefix, _, found := strings.Cut(strings.ToLower(key), ":")
			if _, known := KeyType(key); known || (found && prefix != "aws" && !isServed(prefix)) {
				continue
			}
			v.add(SeverityWarning, "UNKNOWN_POLICY_VARIABLE", st.path, "policy variable ${%s} names no known condition key; unless it has a default, a value that uses it never matches", key)
		}
	}
}

// variableKeys lists the keys of the policy variables in s, as written.
func variableKeys(s string) []string {
	var keys []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return keys
		}
		s = s[i+2:]
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return keys
		}
		if t, ok := parseVariable(s[:end]); ok && t.kind == tokVar {
			key, _, _ := strings.Cut(s[:end], ",")
			keys = append(keys, strings.TrimSpace(key))
		}
		s = s[end+1:]
	}
}

// checkRedundantStatements reports statements that repeat an earlier one
// (policy validation check "Redundant statement").
func (v *validator) checkRedundantStatements() {
	seen := map[string]int{}
	for i := range v.doc.Statements {
		key := statementKey(&v.doc.Statements[i])
		if j, dup := seen[key]; dup {
			v.add(SeveritySuggestion, "REDUNDANT_STATEMENT", v.stmts[i].path, "the statement repeats the one at %s (same effect, actions, resources, principals and conditions); remove one", v.stmts[j].path)
			continue
		}
		seen[key] = i
	}
}

// statementKey describes what a statement grants, independent of order,
// repeats, Sid and the case of action and key names.
func statementKey(s *Statement) string {
	var b strings.Builder
	set := func(tag string, vals []string, fold bool) {
		if vals == nil {
			return
		}
		vs := slices.Clone(vals)
		if fold {
			for i := range vs {
				vs[i] = strings.ToLower(vs[i])
			}
		}
		slices.Sort(vs)
		vs = slices.Compact(vs)
		fmt.Fprintf(&b, "%s%q;", tag, vs)
	}
	principal := func(tag string, p *Principal) {
		if p == nil {
			return
		}
		var vals []string
		if p.Wildcard {
			vals = append(vals, "*")
		}
		for _, e := range p.Entries {
			for _, val := range e.Values {
				vals = append(vals, e.Type+"="+val)
			}
		}
		set(tag, vals, false)
	}
	b.WriteString(string(s.Effect) + ";")
	set("A", s.Action, true)
	set("NA", s.NotAction, true)
	set("R", s.Resource, false)
	set("NR", s.NotResource, false)
	principal("P", s.Principal)
	principal("NP", s.NotPrincipal)
	var conds []string
	for _, op := range s.Condition {
		for _, k := range op.Keys {
			vals := slices.Clone(k.Values)
			slices.Sort(vals)
			conds = append(conds, fmt.Sprintf("%s %s %q", op.Operator, strings.ToLower(k.Key), slices.Compact(vals)))
		}
	}
	set("C", conds, false)
	return b.String()
}

// comparePaths orders JSON paths with array indexes compared as numbers, so
// that $.Statement[2] comes before $.Statement[10].
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			na, nb := digitRun(a), digitRun(b)
			x, y := strings.TrimLeft(a[:na], "0"), strings.TrimLeft(b[:nb], "0")
			if c := len(x) - len(y); c != 0 {
				return c
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
			a, b = a[na:], b[nb:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitRun(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// withArticle puts "a" or "an" before a kind name: "an inline-user".
func withArticle(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}
