package awsproto

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Validate checks a Query operation's parameters against the constraints of
// its input shape in the model (required members, lengths, value ranges,
// patterns, enums) and returns AWS's ValidationError (400) listing every
// violation, in the order of the shape's members:
//
//	2 validation errors detected: Value null at 'userName' failed to satisfy
//	constraint: Member must not be null; Value 'x' at 'path' failed to …
//
// Fields are named as AWS names them: the member name with a lower-case first
// letter, list elements as 'tags.1.member.key'. A list of scalars reports its
// elements' violations once, on the list ("Member must satisfy constraint:
// [...]"). The values of sensitive shapes are not shown. A value of the wrong
// type (MaxItems=ten) is an InvalidParameterValue error instead. Parameters
// the shape does not name are ignored, as AWS ignores them.
//
// Patterns the model gives in a form RE2 cannot express are not checked (see
// models.json, skippedPatterns).
func Validate(service, op string, p *Params) error {
	s, ok := Model(service)
	if !ok {
		return fmt.Errorf("awsproto: no model for service %q", service)
	}
	o, ok := s.Operations[op]
	if !ok {
		return Errorf("InvalidAction", "Could not find operation %s for version %s", op, s.APIVersion)
	}
	if o.Input == "" {
		return nil
	}
	v := &validator{svc: s, p: *p}
	v.structure(s.Shapes[o.Input], "", "")
	if v.typeErr != nil {
		return v.typeErr
	}
	switch n := len(v.errs); n {
	case 0:
		return nil
	case 1:
		return Errorf("ValidationError", "1 validation error detected: %s", v.errs[0])
	default:
		return Errorf("ValidationError", "%d validation errors detected: %s", n, strings.Join(v.errs, "; "))
	}
}

type validator struct {
	svc     *Service
	p       Params
	errs    []string
	typeErr error
}

// fail records one violation; shown is the value as printed (quoted, null,
// or empty for a sensitive value).
func (v *validator) fail(field, shown, constraint string) {
	if shown != "" {
		shown = " " + shown
	}
	v.errs = append(v.errs, fmt.Sprintf("Value%s at '%s' failed to satisfy constraint: %s", shown, field, constraint))
}

func (v *validator) typeError(err error) {
	if v.typeErr == nil {
		v.typeErr = err
	}
}

// structure checks the members of a structure whose parameters start with
// prefix and whose fields AWS names path<member>.
func (v *validator) structure(sh *Shape, prefix, path string) {
	for _, m := range sh.Members {
		key := prefix + wireName(m)
		field := path + lowerFirst(m.Name)
		ms := v.svc.Shapes[m.Shape]
		var present bool
		switch ms.Type {
		case "structure", "list", "map":
			present = v.p.Has(key)
		default:
			_, present = v.p.m[key]
		}
		if !present {
			if slices.Contains(sh.Required, m.Name) {
				v.fail(field, "null", "Member must not be null")
			}
			continue
		}
		v.value(ms, key, field)
	}
}

func wireName(m Member) string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

// lowerFirst turns a member name into the field name AWS prints (UserName:
// userName).
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r >= 'A' && r <= 'Z' {
		return string(r+'a'-'A') + s[n:]
	}
	return s
}

// value checks one present value of shape sh at parameter key.
func (v *validator) value(sh *Shape, key, field string) {
	switch sh.Type {
	case "structure":
		v.structure(sh, key+".", field+".")
	case "list":
		v.list(sh, key, field)
	case "map":
		v.mapValue(sh, key, field)
	default:
		raw := v.p.m[key]
		for _, c := range v.scalar(sh, key, raw) {
			v.fail(field, v.show(sh, quote(raw)), c)
		}
	}
}

func (v *validator) list(sh *Shape, key, field string) {
	elem := "member"
	if sh.Member.LocationName != "" {
		elem = sh.Member.LocationName
	}
	prefix := key + "." + elem + "."
	if sh.Flattened {
		prefix = key + "."
	}
	idx, err := v.p.indexesAt(prefix)
	if err != nil {
		v.typeError(err)
		return
	}
	ms := v.svc.Shapes[sh.Member.Shape]
	scalars := !isComplex(ms)
	var shown []string
	if scalars {
		for _, i := range idx {
			shown = append(shown, v.p.m[prefix+strconv.Itoa(i)])
		}
	}
	if c := lengthViolation(sh, len(idx)); c != "" {
		v.fail(field, v.show(sh, v.listShown(ms, prefix, idx)), c)
	}
	if !scalars {
		for _, i := range idx {
			n := strconv.Itoa(i)
			v.value(ms, prefix+n, field+"."+n+".member")
		}
		return
	}
	var violations []string
	for n, i := range idx {
		for _, c := range v.scalar(ms, prefix+strconv.Itoa(i), shown[n]) {
			if !slices.Contains(violations, c) {
				violations = append(violations, c)
			}
		}
	}
	if len(violations) > 0 {
		v.fail(field, v.show(ms, v.listShown(ms, prefix, idx)), "Member must satisfy constraint: ["+strings.Join(violations, ", ")+"]")
	}
}

func (v *validator) mapValue(sh *Shape, key, field string) {
	prefix := key + ".entry."
	if sh.Flattened {
		prefix = key + "."
	}
	idx, err := v.p.indexesAt(prefix)
	if err != nil {
		v.typeError(err)
		return
	}
	keyName, valueName := "key", "value"
	if sh.Key.LocationName != "" {
		keyName = sh.Key.LocationName
	}
	if sh.Value.LocationName != "" {
		valueName = sh.Value.LocationName
	}
	ks, vs := v.svc.Shapes[sh.Key.Shape], v.svc.Shapes[sh.Value.Shape]
	var entries []string
	var keyViolations, valueViolations []string
	add := func(list *[]string, cs []string) {
		for _, c := range cs {
			if !slices.Contains(*list, c) {
				*list = append(*list, c)
			}
		}
	}
	for _, i := range idx {
		e := prefix + strconv.Itoa(i) + "."
		k := v.p.m[e+keyName]
		add(&keyViolations, v.scalar(ks, e+keyName, k))
		if isComplex(vs) {
			v.value(vs, e+valueName, field+"."+k)
			entries = append(entries, k+"=...")
			continue
		}
		val := v.p.m[e+valueName]
		add(&valueViolations, v.scalar(vs, e+valueName, val))
		entries = append(entries, k+"="+val)
	}
	shown := v.show(sh, quote("{"+strings.Join(entries, ", ")+"}"))
	if c := lengthViolation(sh, len(idx)); c != "" {
		v.fail(field, shown, c)
	}
	if len(keyViolations) > 0 {
		v.fail(field, shown, "Map keys must satisfy constraint: ["+strings.Join(keyViolations, ", ")+"]")
	}
	if len(valueViolations) > 0 {
		v.fail(field, shown, "Map value must satisfy constraint: ["+strings.Join(valueViolations, ", ")+"]")
	}
}

// listShown renders a list as Java prints one: [a, b].
func (v *validator) listShown(ms *Shape, prefix string, idx []int) string {
	parts := make([]string, len(idx))
	for n, i := range idx {
		if isComplex(ms) {
			sub := v.p.Struct(prefix + strconv.Itoa(i))
			var fs []string
			for _, name := range sub.Names() {
				fs = append(fs, name+"="+sub.m[name])
			}
			parts[n] = "{" + strings.Join(fs, ", ") + "}"
			continue
		}
		parts[n] = v.p.m[prefix+strconv.Itoa(i)]
	}
	return quote("[" + strings.Join(parts, ", ") + "]")
}

func isComplex(sh *Shape) bool {
	return sh.Type == "structure" || sh.Type == "list" || sh.Type == "map"
}

func quote(s string) string { return "'" + s + "'" }

// show hides the value of a sensitive shape.
func (v *validator) show(sh *Shape, quoted string) string {
	if sh.Sensitive {
		return ""
	}
	return quoted
}

// scalar returns the constraints a scalar value violates, or records a type
// error.
func (v *validator) scalar(sh *Shape, key, raw string) []string {
	var out []string
	switch sh.Type {
	case "string":
		if c := lengthViolation(sh, javaLength(raw)); c != "" {
			out = append(out, c)
		}
		if sh.re != nil && !sh.re.MatchString(raw) {
			out = append(out, "Member must satisfy regular expression pattern: "+sh.Pattern)
		}
		if len(sh.Enum) > 0 && !sh.enumHas(raw) {
			out = append(out, "Member must satisfy enum value set: ["+strings.Join(sh.Enum, ", ")+"]")
		}
	case "integer", "long":
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			v.typeError(badValue(key, raw, "an integer"))
			return nil
		}
		if sh.Min != nil {
			if mi, mf, isInt := bound(sh.Min); isInt && n < mi || !isInt && float64(n) < mf {
				out = append(out, "Member must have value greater than or equal to "+string(*sh.Min))
			}
		}
		if sh.Max != nil {
			if mi, mf, isInt := bound(sh.Max); isInt && n > mi || !isInt && float64(n) > mf {
				out = append(out, "Member must have value less than or equal to "+string(*sh.Max))
			}
		}
	case "float", "double":
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			v.typeError(badValue(key, raw, "a number"))
			return nil
		}
		if sh.Min != nil {
			if _, mf, _ := bound(sh.Min); f < mf {
				out = append(out, "Member must have value greater than or equal to "+string(*sh.Min))
			}
		}
		if sh.Max != nil {
			if _, mf, _ := bound(sh.Max); f > mf {
				out = append(out, "Member must have value less than or equal to "+string(*sh.Max))
			}
		}
	case "boolean":
		if l := strings.ToLower(raw); l != "true" && l != "false" {
			v.typeError(badValue(key, raw, "true or false"))
		}
	case "timestamp":
		if _, err := time.Parse(time.RFC3339Nano, raw); err != nil {
			v.typeError(badValue(key, raw, "an ISO 8601 timestamp"))
		}
	case "blob":
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			v.typeError(badValue(key, raw, "base64-encoded data"))
			return nil
		}
		if c := lengthViolation(sh, len(b)); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// lengthViolation checks a length against the shape's min and max.
func lengthViolation(sh *Shape, n int) string {
	if sh.Min != nil {
		if mi, _, isInt := bound(sh.Min); isInt && int64(n) < mi {
			return "Member must have length greater than or equal to " + string(*sh.Min)
		}
	}
	if sh.Max != nil {
		if mi, _, isInt := bound(sh.Max); isInt && int64(n) > mi {
			return "Member must have length less than or equal to " + string(*sh.Max)
		}
	}
	return ""
}

// javaLength is the length AWS's (Java) services measure: UTF-16 code units.
func javaLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}
