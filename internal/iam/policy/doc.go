// Package policy owns IAM policy documents: it parses them (Parse), checks
// them beyond syntax (Validate), compiles them (Compile) and evaluates
// requests against the policies that apply to a caller (Set.Evaluate),
// explaining every decision (Decision.Reasons, Decision.Message,
// Set.Explain). It also ships AWS's managed policies that batchd offers as
// built-ins (Builtin) and the catalog of actions, resource types and
// condition keys of the services batchd serves (LookupAction).
//
// It mirrors the IAM User Guide: "IAM JSON policy element reference",
// "IAM JSON policy elements: Condition operators", "IAM policy elements:
// Variables and tags" and "Policy evaluation logic" (within one account).
//
// Evaluation order, as Set.Evaluate implements it: an explicit Deny in any
// applicable policy wins; the account root is allowed in its own account; a
// resource-based policy naming the caller itself allows on its own; else an
// identity-based Allow (or a resource-based Allow naming the caller's role)
// must be let through by the permissions boundary and the session policies,
// where there are any. Anything else is an implicit deny.
//
// Invariants: compiled policies are immutable and may be shared by any
// number of goroutines; Evaluate is pure, does no I/O, takes no context and
// allocates nothing; nothing here reads the clock — time-dependent keys
// (aws:CurrentTime, aws:EpochTime) come only from the request context.
package policy
