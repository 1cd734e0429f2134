package policy

import (
	"strings"
	"unicode/utf8"

	"batchd/internal/arn"
)

// tokKind is the kind of one piece of a compiled pattern.
type tokKind uint8

const (
	tokLit   tokKind = iota // literal text
	tokStar                 // * : any run of characters
	tokQmark                // ? : one character
	tokVar                  // ${key} or ${key, 'default'}: the key's single value, literally
)

type token struct {
	kind   tokKind
	text   string // literal text, or the lower-cased key of a variable
	def    string // default of a variable
	hasDef bool
}

// pattern is a compiled string pattern: literals, wildcards and policy
// variables. A pattern without variables or wildcards is a plain literal and
// compares with one string comparison.
type pattern struct {
	toks []token
	lit  string // the whole text when plain
	// plain reports that toks is one literal (or empty).
	plain bool
}

// compilePattern reads s. wild makes * and ? wildcards (String*Like, ARN
// operators, Resource); vars makes ${...} a policy variable (2012-10-17).
// ${*}, ${?} and ${$} stand for the literal characters.
func compilePattern(s string, wild, vars bool) pattern {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: tokLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if vars && c == '$' && i+1 < len(s) && s[i+1] == '{' {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				body := s[i+2 : i+2+end]
				if t, ok := parseVariable(body); ok {
					if t.kind == tokLit {
						lit.WriteString(t.text)
					} else {
						flush()
						toks = append(toks, t)
					}
					i += end + 3
					continue
				}
			}
		}
		if wild && (c == '*' || c == '?') {
			flush()
			if c == '*' {
				if n := len(toks); n == 0 || toks[n-1].kind != tokStar {
					toks = append(toks, token{kind: tokStar})
				}
			} else {
				toks = append(toks, token{kind: tokQmark})
			}
			i++
			continue
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	p := pattern{toks: toks}
	switch {
	case len(toks) == 0:
		p.plain = true
	case len(toks) == 1 && toks[0].kind == tokLit:
		p.plain, p.lit = true, toks[0].text
	}
	return p
}

// parseVariable reads the inside of ${...}: a special character, or a key
// with an optional default in single quotes.
func parseVariable(body string) (token, bool) {
	switch body {
	case "*", "?", "$":
		return token{kind: tokLit, text: body}, true
	}
	key, def, hasDef := strings.Cut(body, ",")
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " ${}'") {
		return token{}, false
	}
	t := token{kind: tokVar, text: strings.ToLower(key)}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
			return token{}, false
		}
		t.def, t.hasDef = def[1:len(def)-1], true
	}
	return t, true
}

// resolve returns a variable's value from ctx: its single value, else its
// default; ok is false when it has neither (then the pattern cannot match).
func (t *token) resolve(ctx *Context) (string, bool) {
	v, present := ctx.lookup(t.text)
	if present && len(v) == 1 {
		return v[0], true
	}
	if t.hasDef {
		return t.def, true
	}
	return "", false
}

// hasVars reports whether the pattern uses policy variables.
func (p *pattern) hasVars() bool {
	for i := range p.toks {
		if p.toks[i].kind == tokVar {
			return true
		}
	}
	return false
}

// match reports whether s matches the pattern with the variables resolved in
// ctx. fold compares case-insensitively. It does not allocate.
func (p *pattern) match(s string, ctx *Context, fold bool) bool {
	if p.plain {
		if fold {
			return strings.EqualFold(p.lit, s)
		}
		return p.lit == s
	}
	toks := p.toks
	ti, si := 0, 0
	starT, starS := -1, 0
	for ti < len(toks) || si < len(s) {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar:
				starT, starS = ti, si
				ti++
				continue
			case tokQmark:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					ti++
					si += n
					continue
				}
			default:
				text := t.text
				if t.kind == tokVar {
					var ok bool
					if text, ok = t.resolve(ctx); !ok {
						return false
					}
				}
				if hasPrefix(s[si:], text, fold) {
					ti++
					si += len(text)
					continue
				}
			}
		}
		if starT >= 0 && starS < len(s) {
			_, n := utf8.DecodeRuneInString(s[starS:])
			starS += n
			ti, si = starT+1, starS
			continue
		}
		return false
	}
	return true
}

func hasPrefix(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if fold {
		return strings.EqualFold(s[:len(prefix)], prefix)
	}
	return s[:len(prefix)] == prefix
}

// arnPattern is a compiled ARN pattern: "*", six parts matched one by one,
// or, when the text is not six parts long, a prefix pattern ending in * (such
// as "arn:aws:*") matched against the whole value. Any other short pattern
// matches nothing: it cannot name the six parts of an ARN.
type arnPattern struct {
	any   bool
	none  bool
	split bool
	parts [6]pattern
	whole pattern
}

func compileARNPattern(s string, vars bool) arnPattern {
	if s == "*" {
		return arnPattern{any: true}
	}
	parts, ok := splitOutsideVars(s)
	if !ok {
		if !strings.HasSuffix(s, "*") {
			return arnPattern{none: true}
		}
		return arnPattern{whole: compilePattern(s, true, vars)}
	}
	p := arnPattern{split: true}
	for i, part := range parts {
		p.parts[i] = compilePattern(part, true, vars)
	}
	return p
}

// splitOutsideVars splits s into six ARN parts at colons that are not inside
// ${...}.
func splitOutsideVars(s string) (parts [6]string, ok bool) {
	n, start, depth := 0, 0, 0
	for i := 0; i < len(s) && n < 5; i++ {
		switch s[i] {
		case '{':
			if i > 0 && s[i-1] == '$' {
				depth++
			}
		case '}':
			if depth > 0 {
				depth--
			}
		case ':':
			if depth == 0 {
				parts[n] = s[start:i]
				n++
				start = i + 1
			}
		}
	}
	if n < 5 {
		return parts, false
	}
	parts[5] = s[start:]
	return parts, true
}

func (p *arnPattern) match(value string, ctx *Context) bool {
	if p.any {
		return true
	}
	vp, ok := arn.Split(value)
	return p.matchSplit(value, vp, ok, ctx)
}

// matchParts matches the query's resource, split once per evaluation.
func (p *arnPattern) matchParts(q *query) bool {
	return p.any || p.matchSplit(q.Resource, q.parts, q.isARN, q.Context)
}

func (p *arnPattern) matchSplit(value string, vp [6]string, isARN bool, ctx *Context) bool {
	switch {
	case p.any:
		return true
	case p.none:
		return false
	case !p.split:
		return p.whole.match(value, ctx, false)
	case !isARN:
		return false
	}
	// The resource part is the most selective: test it first.
	for i := 5; i >= 0; i-- {
		if !p.parts[i].match(vp[i], ctx, false) {
			return false
		}
	}
	return true
}
