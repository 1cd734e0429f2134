package policy

import (
	"encoding/json"
	"unicode/utf8"
)

// This file is the fast path of policy eval's line decoder and encoder. A
// line of the documented shape is taken apart by a small scanner that keeps
// policy documents as byte spans (a compiled document is cached by its exact
// text, so a repeated document is neither decoded nor validated again; a new
// one is parsed in full by Parse). Anything unusual — escapes in keys or
// fields, malformed JSON — makes the scanner give up, and encoding/json reads
// the line instead, so both paths accept and reject the same lines.

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) eat(c byte) bool {
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

// plainString reads a string without escapes; ok is false for anything else.
func (s *scanner) plainString() (string, bool) {
	if !s.eat('"') {
		return "", false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := string(s.b[start:s.i])
			s.i++
			return v, true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n == 1 {
				return "", false
			}
			s.i += n
		default:
			s.i++
		}
	}
	return "", false
}

// skip passes over one JSON value and reports whether it looked well formed:
// brackets balance, strings close, literals and numbers are spelled right.
func (s *scanner) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch c := s.peek(); {
	case c == '"':
		s.i++
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				s.i++
				return true
			case '\\':
				s.i += 2
			default:
				if s.b[s.i] < 0x20 {
					return false
				}
				s.i++
			}
		}
		return false
	case c == '{':
		s.i++
		if s.eat('}') {
			return true
		}
		for {
			if s.peek() != '"' || !s.skip(depth+1) || !s.eat(':') || !s.skip(depth+1) {
				return false
			}
			if s.eat('}') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case c == '[':
		s.i++
		if s.eat(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.eat(']') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		_, ok := s.number()
		return ok
	}
	return false
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

// number reads a JSON number and returns its text.
func (s *scanner) number() (string, bool) {
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	intStart := s.i
	if n := digits(); n == 0 || (n > 1 && s.b[intStart] == '0') {
		return "", false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return "", false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return "", false
		}
	}
	return string(s.b[start:s.i]), true
}

// span skips one value and returns its bytes.
func (s *scanner) span() ([]byte, bool) {
	s.ws()
	start := s.i
	if !s.skip(0) {
		return nil, false
	}
	return s.b[start:s.i], true
}

func (s *scanner) docList() ([]json.RawMessage, bool) {
	if s.literal("null") {
		return nil, true
	}
	if !s.eat('[') {
		return nil, false
	}
	var out []json.RawMessage
	if s.eat(']') {
		return out, true
	}
	for {
		v, ok := s.span()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if s.eat(']') {
			return out, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}

// contextValue reads one context value as Build's contextValues would.
func (s *scanner) contextValue(multi bool) ([]string, bool) {
	switch c := s.peek(); {
	case c == '"':
		v, ok := s.plainString()
		return []string{v}, ok
	case c == 't' || c == 'f':
		if s.literal("true") {
			return []string{"true"}, true
		}
		return []string{"false"}, s.literal("false")
	case c == '-' || ('0' <= c && c <= '9'):
		n, ok := s.number()
		return []string{n}, ok
	case c == '[' && !multi:
		s.i++
		out := []string{}
		if s.eat(']') {
			return out, true
		}
		for {
			v, ok := s.contextValue(true)
			if !ok {
				return nil, false
			}
			out = append(out, v...)
			if s.eat(']') {
				return out, true
			}
			if !s.eat(',') {
				return nil, false
			}
		}
	}
	return nil, false
}

// decodeFast fills in from line. ok is false when the line needs the full
// decoder. Context values are decoded into ctx directly.
func decodeFast(line []byte, in *Input, ctx map[string][]string) bool {
	s := scanner{b: line}
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		s.ws()
		return s.i == len(s.b)
	}
	for {
		key, ok := s.plainString()
		if !ok || !s.eat(':') {
			return false
		}
		switch key {
		case "id":
			v, ok := s.span()
			if !ok {
				return false
			}
			in.ID = v
		case "identityPolicies":
			if in.IdentityPolicies, ok = s.docList(); !ok {
				return false
			}
		case "permissionBoundaries":
			if in.PermissionBoundaries, ok = s.docList(); !ok {
				return false
			}
		case "sessionPolicies":
			if in.SessionPolicies, ok = s.docList(); !ok {
				return false
			}
		case "resourcePolicy":
			if in.ResourcePolicy, ok = s.span(); !ok {
				return false
			}
		case "principal", "action", "resource":
			v, ok := s.plainString()
			if !ok {
				return false
			}
			switch key {
			case "principal":
				in.Principal = v
			case "action":
				in.Action = v
			default:
				in.Resource = v
			}
		case "context":
			if !s.eat('{') {
				return false
			}
			clear(ctx)
			if !s.eat('}') {
				for {
					k, ok := s.plainString()
					if !ok || !s.eat(':') {
						return false
					}
					v, ok := s.contextValue(false)
					if !ok {
						return false
					}
					ctx[k] = v
					if s.eat('}') {
						break
					}
					if !s.eat(',') {
						return false
					}
				}
			}
			in.Context = nil
		default:
			return false
		}
		if s.eat('}') {
			s.ws()
			return s.i == len(s.b)
		}
		if !s.eat(',') {
			return false
		}
	}
}

// appendOutput encodes o as encoding/json would.
func appendOutput(b []byte, o *Output) []byte {
	b = append(b, '{')
	sep := false
	if len(o.ID) > 0 {
		b = append(b, `"id":`...)
		b = appendCompact(b, o.ID)
		sep = true
	}
	field := func(name string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
	}
	if o.Decision != "" {
		field("decision")
		b = appendJSONString(b, string(o.Decision))
	}
	if len(o.Reasons) > 0 {
		field("reasons")
		b = append(b, '[')
		for i, r := range o.Reasons {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, r)
		}
		b = append(b, ']')
	}
	if o.Error != "" {
		field("error")
		b = appendJSONString(b, o.Error)
	}
	return append(b, '}')
}

// appendCompact appends a raw JSON value as encoding/json prints a
// RawMessage: compacted.
func appendCompact(b []byte, raw []byte) []byte {
	for _, c := range raw {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\' || c >= utf8.RuneSelf || c == '<' || c == '>' || c == '&' {
			enc, err := json.Marshal(json.RawMessage(raw))
			if err != nil {
				return append(b, "null"...)
			}
			return append(b, enc...)
		}
	}
	return append(b, raw...)
}

// appendJSONString appends s quoted as encoding/json quotes it.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf || c == '<' || c == '>' || c == '&' {
			enc, _ := json.Marshal(s)
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
