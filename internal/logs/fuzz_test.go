package logs

import (
	"testing"
	"unicode/utf8"
)

// FuzzParsePattern: no filter pattern panics the parser or the matcher.
func FuzzParsePattern(f *testing.F) {
	for _, seed := range []string{
		"",                        // everything
		"ERROR",                   // a term
		`"exact phrase"`,          // a phrase
		"?ERROR ?WARN",            // any of
		"ERROR -DEBUG",            // a term, and not another
		`"unterminated`,           // bad quoting
		"{ $.level = \"error\" }", // JSON patterns (unsupported)
		"[ip, user, ...]",         // space-delimited patterns (unsupported)
		"-", "?", `""`, "\x00\xff",
	} {
		f.Add(seed, "an ERROR in the exact phrase line")
	}
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		p, err := parsePattern(pattern)
		if err != nil {
			return
		}
		p.matches(msg)
		if utf8.ValidString(msg) {
			p.matches(msg + " " + msg)
		}
	})
}

// FuzzDecodeToken: a token is what encodeToken made, or errBadToken; any
// key survives the round trip.
func FuzzDecodeToken(f *testing.F) {
	for _, seed := range []string{"", "a", "group/stream", "AAAA", "!!!", "\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := decodeToken(&s); err == nil && k == "" {
			t.Fatalf("decodeToken(%q) = empty key without error", s)
		}
		if s == "" {
			return
		}
		k, err := decodeToken(encodeToken(s))
		if err != nil || k != s {
			t.Fatalf("round trip of %q: %q, %v", s, k, err)
		}
	})
}
