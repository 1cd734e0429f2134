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

// FuzzParseEventToken: GetLogEvents' tokens parse or are refused, never
// panic; a parsed token prints back to itself.
func FuzzParseEventToken(f *testing.F) {
	for _, seed := range []string{"", "f/", "b/", "f/00000000000001700000000000/0000000001", "x/1", "f/\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		fwd, p, ok := parseEventToken(tok)
		if !ok {
			return
		}
		if back := eventToken(fwd, p); back != tok {
			if _, p2, ok2 := parseEventToken(back); !ok2 || p2 != p {
				t.Fatalf("%q parsed as %v %+v, which prints as %q and does not parse back", tok, fwd, p, back)
			}
		}
	})
}
