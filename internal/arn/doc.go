// Package arn owns Amazon Resource Names: parsing, formatting and the wildcard
// matching that IAM applies to the Resource element and to the Arn* condition
// operators.
//
// An ARN has six colon-separated parts, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE;
// the resource part may itself contain colons and slashes. IAM matches a pattern
// against an ARN part by part ("Each of the six colon-delimited components of the
// ARN is checked separately", IAM User Guide, "Amazon Resource Name (ARN)
// condition operators"): a * or ? never crosses from one of the first five parts
// into the next, while inside the resource part a * spans / and : alike.
//
// Everything here is pure and allocation-free on the matching path; it is safe
// for concurrent use.
package arn
