package iam

import (
	"errors"
	"slices"
	"sort"
	"strings"

	"batchd/internal/iam/policy"
)

// Page is a page of a listing: IAM's Marker/MaxItems/IsTruncated.
type Page struct {
	Marker   string
	MaxItems int // 0: AWS's default of 100
}

// paginate cuts items (already in order) to one page. The marker is the
// index of the next item, as text, so that it stays valid for a stable
// listing.
func paginate[T any](items []T, p Page) (page []T, next string, truncated bool, err error) {
	start := 0
	if p.Marker != "" {
		n, ok := parseMarker(p.Marker)
		if !ok || n > len(items) {
			return nil, "", false, invalidInput("Invalid Marker.")
		}
		start = n
	}
	max := p.MaxItems
	if max <= 0 {
		max = 100
	}
	end := start + max
	if end >= len(items) {
		return items[start:], "", false, nil
	}
	return items[start:end], formatMarker(end), true, nil
}

const markerPrefix = "batchd1:"

func formatMarker(n int) string { return markerPrefix + itoa(n) }

func parseMarker(m string) (int, bool) {
	s, ok := strings.CutPrefix(m, markerPrefix)
	if !ok || s == "" {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1<<30 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// normPath applies IAM's default path "/" and checks the path's shape.
func normPath(p string) (string, error) {
	if p == "" {
		return "/", nil
	}
	if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") {
		return "", errorf(CodeValidationError, "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	return p, nil
}

// checkPolicyDocument applies what IAM checks when a policy is stored:
// grammar (MalformedPolicyDocument with the engine's message), elements
// required or forbidden where the policy is used, and the size quota
// (LimitExceeded). It does not reject unknown actions, as IAM does not.
func checkPolicyDocument(doc string, kind policy.DocKind, owner string) error {
	if _, err := policy.Load("document", []byte(doc)); err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return errorf(CodeMalformedPolicy, "%s", pe.Error())
		}
		return errorf(CodeMalformedPolicy, "Syntax errors in policy.")
	}
	for _, f := range policy.Validate([]byte(doc), kind) {
		if f.Severity != policy.SeverityError {
			continue
		}
		switch f.Code {
		case "POLICY_SIZE_EXCEEDED":
			return limitExceeded("Maximum policy size exceeded for %s: %s", owner, f.Message)
		case "PRINCIPAL_NOT_ALLOWED", "MISSING_RESOURCE", "MISSING_PRINCIPAL", "INVALID_SID", "INVALID_PRINCIPAL", "MALFORMED_ARN", "INVALID_CONDITION", "SYNTAX_ERROR":
			return errorf(CodeMalformedPolicy, "%s: %s", f.Path, f.Message)
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// findFold finds name in names regardless of case.
func findFold(names []string, name string) int {
	return slices.IndexFunc(names, func(n string) bool { return strings.EqualFold(n, name) })
}

// mergeTags adds or replaces tags by key (keys compare without case, as
// IAM's do), keeping at most 50.
func mergeTags(have, add []Tag) ([]Tag, error) {
	out := slices.Clone(have)
	for _, t := range add {
		i := slices.IndexFunc(out, func(h Tag) bool { return strings.EqualFold(h.Key, t.Key) })
		if i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	if len(out) > 50 {
		return nil, limitExceeded("The number of tags has reached the maximum limit.")
	}
	return out, nil
}

func removeTags(have []Tag, keys []string) []Tag {
	return slices.DeleteFunc(slices.Clone(have), func(t Tag) bool {
		return slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, t.Key) })
	})
}

// Paginate cuts an ordered listing to one page, for the wire layer's lists
// that the domain returns whole.
func Paginate[T any](items []T, p Page) ([]T, string, bool, error) { return paginate(items, p) }
