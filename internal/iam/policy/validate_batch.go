package policy

import (
	"fmt"
	"slices"
	"strings"

	"batchd/internal/arn"
)

// The checks in this file find identity-based statements that can never let
// an AWS Batch call through, from the rules AWS Batch's own documentation
// gives; IAM Access Analyzer has no such checks. Each finding's message
// names the AWS page it follows.

// The AWS pages the Batch checks follow.
const (
	docRestrictQueue = `AWS Batch User Guide, "Resource: Restrict to a job queue"`
	docRevisions     = `AWS Batch User Guide, "Resource: Restrict to job definition prefix on job submission", section "Accounting for job definition revisions"`
	docTagSubmit     = `AWS Batch User Guide, "Resource: Restrict job submission by resource tags on job definition and job queue"`
)

// checkBatch runs the Batch checks on an identity-based document.
func (v *validator) checkBatch() {
	if !v.kind.identity() {
		return
	}
	v.checkSubmitJobTargets()
	for i := range v.doc.Statements {
		s, n := &v.doc.Statements[i], v.stmts[i]
		if s.Effect != Allow {
			continue
		}
		if allowsSubmitJob(s) {
			v.checkRevisionlessDefinitions(s, n)
		}
		if allowsPassRole(s) {
			v.checkPassedToService(s, n)
		}
		v.checkResourceTypes(s, n)
	}
}

// allowsSubmitJob reports whether s, an Allow statement, grants
// batch:SubmitJob (by name, by a wildcard such as batch:* or
// batch:Submit*, or by a NotAction that leaves it out).
func allowsSubmitJob(s *Statement) bool {
	submit := func(p string) bool { return actionMatches(p, "batch", "submitjob") }
	if s.NotAction != nil {
		return !slices.ContainsFunc(s.NotAction, submit)
	}
	return slices.ContainsFunc(s.Action, submit)
}

// checkSubmitJobTargets reports a document whose grants of batch:SubmitJob
// reach job queues but no job definition, or job definitions but no job
// queue: AWS authorizes SubmitJob on both (docRestrictQueue: "When scoping
// resource-level access for job submission, you must provide both job queue
// and job definition resource types"), and so does batchd. All the
// document's Allow statements count together, since each resource of a
// request may be allowed by a different statement (docTagSubmit does so).
// Deny statements and conditions are not weighed: the check only reports
// what no request can get past.
func (v *validator) checkSubmitJobTargets() {
	first := -1
	var queue, def bool
	for i := range v.doc.Statements {
		s := &v.doc.Statements[i]
		if s.Effect != Allow || !allowsSubmitJob(s) || s.Resource == nil && s.NotResource == nil {
			continue // without either, MISSING_RESOURCE
		}
		if first < 0 {
			first = i
		}
		queue = queue || reaches(s, "batch", "job-queue/")
		def = def || reaches(s, "batch", "job-definition/")
	}
	if first < 0 {
		return
	}
	s, n := &v.doc.Statements[first], v.stmts[first]
	path := pathOf(child(n, "Resource"))
	if s.NotResource != nil {
		path = pathOf(child(n, "NotResource"))
	}
	const both = "AWS authorizes SubmitJob on the job queue and on the job definition, so no SubmitJob request is allowed; when scoping resource-level access for job submission, provide both job queue and job definition resource types (" + docRestrictQueue + ")"
	if !queue {
		v.add(SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_QUEUE", path, "the policy allows batch:SubmitJob on no job queue (arn:${Partition}:batch:${Region}:${Account}:job-queue/${JobQueueName}): %s", both)
	}
	if !def {
		v.add(SeverityWarning, "SUBMIT_JOB_WITHOUT_JOB_DEFINITION", path, "the policy allows batch:SubmitJob on no job definition (arn:${Partition}:batch:${Region}:${Account}:job-definition/${JobDefinitionName}:${Revision}): %s", both)
	}
}

// reaches reports whether statement s may match some ARN of service whose
// resource part starts with prefix. It errs towards true: only a statement
// that can match no such ARN is reported.
func reaches(s *Statement, service, prefix string) bool {
	if s.NotResource != nil {
		// Allow with NotResource matches every resource its list leaves
		// out: it reaches the type unless one value covers all of it.
		return !slices.ContainsFunc(s.NotResource, func(r string) bool { return coversAll(r, service, prefix) })
	}
	return slices.ContainsFunc(s.Resource, func(r string) bool { return mayMatch(r, service, prefix) })
}

// mayMatch reports whether Resource value r may match an ARN of service
// whose resource part starts with prefix. A policy variable may stand for
// anything, and a value that is not six parts long (a prefix pattern such
// as "arn:aws:*", or a MALFORMED_ARN) is taken to match.
func mayMatch(r, service, prefix string) bool {
	if r == "*" {
		return true
	}
	parts, ok := splitOutsideVars(r)
	if !ok {
		return true
	}
	if !strings.Contains(parts[2], "${") && !matchesService(parts[2], service) {
		return false
	}
	res := parts[5]
	lit := literalPrefix(res)
	if lit == res { // no wildcard: the whole resource part is literal
		return strings.HasPrefix(res, prefix)
	}
	return strings.HasPrefix(lit, prefix) || strings.HasPrefix(prefix, lit)
}

// coversAll reports whether value r matches every ARN of service whose
// resource part starts with prefix, in any region and account. The
// partition is not weighed: a principal acts in its own partition only.
func coversAll(r, service, prefix string) bool {
	if r == "*" {
		return true
	}
	if strings.Contains(r, "${") {
		return false
	}
	parts, ok := arn.Split(r)
	if !ok || parts[3] != "*" || parts[4] != "*" {
		return false
	}
	if !matchesService(parts[2], service) {
		return false
	}
	lit, ok := strings.CutSuffix(parts[5], "*")
	return ok && literalPrefix(lit) == lit && strings.HasPrefix(prefix, lit)
}

// matchesService reports whether the service part of an ARN pattern
// matches service.
func matchesService(part, service string) bool {
	p := compilePattern(part, true, false)
	return p.match(service, nil, false)
}

// literalPrefix is the part of pattern p before its first wildcard or
// policy variable.
func literalPrefix(p string) string {
	if i := strings.IndexAny(p, "*?"); i >= 0 {
		p = p[:i]
	}
	if i := strings.Index(p, "${"); i >= 0 {
		p = p[:i]
	}
	return p
}

// checkRevisionlessDefinitions looks at the job definitions of a statement
// that allows batch:SubmitJob. A definition named without revision or
// wildcard matches only the unversioned ARN job-definition/NAME, which
// AWS's revisions section says SubmitJob requests never carry, while its
// tags page says a submission that names no revision is authorized without
// the definition's tags. A statement that matches unversioned ARNs and
// conditions on aws:ResourceTag is the second case: its tag check is
// skipped by such a submission, which job-definition/*:* would refuse.
func (v *validator) checkRevisionlessDefinitions(s *Statement, n *node) {
	rn := child(n, "Resource")
	for j, r := range s.Resource {
		name, ok := revisionlessDefinition(r)
		if !ok || slices.ContainsFunc(s.Resource, func(o string) bool { return o != r && arn.Match(o, r+":1") }) {
			continue
		}
		v.add(SeverityWarning, "JOB_DEFINITION_WITHOUT_REVISION", valuePath(rn, j),
			"%q names job definition %s without a revision or wildcard: it does not match SubmitJob requests, whose job definition ARN includes the revision (%s), except a submission that names no revision, which is then allowed without the job definition's tags being evaluated (%s); use %q to match every revision",
			r, name, docRevisions, docTagSubmit, r+":*")
	}
	if !hasTagCondition(s, "aws:resourcetag/") {
		return
	}
	for j, r := range s.Resource {
		if _, named := revisionlessDefinition(r); named || !mayMatchUnversioned(r) {
			continue
		}
		v.add(SeverityWarning, "JOB_DEFINITION_TAGS_SKIPPED_WITHOUT_REVISION", valuePath(rn, j),
			"%q also matches job definitions without a revision (job-definition/NAME), and a submission that names no revision is authorized without the job definition's tags, so this statement's aws:ResourceTag condition can be bypassed; a resource such as arn:aws:batch:*:*:job-definition/*:* requires submissions to include a revision (%s)",
			r, docTagSubmit)
	}
}

// revisionlessDefinition reports whether r is a job definition ARN naming
// one definition without revision or wildcard, job-definition/NAME (other
// parts may be patterns), and returns NAME.
func revisionlessDefinition(r string) (string, bool) {
	parts, ok := splitOutsideVars(r)
	if !ok || !strings.Contains(parts[2], "${") && !matchesService(parts[2], "batch") {
		return "", false
	}
	name, ok := strings.CutPrefix(parts[5], "job-definition/")
	if !ok || name == "" || strings.ContainsAny(name, ":/*?") || strings.Contains(name, "${") {
		return "", false
	}
	return name, true
}

// mayMatchUnversioned reports whether Resource value r may match an
// unversioned job definition ARN, job-definition/NAME: it reaches job
// definitions and has no colon after "job-definition/" outside policy
// variables. Wildcards match names without colons.
func mayMatchUnversioned(r string) bool {
	if !mayMatch(r, "batch", "job-definition/") {
		return false
	}
	parts, ok := splitOutsideVars(r)
	if !ok {
		return true
	}
	res := parts[5]
	for {
		i := strings.Index(res, "${")
		if i < 0 {
			break
		}
		end := strings.IndexByte(res[i:], '}')
		if end < 0 {
			break
		}
		res = res[:i] + "*" + res[i+end+1:]
	}
	return !strings.Contains(res, ":")
}

// hasTagCondition reports whether s has a condition on a key starting with
// lower-case prefix, such as "aws:resourcetag/".
func hasTagCondition(s *Statement, prefix string) bool {
	for _, op := range s.Condition {
		for _, k := range op.Keys {
			if strings.HasPrefix(strings.ToLower(k.Key), prefix) {
				return true
			}
		}
	}
	return false
}

// batchPrincipals are the service principals AWS Batch passes roles to,
// with the AWS Batch User Guide page of each role.
var batchPrincipals = []struct{ principal, page string }{
	{"batch.amazonaws.com", "AWS Batch service IAM role"},
	{"ec2.amazonaws.com", "Amazon ECS instance role"},
	{"ecs-tasks.amazonaws.com", "Task execution IAM role"},
	{"spotfleet.amazonaws.com", "Amazon EC2 spot fleet role"},
}

const docPassRole = `IAM User Guide, "Grant a user permissions to pass a role to an AWS service"`

// checkPassedToService looks at the iam:PassedToService values of an Allow
// statement that grants iam:PassRole. The key holds the service principal
// the role is passed to (docPassRole), as AWS Batch sends it: a value that
// is a Batch principal misspelled, without its domain or in another case
// under a case-sensitive operator never matches a role passed for AWS
// Batch. Values near no Batch principal are left alone: they may name
// another service.
func (v *validator) checkPassedToService(s *Statement, n *node) {
	cn := child(n, "Condition")
	for _, op := range s.Condition {
		po, err := parseOperator(op.Operator)
		if err != nil || operatorType(po.info.kind) != "String" || po.info.negate {
			continue
		}
		fold := po.info.kind == opStringEqualsIgnoreCase
		for _, k := range op.Keys {
			if !strings.EqualFold(k.Key, "iam:PassedToService") {
				continue
			}
			kn := child(child(cn, op.Operator), k.Key)
			for j, val := range k.Values {
				if msg := passedToServiceProblem(val, op.Operator, fold); msg != "" {
					v.add(SeverityWarning, "PASSED_TO_SERVICE_NOT_A_BATCH_PRINCIPAL", valuePath(kn, j), "iam:PassedToService %q %s", val, msg)
				}
			}
		}
	}
}

// passedToServiceProblem says why value, compared by operator opName
// (case-insensitively when fold), never matches a principal of batchPrincipals though it is meant to;
// "" when it matches one or is near none.
func passedToServiceProblem(value, opName string, fold bool) string {
	if strings.ContainsAny(value, "*?") || strings.Contains(value, "${") {
		return ""
	}
	label, domain, _ := strings.Cut(value, ".")
	for _, bp := range batchPrincipals {
		if value == bp.principal || value == bp.principal+".cn" {
			return ""
		}
	}
	for _, bp := range batchPrincipals {
		want, _, _ := strings.Cut(bp.principal, ".")
		cite := fmt.Sprintf("(%s; AWS Batch User Guide, %q)", docPassRole, bp.page)
		switch {
		case strings.EqualFold(value, bp.principal) || strings.EqualFold(value, bp.principal+".cn"):
			if fold {
				return ""
			}
			return fmt.Sprintf("differs in case from the service principal %s, and %s compares case-sensitively, so it never matches a role passed to it %s", bp.principal, opName, cite)
		case label == want && domain != "amazonaws.com" && domain != "amazonaws.com.cn":
			return fmt.Sprintf("is not a service principal: AWS Batch passes the role to %s %s", bp.principal, cite)
		case len(want) >= 5 && label != want && editDistance(strings.ToLower(label), want) <= 2 &&
			(domain == "" || strings.HasSuffix(domain, "amazonaws.com") || strings.HasSuffix(domain, "amazonaws.com.cn")):
			return fmt.Sprintf("is no service principal AWS Batch passes a role to; did you mean %s? %s", bp.principal, cite)
		}
	}
	return ""
}

// checkResourceTypes reports Resource values that no resource type of the
// statement's actions can match, from the catalog (Service Authorization
// Reference, "Actions, resources, and condition keys for ..."): the
// statement then allows none of its actions on them. Actions without
// resource types are authorized on "*" only. Statements with actions outside
// the catalog are not judged.
func (v *validator) checkResourceTypes(s *Statement, n *node) {
	acts := statementActions(s)
	if acts == nil || s.Resource == nil {
		return
	}
	rn := child(n, "Resource")
	for j, r := range s.Resource {
		if r == "*" || slices.ContainsFunc(acts, func(a *ActionInfo) bool { return actionMayMatch(a, r) }) {
			continue
		}
		var types []string
		var names []string
		for _, a := range acts {
			if si, ok := Service(a.Service); ok && !slices.Contains(names, si.Name) {
				names = append(names, si.Name)
			}
			if len(a.Resources) == 0 && !slices.Contains(types, `"*"`) {
				types = append(types, `"*"`)
			}
			for _, t := range a.Resources {
				if !slices.Contains(types, t.Type) {
					types = append(types, t.Type)
				}
			}
		}
		slices.Sort(types)
		msg := fmt.Sprintf("%q is of no resource type the statement's actions (%s) are authorized on (%s), so the statement allows none of them on it (Service Authorization Reference, \"Actions, resources, and condition keys for %s\")",
			r, strings.Join(s.Action, ", "), strings.Join(types, ", "), strings.Join(names, `", "`))
		if slices.ContainsFunc(acts, func(a *ActionInfo) bool { return a.Service == "iam" && a.Name == "PassRole" }) && mayMatch(r, "iam", "instance-profile/") {
			msg += `; iam:PassRole is authorized on the role in an instance profile, such as a compute environment's instanceRole, not on the profile (IAM User Guide, "Use an IAM role to grant permissions to applications running on Amazon EC2 instances")`
		}
		v.add(SeverityWarning, "RESOURCE_TYPE_MISMATCH", valuePath(rn, j), "%s", msg)
	}
}

// actionMayMatch reports whether Resource value r may match an ARN of one
// of a's resource types.
func actionMayMatch(a *ActionInfo, r string) bool {
	si, ok := Service(a.Service)
	if !ok {
		return true
	}
	for _, t := range a.Resources {
		rt, ok := si.ResourceTypes[t.Type]
		if !ok {
			return true
		}
		parts, ok := arn.Split(rt.ARN)
		if !ok || mayMatch(r, parts[2], literalPrefix(parts[5])) {
			return true
		}
	}
	return false
}
