// Package iam owns batchd's identities and their permissions: the account
// and its root, IAM users, groups, roles, managed and inline policies,
// permissions boundaries, access keys, instance profiles and tags, console
// passwords (login profiles, the root's password, the account password
// policy, sign-in), the IAM operations on them (IAM API Reference,
// 2010-05-08), and the Authorizer that every request of every service goes
// through.
//
// The Authorizer resolves a caller (root, user, or role session) to its
// policies — identity-based (own, groups', role's), boundary, session — and
// asks the engine in internal/iam/policy; it never decides by itself.
// Compiled policies are cached by document text and the caller's policy set
// is cached until the next IAM write.
//
// Invariants: every write goes through one store transaction, so a failed
// request changes nothing; secret access keys and session secrets are kept
// encrypted with the server's key (Keyring), never in clear text in the
// store and never in a log line; passwords are kept only as bcrypt hashes,
// checked in constant time, and a sign-in that names nobody costs the same
// hash comparison as a wrong password; names are unique without regard to
// case, as in AWS.
package iam
