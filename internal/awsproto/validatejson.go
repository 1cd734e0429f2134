package awsproto

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ValidateJSON checks a JSON operation's input (RESTRequest.Input for
// Batch; the decoded body for JSON 1.1) against the constraints of its input
// shape in the model, recursively: required members (absent or null), JSON
// types (string, integer in the range of its shape, number, boolean, list,
// object), enum values, min and max (lengths of strings in UTF-16 units,
// of lists and maps; values of numbers) and patterns. Members the shape
// does not name are ignored, as AWS ignores them.
//
// Batch answers one violation at a time with a ClientException (400) in the
// words AWS Batch uses for the requests it refuses: "Error executing
// request, Exception : " and a sentence naming the field by its JSON path
// (containerOverrides.environment[0].name, tags[team]):
//
//	Error executing request, Exception : jobQueue is required.
//	Error executing request, Exception : timeout.attemptDurationSeconds must be an integer.
//	Error executing request, Exception : dependsOn[0].type must satisfy enum value set: [N_TO_N, SEQUENTIAL].
//	Error executing request, Exception : tags[k] must have length less than or equal to 256.
//
// Other JSON services (CloudWatch Logs) answer as AWS's Coral services do: a
// value of the wrong type is a SerializationException naming the field;
// constraint violations are one ValidationException listing them all ("1
// validation error detected: Value null at 'logGroupName' failed to satisfy
// constraint: Member must not be null").
func ValidateJSON(service, op string, in map[string]any) error {
	s, ok := Model(service)
	if !ok || s.Protocol != ProtocolRESTJSON && s.Protocol != ProtocolJSON {
		return fmt.Errorf("awsproto: %q is not a JSON service", service)
	}
	o, ok := s.Operations[op]
	if !ok {
		return &Error{Code: "UnknownOperationException", Message: fmt.Sprintf("The %s API has no operation %s.", service, truncate(op)), Status: 400, Sender: true}
	}
	if o.Input == "" {
		return nil
	}
	v := &jsonValidator{svc: s}
	v.structure(s.Shapes[o.Input], in, jsonPath{})
	if len(v.errs) == 0 {
		return nil
	}
	if service == "batch" {
		return Errorf("ClientException", "%s%s", batchErrorPrefix, v.errs[0].batch())
	}
	for _, e := range v.errs {
		if e.typ != "" {
			return Errorf("SerializationException", "%s", e.batch())
		}
	}
	parts := make([]string, len(v.errs))
	for i, e := range v.errs {
		parts[i] = e.coral()
	}
	noun := "errors"
	if len(parts) == 1 {
		noun = "error"
	}
	return Errorf("ValidationException", "%d validation %s detected: %s", len(parts), noun, strings.Join(parts, "; "))
}

// jsonPath is where a value sits, in two spellings: Batch's JSON path
// (a.b[0].c, tags[k]) and the field AWS's Coral messages name
// (a.b.1.member.c).
type jsonPath struct{ batch, coral string }

func (p jsonPath) member(name string) jsonPath {
	if p.batch == "" {
		return jsonPath{name, name}
	}
	return jsonPath{p.batch + "." + name, p.coral + "." + name}
}

func (p jsonPath) index(i int) jsonPath {
	return jsonPath{fmt.Sprintf("%s[%d]", p.batch, i), fmt.Sprintf("%s.%d.member", p.coral, i+1)}
}

func (p jsonPath) key(k string) jsonPath {
	return jsonPath{p.batch + "[" + truncate(k) + "]", p.coral + "." + truncate(k)}
}

// jsonViolation is one violation: either a missing member, a value of the
// wrong type (typ, "an integer"), or a constraint it fails ("Member must
// have length less than or equal to 128"), with the value as shown ("'x'";
// "" for sensitive or complex values).
type jsonViolation struct {
	path    jsonPath
	missing bool
	// mapKey is set when the violation is a map key's (path is then the
	// map's).
	mapKey     *string
	typ        string
	shown      string
	constraint string
}

// batch is the violation as Batch's sentence: "jobQueue is required."
func (e jsonViolation) batch() string {
	switch {
	case e.missing:
		return e.path.batch + " is required."
	case e.typ != "":
		return e.path.batch + " must be " + e.typ + "."
	case e.mapKey != nil:
		return e.path.batch + " key '" + truncate(*e.mapKey) + "' " + strings.TrimPrefix(e.constraint, "Member ") + "."
	}
	return e.path.batch + " " + strings.TrimPrefix(e.constraint, "Member ") + "."
}

// coral is the violation as AWS's Coral services list it.
func (e jsonViolation) coral() string {
	if e.missing {
		return fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", e.path.coral)
	}
	shown, constraint := "", e.constraint
	if e.shown != "" {
		shown = " " + e.shown
	}
	if e.mapKey != nil {
		constraint = "Map keys must satisfy constraint: [" + constraint + "]"
	}
	return fmt.Sprintf("Value%s at '%s' failed to satisfy constraint: %s", shown, e.path.coral, constraint)
}

type jsonValidator struct {
	svc  *Service
	errs []jsonViolation
}

func (v *jsonValidator) typeError(p jsonPath, typ string) {
	v.errs = append(v.errs, jsonViolation{path: p, typ: typ})
}

func (v *jsonValidator) fail(p jsonPath, sh *Shape, shown, constraint string) {
	if sh.Sensitive {
		shown = ""
	}
	v.errs = append(v.errs, jsonViolation{path: p, shown: shown, constraint: constraint})
}

// jsonKey is the key of a member in the input object: its name for members
// the model places in the URI, query string or headers (as Input sets
// them), else its JSON name.
func jsonKey(m Member) string {
	if m.Location != "" {
		return m.Name
	}
	return wireName(m)
}

func (v *jsonValidator) structure(sh *Shape, in map[string]any, p jsonPath) {
	for _, m := range sh.Members {
		if m.Location == "header" {
			// Input does not read headers; Batch has none.
			continue
		}
		mp := p.member(jsonKey(m))
		val, present := in[jsonKey(m)]
		if !present || val == nil {
			if slices.Contains(sh.Required, m.Name) {
				v.errs = append(v.errs, jsonViolation{path: mp, missing: true})
			}
			continue
		}
		v.value(v.svc.Shapes[m.Shape], val, mp)
	}
}

// value checks one present, non-null value.
func (v *jsonValidator) value(sh *Shape, val any, p jsonPath) {
	switch sh.Type {
	case "structure":
		m, ok := val.(map[string]any)
		if !ok {
			v.typeError(p, "an object")
			return
		}
		v.structure(sh, m, p)
	case "list":
		l, ok := val.([]any)
		if !ok {
			v.typeError(p, "a list")
			return
		}
		if c := lengthViolation(sh, len(l)); c != "" {
			v.fail(p, sh, "", c)
		}
		ms := v.svc.Shapes[sh.Member.Shape]
		for i, e := range l {
			if e == nil {
				v.typeError(p.index(i), "a value, not null")
				continue
			}
			v.value(ms, e, p.index(i))
		}
	case "map":
		m, ok := val.(map[string]any)
		if !ok {
			v.typeError(p, "an object")
			return
		}
		if c := lengthViolation(sh, len(m)); c != "" {
			v.fail(p, sh, "", c)
		}
		ks, vs := v.svc.Shapes[sh.Key.Shape], v.svc.Shapes[sh.Value.Shape]
		for _, k := range slices.Sorted(maps.Keys(m)) {
			for _, c := range stringViolations(ks, k) {
				v.errs = append(v.errs, jsonViolation{path: p, mapKey: &k, constraint: c})
			}
			if m[k] == nil {
				v.typeError(p.key(k), "a value, not null")
				continue
			}
			v.value(vs, m[k], p.key(k))
		}
	case "string":
		s, ok := val.(string)
		if !ok {
			v.typeError(p, "a string")
			return
		}
		for _, c := range stringViolations(sh, s) {
			v.fail(p, sh, quote(truncate(s)), c)
		}
	case "integer", "long":
		n, ok := jsonInt(val)
		if !ok {
			v.typeError(p, "an integer")
			return
		}
		if sh.Type == "integer" && (n < math.MinInt32 || n > math.MaxInt32) {
			v.typeError(p, "an integer from -2147483648 to 2147483647")
			return
		}
		for _, c := range rangeViolations(sh, float64(n), &n) {
			v.fail(p, sh, strconv.FormatInt(n, 10), c)
		}
	case "float", "double":
		f, ok := jsonFloat(val)
		if !ok {
			v.typeError(p, "a number")
			return
		}
		for _, c := range rangeViolations(sh, f, nil) {
			v.fail(p, sh, strconv.FormatFloat(f, 'g', -1, 64), c)
		}
	case "boolean":
		if _, ok := val.(bool); !ok {
			v.typeError(p, "a boolean")
		}
	case "timestamp":
		// JSON protocols send epoch seconds; accept an ISO 8601 string
		// too, as AWS's JSON services do.
		if _, ok := jsonFloat(val); ok {
			return
		}
		if s, ok := val.(string); !ok || !isTimestamp(s) {
			v.typeError(p, "a timestamp (epoch seconds)")
		}
	case "blob":
		s, ok := val.(string)
		if !ok {
			v.typeError(p, "base64-encoded data")
			return
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			v.typeError(p, "base64-encoded data")
			return
		}
		if c := lengthViolation(sh, len(b)); c != "" {
			v.fail(p, sh, "", c)
		}
	}
}

func isTimestamp(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// stringViolations returns the constraints a string value fails.
func stringViolations(sh *Shape, s string) []string {
	var out []string
	if c := lengthViolation(sh, javaLength(s)); c != "" {
		out = append(out, c)
	}
	if sh.re != nil && !sh.re.MatchString(s) {
		out = append(out, "Member must satisfy regular expression pattern: "+sh.Pattern)
	}
	if len(sh.Enum) > 0 && !sh.enumHas(s) {
		out = append(out, "Member must satisfy enum value set: ["+strings.Join(sh.Enum, ", ")+"]")
	}
	return out
}

// rangeViolations returns the min and max constraints a number fails; n is
// the value itself when it is an integer, compared exactly.
func rangeViolations(sh *Shape, f float64, n *int64) []string {
	var out []string
	below := func(b *json.Number) bool {
		bi, bf, isInt := bound(b)
		if n != nil && isInt {
			return *n < bi
		}
		return f < bf
	}
	above := func(b *json.Number) bool {
		bi, bf, isInt := bound(b)
		if n != nil && isInt {
			return *n > bi
		}
		return f > bf
	}
	if sh.Min != nil && below(sh.Min) {
		out = append(out, "Member must have value greater than or equal to "+string(*sh.Min))
	}
	if sh.Max != nil && above(sh.Max) {
		out = append(out, "Member must have value less than or equal to "+string(*sh.Max))
	}
	return out
}

// jsonInt reads an integer from a decoded JSON number (json.Number, or
// float64 when decoded without UseNumber). 1.0 and 1e3 are integers; 1.5 is
// not.
func jsonInt(val any) (int64, bool) {
	switch n := val.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i, true
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return 0, false
		}
		return floatInt(f)
	case float64:
		return floatInt(n)
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

func floatInt(f float64) (int64, bool) {
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

func jsonFloat(val any) (float64, bool) {
	switch n := val.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}
