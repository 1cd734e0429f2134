package awsproto

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// QueryRequest is a decoded Query protocol request.
type QueryRequest struct {
	Action  string
	Version string
	// Params holds every other parameter, the SigV4 ones (X-Amz-*) of a
	// presigned URL included.
	Params Params
}

// ParseQuery decodes a Query protocol request: the parameters of the URL
// query (GET, presigned URLs) and of body, the request's body already read,
// when it is a form (application/x-www-form-urlencoded, or no content type).
// A name given more than once, in one place or in both, keeps its first
// value, the URL's before the body's.
//
// Errors are *Error: MalformedQueryString for bad escapes, MissingAction when
// there is no Action. Whether the action exists is CheckAction's question.
func ParseQuery(r *http.Request, body []byte) (*QueryRequest, error) {
	m := map[string]string{}
	if r.URL != nil {
		if err := addForm(m, r.URL.RawQuery); err != nil {
			return nil, err
		}
	}
	if len(body) > 0 && isForm(r.Header.Get("Content-Type")) {
		if err := addForm(m, string(body)); err != nil {
			return nil, err
		}
	}
	q := &QueryRequest{Action: m["Action"], Version: m["Version"]}
	delete(m, "Action")
	delete(m, "Version")
	q.Params = newParams(m)
	if q.Action == "" {
		return nil, Errorf("MissingAction", "The request is missing an action or a required parameter.")
	}
	return q, nil
}

func isForm(contentType string) bool {
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// addForm decodes a form (a=b&c=d) into m, keeping first values.
func addForm(m map[string]string, form string) error {
	for form != "" {
		var pair string
		pair, form, _ = strings.Cut(form, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return Errorf("MalformedQueryString", "The query string contains a syntax error: invalid escape in parameter name %q", truncate(k))
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return Errorf("MalformedQueryString", "The query string contains a syntax error: invalid escape in the value of %s", truncate(key))
		}
		if _, dup := m[key]; !dup {
			m[key] = val
		}
	}
	return nil
}

func truncate(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// Params are Query protocol parameters by their flattened names: scalars by
// name (UserName), list elements as Name.member.N (1-based), structure
// fields as Name.Field, map entries as Name.entry.N.key and
// Name.entry.N.value. The zero Params is empty. Params are immutable.
type Params struct {
	m map[string]string
	// keys are the names in m, sorted: the parameters under a prefix are
	// found by binary search, so that reading a long list costs no more
	// than the list.
	keys []string
}

// NewParams returns Params holding the given name=value pairs, for tests and
// callers that build requests.
func NewParams(m map[string]string) Params {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return newParams(c)
}

// newParams takes m as it is.
func newParams(m map[string]string) Params {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return Params{m: m, keys: keys}
}

// Names returns every parameter name, sorted.
func (p Params) Names() []string {
	return slices.Clone(p.keys)
}

// under returns the sorted names that start with prefix.
func (p Params) under(prefix string) []string {
	i, _ := slices.BinarySearch(p.keys, prefix)
	j := i
	for j < len(p.keys) && strings.HasPrefix(p.keys[j], prefix) {
		j++
	}
	return p.keys[i:j]
}

// Has reports whether name was given, as a scalar or as the prefix of a
// list, structure or map (Tags.member.1.Key makes Has("Tags") true).
func (p Params) Has(name string) bool {
	if _, ok := p.m[name]; ok {
		return true
	}
	prefix := name + "."
	i, _ := slices.BinarySearch(p.keys, prefix)
	return i < len(p.keys) && strings.HasPrefix(p.keys[i], prefix)
}

// String returns a parameter's value and whether it was given.
func (p Params) String(name string) (string, bool) {
	v, ok := p.m[name]
	return v, ok
}

// Int returns an integer parameter. A value that is not a base-10 integer is
// an InvalidParameterValue *Error.
func (p Params) Int(name string) (int64, bool, error) {
	v, ok := p.m[name]
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, true, badValue(name, v, "an integer")
	}
	return n, true, nil
}

// Bool returns a boolean parameter ("true" or "false", as the SDKs send it,
// in any case). Anything else is an InvalidParameterValue *Error.
func (p Params) Bool(name string) (bool, bool, error) {
	v, ok := p.m[name]
	if !ok {
		return false, false, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return true, true, nil
	case "false":
		return false, true, nil
	}
	return false, true, badValue(name, v, "true or false")
}

// Time returns a timestamp parameter in ISO 8601 form (2006-01-02T15:04:05Z,
// fractional seconds and offsets allowed).
func (p Params) Time(name string) (time.Time, bool, error) {
	v, ok := p.m[name]
	if !ok {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, true, badValue(name, v, "an ISO 8601 timestamp")
	}
	return t, true, nil
}

func badValue(name, v, want string) *Error {
	return Errorf("InvalidParameterValue", "Invalid value '%s' for parameter %s: expected %s", truncate(v), name, want)
}

// StringList returns the list Name.member.1, Name.member.2, ... in order. A
// list given as the bare name with an empty value (Name=), as the SDKs send
// an empty list, is an empty, non-nil list; an absent one is nil. Indexes
// must run from 1 without gaps: anything else is an InvalidParameterValue
// *Error.
func (p Params) StringList(name string) ([]string, error) {
	idx, err := p.indexes(name, "member")
	if err != nil {
		return nil, err
	}
	if idx == nil {
		return p.emptyList(name), nil
	}
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		v, ok := p.m[name+".member."+strconv.Itoa(i)]
		if !ok {
			return nil, Errorf("InvalidParameterValue", "Parameter %s.member.%d is not a value", name, i)
		}
		out = append(out, v)
	}
	return out, nil
}

// StructList returns the list of structures Name.member.N.Field, each as
// Params of its own fields (Tags.member.1.Key is Key in the first), in
// order; indexes as for StringList.
func (p Params) StructList(name string) ([]Params, error) {
	idx, err := p.indexes(name, "member")
	if err != nil {
		return nil, err
	}
	if idx == nil {
		if p.emptyList(name) != nil {
			return []Params{}, nil
		}
		return nil, nil
	}
	out := make([]Params, len(idx))
	for n, i := range idx {
		out[n] = p.Struct(name + ".member." + strconv.Itoa(i))
	}
	return out, nil
}

// Struct returns the fields of the structure Name (Name.Field is Field).
func (p Params) Struct(name string) Params {
	prefix := name + "."
	names := p.under(prefix)
	sub := Params{m: make(map[string]string, len(names)), keys: make([]string, len(names))}
	for i, k := range names {
		// Cutting a common prefix keeps the order.
		rest := k[len(prefix):]
		sub.keys[i] = rest
		sub.m[rest] = p.m[k]
	}
	return sub
}

// Map returns the map Name.entry.N.key / Name.entry.N.value; indexes as for
// StringList. An entry without a key is an InvalidParameterValue *Error.
func (p Params) Map(name string) (map[string]string, error) {
	idx, err := p.indexes(name, "entry")
	if err != nil {
		return nil, err
	}
	if idx == nil {
		if p.emptyList(name) != nil {
			return map[string]string{}, nil
		}
		return nil, nil
	}
	out := make(map[string]string, len(idx))
	for _, i := range idx {
		e := name + ".entry." + strconv.Itoa(i)
		k, ok := p.m[e+".key"]
		if !ok {
			return nil, Errorf("InvalidParameterValue", "Parameter %s.key is missing", e)
		}
		out[k] = p.m[e+".value"]
	}
	return out, nil
}

// emptyList returns an empty list when name was sent bare and empty.
func (p Params) emptyList(name string) []string {
	if v, ok := p.m[name]; ok && v == "" {
		return []string{}
	}
	return nil
}

// indexes returns the N of every Name.<elem>.N[.…] parameter, sorted, after
// checking they run 1..n; nil when there are none.
func (p Params) indexes(name, elem string) ([]int, error) {
	return p.indexesAt(name + "." + elem + ".")
}

// indexesAt is indexes for the parameters prefix N[.…].
func (p Params) indexesAt(prefix string) ([]int, error) {
	seen := map[int]bool{}
	for _, k := range p.under(prefix) {
		rest := k[len(prefix):]
		num, _, _ := strings.Cut(rest, ".")
		i, err := strconv.Atoi(num)
		if err != nil || i < 1 || strconv.Itoa(i) != num {
			return nil, Errorf("InvalidParameterValue", "Parameter %s%s: list index must be a positive integer", prefix, truncate(num))
		}
		seen[i] = true
	}
	if len(seen) == 0 {
		return nil, nil
	}
	idx := make([]int, 0, len(seen))
	for i := range seen {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for n, i := range idx {
		if i != n+1 {
			return nil, Errorf("InvalidParameterValue", "Parameter %s%d is missing: list indexes must run from 1 without gaps", prefix, n+1)
		}
	}
	return idx, nil
}
