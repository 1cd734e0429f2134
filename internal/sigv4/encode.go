package sigv4

const upperHex = "0123456789ABCDEF"

// unreserved marks RFC 3986's unreserved characters, A-Z a-z 0-9 - . _ ~,
// the only bytes SigV4's URI encoding leaves as they are.
var unreserved = func() (t [256]bool) {
	for c := range 256 {
		t[c] = 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
	}
	return t
}()

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// validEscapes reports whether every % in s starts a two-digit hex escape.
func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+2 >= len(s) {
				return false
			}
			if _, ok := unhex(s[i+1]); !ok {
				return false
			}
			if _, ok := unhex(s[i+2]); !ok {
				return false
			}
			i += 2
		}
	}
	return true
}

// appendUnescaped appends the query component s decoded as url.QueryUnescape
// does ('+' is a space). A component with a malformed escape is appended
// as it is, so that the result is still defined.
func appendUnescaped(dst []byte, s string) []byte {
	if !validEscapes(s) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			dst = append(dst, ' ')
		case '%':
			hi, _ := unhex(s[i+1])
			lo, _ := unhex(s[i+2])
			dst = append(dst, hi<<4|lo)
			i += 2
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// unescapeString decodes a query component, returning s itself when there is
// nothing to decode.
func unescapeString(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '+' {
			return string(appendUnescaped(make([]byte, 0, len(s)), s))
		}
	}
	return s
}

// appendEncoded appends s URI-encoded as SigV4 requires: every byte but the
// unreserved ones as %XX with upper-case hex, a space as %20
// ("Create a signed AWS API request", step 1, "UriEncode"). With keepSlash,
// '/' stays as it is (path encoding).
func appendEncoded[T string | []byte](dst []byte, s T, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] || keepSlash && c == '/' {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}
