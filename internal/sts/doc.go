// Package sts owns temporary credentials: AssumeRole (the role's trust
// policy evaluated by the engine, session policies, session tags and
// transitive tags, source identity), GetSessionToken, GetFederationToken,
// GetCallerIdentity, GetAccessKeyInfo and DecodeAuthorizationMessage, as the
// AWS STS API Reference (2011-06-15) describes them.
//
// A session is stored by iam (iam.Session) with its secret sealed and only
// a digest of its token; what a session may do is decided by iam's
// Authorizer from the role's policies and the session's own.
package sts
