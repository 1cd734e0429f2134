package main

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"
)

// convertPattern turns a botocore pattern, a java.util.regex expression,
// into Go's RE2 syntax, anchored so that it must match the whole value: AWS
// checks the pattern against the whole member ("Value 'bad name!' ... must
// satisfy regular expression pattern: [\w+=,.@-]+"), as Java's
// Matcher.matches does.
//
// What differs between the two syntaxes, and what is done about it:
//   - \uXXXX (exactly four hex digits, as Java reads it) becomes \x{XXXX}; a
//     high surrogate escape followed by a low one becomes the code point they
//     encode. A lone surrogate matches nothing in UTF-8 text: refused.
//   - Possessive quantifiers (X*+, X++, X?+, X{n}+) become greedy ones. On a
//     whole-value match this can accept a value Java rejects only for
//     patterns that backtrack into the quantified part, which none of the
//     models' patterns do.
//   - A '-' in a character class right after a class escape ([\w-_]) is a
//     literal in Java and an error in RE2: it is escaped.
//   - Look-around, atomic groups, back-references, class intersections and
//     nested classes have no RE2 form: refused, and the caller skips the
//     pattern.
func convertPattern(java string) (string, error) {
	rs := []rune(java)
	var b strings.Builder
	inClass := false
	afterClassEscape := false // the last class item was \w, \d, \p{..}, ...
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		next := rune(-1)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		wasClassEscape := afterClassEscape
		afterClassEscape = false
		switch {
		case c == '\\':
			if next < 0 {
				return "", fmt.Errorf("trailing backslash")
			}
			switch {
			case next == 'u':
				cp, n, err := javaUnicodeEscape(rs[i:])
				if err != nil {
					return "", err
				}
				fmt.Fprintf(&b, `\x{%X}`, cp)
				i += n - 1
			case next >= '0' && next <= '9':
				return "", fmt.Errorf("back-reference or octal escape \\%c has no RE2 form", next)
			case next == 'p' || next == 'P':
				end := i + 2
				if end < len(rs) && rs[end] == '{' {
					for end < len(rs) && rs[end] != '}' {
						end++
					}
					if end == len(rs) {
						return "", fmt.Errorf("unterminated \\%c{", next)
					}
				}
				b.WriteString(string(rs[i : end+1]))
				i = end
				afterClassEscape = inClass
			case strings.ContainsRune("wWdDsS", next):
				b.WriteRune(c)
				b.WriteRune(next)
				i++
				afterClassEscape = inClass
			case strings.ContainsRune("tnrfaAzbB", next) || !isWordRune(next):
				// The same in both syntaxes (escaped punctuation
				// included).
				b.WriteRune(c)
				b.WriteRune(next)
				i++
			default:
				return "", fmt.Errorf("escape \\%c has no RE2 form", next)
			}
		case inClass:
			switch {
			case c == '[':
				return "", fmt.Errorf("nested character class has no RE2 form")
			case c == '&' && next == '&':
				return "", fmt.Errorf("character class intersection has no RE2 form")
			case c == ']':
				inClass = false
				b.WriteRune(c)
			case c == '-' && wasClassEscape:
				b.WriteString(`\-`)
			default:
				b.WriteRune(c)
			}
		case c == '[':
			inClass = true
			b.WriteRune(c)
			if next == '^' {
				b.WriteRune(next)
				i++
			}
		case c == '(' && next == '?':
			if i+2 < len(rs) {
				switch k := rs[i+2]; {
				case k == '=' || k == '!':
					return "", fmt.Errorf("look-ahead (?%c has no RE2 form", k)
				case k == '>':
					return "", fmt.Errorf("atomic group (?> has no RE2 form")
				case k == '<' && i+3 < len(rs) && (rs[i+3] == '=' || rs[i+3] == '!'):
					return "", fmt.Errorf("look-behind (?<%c has no RE2 form", rs[i+3])
				}
			}
			b.WriteRune(c)
		case (c == '*' || c == '+' || c == '?' || c == '}') && next == '+':
			// Possessive quantifier: keep the greedy one.
			b.WriteRune(c)
			i++
		default:
			b.WriteRune(c)
		}
	}
	if inClass {
		return "", fmt.Errorf("unterminated character class")
	}
	re := "^(?:" + b.String() + ")$"
	if _, err := regexp.Compile(re); err != nil {
		return "", fmt.Errorf("RE2 rejects the converted form: %w", err)
	}
	return re, nil
}

// javaUnicodeEscape reads \uXXXX at the start of rs, and a following \uXXXX
// when the two are a surrogate pair. It returns the code point and the
// number of runes read.
func javaUnicodeEscape(rs []rune) (rune, int, error) {
	hex := func(rs []rune) (rune, bool) {
		if len(rs) < 6 || rs[0] != '\\' || rs[1] != 'u' {
			return 0, false
		}
		var v rune
		for _, c := range rs[2:6] {
			switch {
			case c >= '0' && c <= '9':
				v = v*16 + c - '0'
			case c >= 'a' && c <= 'f':
				v = v*16 + c - 'a' + 10
			case c >= 'A' && c <= 'F':
				v = v*16 + c - 'A' + 10
			default:
				return 0, false
			}
		}
		return v, true
	}
	hi, ok := hex(rs)
	if !ok {
		return 0, 0, fmt.Errorf("malformed \\u escape")
	}
	if !utf16.IsSurrogate(hi) {
		return hi, 6, nil
	}
	if lo, ok := hex(rs[6:]); ok {
		if cp := utf16.DecodeRune(hi, lo); cp != 0xFFFD {
			return cp, 12, nil
		}
	}
	return 0, 0, fmt.Errorf("lone surrogate \\u%04X matches nothing in UTF-8", hi)
}

func isWordRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}
