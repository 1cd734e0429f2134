package arn

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition string
	Service   string
	Region    string
	AccountID string
	Resource  string
}

// ErrMalformed is wrapped by every error Parse returns.
var ErrMalformed = errors.New("malformed ARN")

// Parse splits s into its parts. It requires the "arn" prefix, a partition, a
// service and a resource; region and account may be empty (as in IAM and S3 ARNs).
func Parse(s string) (ARN, error) {
	parts, ok := Split(s)
	if !ok {
		return ARN{}, fmt.Errorf("%w %q: want arn:partition:service:region:account:resource", ErrMalformed, s)
	}
	if parts[0] != "arn" {
		return ARN{}, fmt.Errorf("%w %q: must begin with \"arn:\"", ErrMalformed, s)
	}
	a := ARN{Partition: parts[1], Service: parts[2], Region: parts[3], AccountID: parts[4], Resource: parts[5]}
	switch {
	case a.Partition == "":
		return ARN{}, fmt.Errorf("%w %q: empty partition", ErrMalformed, s)
	case a.Service == "":
		return ARN{}, fmt.Errorf("%w %q: empty service", ErrMalformed, s)
	case a.Resource == "":
		return ARN{}, fmt.Errorf("%w %q: empty resource", ErrMalformed, s)
	}
	return a, nil
}

// String formats the ARN.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.AccountID + ":" + a.Resource
}

// Split cuts s into its six colon-separated parts without allocating. The sixth
// part keeps any further colons. ok is false when s has fewer than six parts.
func Split(s string) (parts [6]string, ok bool) {
	rest := s
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return parts, false
		}
		parts[i] = rest[:j]
		rest = rest[j+1:]
	}
	parts[5] = rest
	return parts, true
}

// Match reports whether value matches pattern the way IAM matches a Resource
// element or an ArnLike condition: "*" alone matches anything; otherwise both
// are split into six parts, each of the first five is matched on its own and
// the resource part as a whole, with * matching any run of characters and ?
// exactly one. Matching is case-sensitive. A pattern shorter than six parts
// matches only as a prefix pattern ending in * ("arn:aws:*"), against the
// whole value; any other short pattern matches nothing.
func Match(pattern, value string) bool {
	if pattern == "*" {
		return true
	}
	pp, ok := Split(pattern)
	if !ok {
		return strings.HasSuffix(pattern, "*") && Glob(pattern, value)
	}
	vp, ok := Split(value)
	if !ok {
		return false
	}
	for i := range pp {
		if !Glob(pp[i], vp[i]) {
			return false
		}
	}
	return true
}

// Glob reports whether s matches pattern, where * matches any sequence of
// characters (including none) and ? matches exactly one character. It is
// case-sensitive and does not allocate.
func Glob(pattern, s string) bool {
	return glob(pattern, s, false)
}

// GlobFold is Glob with ASCII-and-Unicode simple case folding, as IAM applies
// to action names.
func GlobFold(pattern, s string) bool {
	return glob(pattern, s, true)
}

func glob(p, s string, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for pi < len(p) || si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					pi++
					si += n
					continue
				}
			default:
				if si < len(s) {
					if c < utf8.RuneSelf && s[si] < utf8.RuneSelf {
						if c == s[si] || (fold && lowerASCII(c) == lowerASCII(s[si])) {
							pi++
							si++
							continue
						}
					} else {
						pr, pn := utf8.DecodeRuneInString(p[pi:])
						sr, sn := utf8.DecodeRuneInString(s[si:])
						if pr == sr || (fold && strings.EqualFold(p[pi:pi+pn], s[si:si+sn])) {
							pi += pn
							si += sn
							continue
						}
					}
				}
			}
		}
		if starP >= 0 && starS < len(s) {
			_, n := utf8.DecodeRuneInString(s[starS:])
			starS += n
			pi, si = starP+1, starS
			continue
		}
		return false
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
