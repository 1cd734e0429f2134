// Package sigv4 owns the verification of AWS Signature Version 4 on incoming
// HTTP requests: reading the signature a request carries (Parse), and
// checking it against the caller's secret (Verifier.Verify), with the error
// codes, messages and HTTP statuses AWS's Query services (IAM, STS) answer.
//
// It mirrors AWS's "Signature Version 4 signing process" / "Create a signed
// AWS API request" and, for presigned URLs, "Authenticating Requests: Using
// Query Parameters". Verification rebuilds the canonical request exactly as
// AWS and the AWS SDK signers do:
//
//   - the method;
//   - the URI path as sent, URI-encoded once more (so each segment is
//     encoded twice; Amazon S3 alone signs it as sent), "/" when empty;
//   - the query string, each name and value decoded then URI-encoded
//     (RFC 3986, %20 for a space), sorted by name then value, without
//     X-Amz-Signature when presigned;
//   - the signed headers, lower-case names, values trimmed with runs of
//     spaces made one, several values joined by ","; host is r.Host;
//   - the payload hash (see Verifier.Verify).
//
// The string to sign is AWS4-HMAC-SHA256, the request time, the credential
// scope DATE/REGION/SERVICE/aws4_request and the canonical request's hash.
//
// Invariants:
//   - Parse and Verify return nil or an *Error, nothing else, and never panic
//     on any input.
//   - No error message holds a secret: not the secret key, not a session
//     token, not the canonical request (which may contain one). At most they
//     repeat the SigV4 Authorization header, which holds none; another
//     scheme's credentials are cut off.
//   - Signatures are compared in constant time (crypto/hmac.Equal).
//   - A Verifier is safe for concurrent use. Derived signing keys are cached
//     per access key, date, region, service and a keyed fingerprint of the
//     secret, in a bounded map, so a warm verification costs SHA-256 of the
//     body and of the canonical request plus one HMAC, and allocates nothing.
//
// Check order follows AWS's (as its Coral front end answers): missing parts,
// date format, algorithm, credential shape (Parse, IncompleteSignature); then
// clock skew or expiry, host signed, credential scope (Verifier.Validate,
// SignatureDoesNotMatch or RequestExpired); the caller looks up the access
// key in between; last the signature itself. errors.go lists each code and
// message with its source.
package sigv4
