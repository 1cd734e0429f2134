// Package console is batchd's web console: server-rendered pages under
// /console/, embedded in the binary, where a person signs in with an IAM
// user's (or the account root's) password and sees and does exactly what
// that identity's policies allow.
//
// Every page fetches its data as the signed-in principal through the same
// operation tables, authorizer and audit trail as the API (API.Invoke):
// the console has no access of its own. A denied page shows AWS's
// AccessDenied wording and, when the user may call
// sts:DecodeAuthorizationMessage, the decoded reasons.
//
// Sessions: a 256-bit random token in an HttpOnly, SameSite=Strict cookie
// (Secure under TLS) scoped to /console/, valid for 12 hours, as an AWS
// console session of an IAM user. The session is kept by a SessionStore
// under the token's SHA-256 (the token itself is kept nowhere): batchd
// keeps them in its store, so every replica knows them and they outlive a
// restart; without one, in memory. Every form carries the session's CSRF
// token, compared in constant time; the sign-in form a token of its own
// cookie. Failed sign-ins are rate-limited per user name and per source
// address (by each replica), and every sign-in, failed or not, is
// recorded in the audit trail as CloudTrail's ConsoleLogin event.
package console
