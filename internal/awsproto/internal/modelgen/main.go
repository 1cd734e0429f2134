// Command modelgen writes awsproto's models.json from the botocore service
// models of the four services batchd serves (IAM, STS, Batch, CloudWatch
// Logs). It keeps only what request validation and error encoding need: each
// service's protocol metadata, each operation's input (and the name of its
// output), every shape reachable from an input with its constraints (type,
// required members, min, max, pattern, enum, list and map members) and every
// error shape with its code, HTTP status and fault.
//
// Botocore's patterns are Java regular expressions; modelgen converts each to
// Go's RE2 syntax (see convertPattern) and records, under skippedPatterns,
// the ones that cannot be converted and why: awsproto does not check those.
//
// Usage (from internal/awsproto, through go generate):
//
//	go run ./internal/modelgen [-botocore DIR] -out models.json
//
// DIR is the botocore package directory (or its data directory); by default
// the one python3 imports.
package main

import (
	"batchd/internal/botocore"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
)

// services are the botocore service names batchd serves, in output order.
var services = []string{"batch", "iam", "logs", "sts"}

func main() {
	dir := flag.String("botocore", "", "botocore package or data directory (default: the one python3 imports)")
	out := flag.String("out", "models.json", "file to write")
	flag.Parse()
	if err := run(*dir, *out, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "modelgen:", err)
		os.Exit(1)
	}
}

// run generates out from the botocore models under dir, telling log which
// patterns it skips.
func run(dir, out string, log io.Writer) error {
	if dir == "" {
		d, err := botocore.Installed()
		if err != nil {
			return err
		}
		dir = d
	}
	if fi, err := os.Stat(filepath.Join(dir, "data")); err == nil && fi.IsDir() {
		dir = filepath.Join(dir, "data")
	}
	version := botocore.Version(dir)
	raw := map[string]*botoModel{}
	for _, name := range services {
		m, err := loadService(dir, name)
		if err != nil {
			return err
		}
		raw[name] = m
	}
	f, err := build(raw)
	if err != nil {
		return err
	}
	f.BotocoreVersion = version
	for _, s := range f.SkippedPatterns {
		fmt.Fprintf(log, "modelgen: %s: pattern %q not checked: %s\n", s.Shape, s.Pattern, s.Reason)
	}
	var buf bytes.Buffer
	if err := f.write(&buf); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// loadService reads DIR/NAME/<newest api version>/service-2.json(.gz).
func loadService(dir, name string) (*botoModel, error) {
	b, p, err := botocore.ReadModel(dir, name)
	if err != nil {
		return nil, err
	}
	var m botoModel
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	// Go maps forget the order of members; validation messages follow it,
	// so read it again from the document.
	if err := m.readMemberOrder(b); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &m, nil
}

// botoModel is the part of a botocore service-2.json that modelgen reads.
type botoModel struct {
	Metadata struct {
		APIVersion   string `json:"apiVersion"`
		Protocol     string `json:"protocol"`
		XMLNamespace string `json:"xmlNamespace"`
		TargetPrefix string `json:"targetPrefix"`
		JSONVersion  string `json:"jsonVersion"`
	} `json:"metadata"`
	Operations map[string]struct {
		HTTP struct {
			Method       string `json:"method"`
			RequestURI   string `json:"requestUri"`
			ResponseCode int    `json:"responseCode"`
		} `json:"http"`
		Input  *botoRef `json:"input"`
		Output *botoRef `json:"output"`
	} `json:"operations"`
	Shapes map[string]*botoShape `json:"shapes"`
}

type botoRef struct {
	Shape         string `json:"shape"`
	LocationName  string `json:"locationName"`
	Location      string `json:"location"`
	ResultWrapper string `json:"resultWrapper"`
	Documentation string `json:"documentation"`
}

// caseInsensitive finds the sentence with which a member's documentation
// says its enum values may be given in any case (Batch EvaluateOnExit
// action: "The values aren't case sensitive.").
var caseInsensitive = regexp.MustCompile(`(?i)values (aren't|are not) case[- ]sensitive`)

type botoShape struct {
	Type      string              `json:"type"`
	Required  []string            `json:"required"`
	Members   map[string]*botoRef `json:"members"`
	Member    *botoRef            `json:"member"`
	Key       *botoRef            `json:"key"`
	Value     *botoRef            `json:"value"`
	Min       json.Number         `json:"min"`
	Max       json.Number         `json:"max"`
	Pattern   string              `json:"pattern"`
	Enum      []string            `json:"enum"`
	Sensitive bool                `json:"sensitive"`
	Flattened bool                `json:"flattened"`
	Exception bool                `json:"exception"`
	Fault     bool                `json:"fault"`
	Error     *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
		SenderFault    bool   `json:"senderFault"`
	} `json:"error"`

	memberOrder []string
}

// readMemberOrder records, for each structure, its member names in document
// order.
func (m *botoModel) readMemberOrder(doc []byte) error {
	var top struct {
		Shapes map[string]struct {
			Members botocore.OrderedKeys `json:"members"`
		} `json:"shapes"`
	}
	if err := json.Unmarshal(doc, &top); err != nil {
		return err
	}
	for name, s := range top.Shapes {
		if sh := m.Shapes[name]; sh != nil {
			sh.memberOrder = s.Members
		}
	}
	return nil
}

// The output file. awsproto decodes the same JSON names into its own types.
type (
	outFile struct {
		BotocoreVersion string                 `json:"botocoreVersion"`
		Services        map[string]*outService `json:"services"`
		SkippedPatterns []skippedPattern       `json:"skippedPatterns"`
	}
	outService struct {
		Protocol     string                  `json:"protocol"`
		APIVersion   string                  `json:"apiVersion"`
		XMLNamespace string                  `json:"xmlNamespace,omitempty"`
		TargetPrefix string                  `json:"targetPrefix,omitempty"`
		JSONVersion  string                  `json:"jsonVersion,omitempty"`
		Operations   map[string]outOperation `json:"operations"`
		Shapes       map[string]*outShape    `json:"shapes"`
		Errors       map[string]outError     `json:"errors"`
	}
	outOperation struct {
		Input        string `json:"input,omitempty"`
		Output       string `json:"output,omitempty"`
		Method       string `json:"method"`
		RequestURI   string `json:"requestUri"`
		ResponseCode int    `json:"responseCode,omitempty"`
	}
	outShape struct {
		Type     string       `json:"type"`
		Required []string     `json:"required,omitempty"`
		Members  []outMember  `json:"members,omitempty"`
		Member   *outMember   `json:"member,omitempty"`
		Key      *outMember   `json:"key,omitempty"`
		Value    *outMember   `json:"value,omitempty"`
		Min      *json.Number `json:"min,omitempty"`
		Max      *json.Number `json:"max,omitempty"`
		Pattern  string       `json:"pattern,omitempty"`
		RE       string       `json:"re,omitempty"`
		Enum     []string     `json:"enum,omitempty"`
		// EnumFold: the enum's values are accepted in any case, as the
		// documentation of a member of this shape says.
		EnumFold  bool `json:"enumFold,omitempty"`
		Sensitive bool `json:"sensitive,omitempty"`
		Flattened bool `json:"flattened,omitempty"`
	}
	outMember struct {
		Name         string `json:"name,omitempty"`
		Shape        string `json:"shape"`
		LocationName string `json:"locationName,omitempty"`
		Location     string `json:"location,omitempty"`
	}
	outError struct {
		Code   string `json:"code"`
		Status int    `json:"status"`
		Sender bool   `json:"sender"`
	}
	skippedPattern struct {
		Shape   string `json:"shape"`
		Pattern string `json:"pattern"`
		Reason  string `json:"reason"`
	}
)

// build reduces the botocore models to the output file.
func build(raw map[string]*botoModel) (*outFile, error) {
	f := &outFile{Services: map[string]*outService{}}
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		m := raw[name]
		s := &outService{
			Protocol:     m.Metadata.Protocol,
			APIVersion:   m.Metadata.APIVersion,
			XMLNamespace: m.Metadata.XMLNamespace,
			TargetPrefix: m.Metadata.TargetPrefix,
			JSONVersion:  m.Metadata.JSONVersion,
			Operations:   map[string]outOperation{},
			Shapes:       map[string]*outShape{},
			Errors:       map[string]outError{},
		}
		f.Services[name] = s
		for opName, op := range m.Operations {
			o := outOperation{Method: op.HTTP.Method, RequestURI: op.HTTP.RequestURI, ResponseCode: op.HTTP.ResponseCode}
			if op.Input != nil {
				o.Input = op.Input.Shape
				if err := s.addShape(name, m, op.Input.Shape, &f.SkippedPatterns); err != nil {
					return nil, err
				}
			}
			if op.Output != nil {
				o.Output = op.Output.Shape
				// awsproto names the result element <Op>Result; make sure
				// the models agree.
				if s.Protocol == "query" && op.Output.ResultWrapper != opName+"Result" {
					return nil, fmt.Errorf("%s.%s: result wrapper %q, want %sResult", name, opName, op.Output.ResultWrapper, opName)
				}
			}
			s.Operations[opName] = o
		}
		for shapeName, sh := range m.Shapes {
			if !sh.Exception {
				continue
			}
			e := outError{Code: shapeName, Status: 400, Sender: true}
			if sh.Fault {
				e.Status, e.Sender = 500, false
			}
			if sh.Error != nil {
				if sh.Error.Code != "" {
					e.Code = sh.Error.Code
				}
				if sh.Error.HTTPStatusCode != 0 {
					e.Status = sh.Error.HTTPStatusCode
				}
				e.Sender = sh.Error.SenderFault || !sh.Fault && e.Status < 500
			}
			s.Errors[shapeName] = e
		}
	}
	sort.Slice(f.SkippedPatterns, func(i, j int) bool { return f.SkippedPatterns[i].Shape < f.SkippedPatterns[j].Shape })
	return f, checkErrorCodes(f)
}

// checkErrorCodes fails when two services give one error code different
// statuses: awsproto.Errorf looks codes up across services.
func checkErrorCodes(f *outFile) error {
	seen := map[string]outError{}
	for _, name := range slices.Sorted(maps.Keys(f.Services)) {
		for _, e := range f.Services[name].Errors {
			if prev, ok := seen[e.Code]; ok && prev != e {
				return fmt.Errorf("error code %s: %+v in one service, %+v in %s", e.Code, prev, e, name)
			}
			seen[e.Code] = e
		}
	}
	return nil
}

// addShape copies a shape and everything it refers to.
func (s *outService) addShape(service string, m *botoModel, name string, skipped *[]skippedPattern) error {
	if _, done := s.Shapes[name]; done {
		return nil
	}
	in := m.Shapes[name]
	if in == nil {
		return fmt.Errorf("%s: shape %s is not defined", service, name)
	}
	out := &outShape{
		Type:      in.Type,
		Required:  in.Required,
		Enum:      in.Enum,
		Sensitive: in.Sensitive,
		Flattened: in.Flattened,
	}
	if in.Min != "" {
		out.Min = &in.Min
	}
	if in.Max != "" {
		out.Max = &in.Max
	}
	if in.Pattern != "" {
		out.Pattern = in.Pattern
		re, err := convertPattern(in.Pattern)
		if err != nil {
			*skipped = append(*skipped, skippedPattern{Shape: service + ":" + name, Pattern: in.Pattern, Reason: err.Error()})
		} else {
			out.RE = re
		}
	}
	s.Shapes[name] = out
	ref := func(r *botoRef, memberName string) (*outMember, error) {
		if r == nil {
			return nil, nil
		}
		if err := s.addShape(service, m, r.Shape, skipped); err != nil {
			return nil, err
		}
		if t := s.Shapes[r.Shape]; len(t.Enum) > 0 && caseInsensitive.MatchString(r.Documentation) {
			t.EnumFold = true
		}
		return &outMember{Name: memberName, Shape: r.Shape, LocationName: r.LocationName, Location: r.Location}, nil
	}
	var err error
	if out.Member, err = ref(in.Member, ""); err != nil {
		return err
	}
	if out.Key, err = ref(in.Key, ""); err != nil {
		return err
	}
	if out.Value, err = ref(in.Value, ""); err != nil {
		return err
	}
	order := in.memberOrder
	if len(order) != len(in.Members) {
		order = slices.Sorted(maps.Keys(in.Members))
	}
	for _, mn := range order {
		mem, err := ref(in.Members[mn], mn)
		if err != nil {
			return err
		}
		out.Members = append(out.Members, *mem)
	}
	return nil
}

// write prints the file as JSON with one operation, shape or error a line,
// keys sorted, so that a model update shows as a readable diff.
func (f *outFile) write(w *bytes.Buffer) error {
	enc := func(v any) ([]byte, error) {
		var b bytes.Buffer
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(false)
		if err := e.Encode(v); err != nil {
			return nil, err
		}
		return bytes.TrimRight(b.Bytes(), "\n"), nil
	}
	object := func(indent string, m map[string]any) error {
		keys := slices.Sorted(maps.Keys(m))
		w.WriteString("{")
		for i, k := range keys {
			b, err := enc(m[k])
			if err != nil {
				return err
			}
			if i > 0 {
				w.WriteString(",")
			}
			fmt.Fprintf(w, "\n%s%q: %s", indent, k, b)
		}
		w.WriteString("}")
		return nil
	}
	fmt.Fprintf(w, "{\"botocoreVersion\": %q,\n\"services\": {", f.BotocoreVersion)
	for i, name := range slices.Sorted(maps.Keys(f.Services)) {
		s := f.Services[name]
		if i > 0 {
			w.WriteString(",")
		}
		head, err := enc(struct {
			Protocol     string `json:"protocol"`
			APIVersion   string `json:"apiVersion"`
			XMLNamespace string `json:"xmlNamespace,omitempty"`
			TargetPrefix string `json:"targetPrefix,omitempty"`
			JSONVersion  string `json:"jsonVersion,omitempty"`
		}{s.Protocol, s.APIVersion, s.XMLNamespace, s.TargetPrefix, s.JSONVersion})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%q: %s,\n", name, bytes.TrimSuffix(head, []byte("}")))
		parts := []struct {
			key string
			m   map[string]any
		}{
			{"operations", anyMap(s.Operations)},
			{"shapes", anyMap(s.Shapes)},
			{"errors", anyMap(s.Errors)},
		}
		for j, p := range parts {
			if j > 0 {
				w.WriteString(",\n")
			}
			fmt.Fprintf(w, "  %q: ", p.key)
			if err := object("    ", p.m); err != nil {
				return err
			}
		}
		w.WriteString("}")
	}
	w.WriteString("},\n\"skippedPatterns\": [")
	for i, s := range f.SkippedPatterns {
		b, err := enc(s)
		if err != nil {
			return err
		}
		if i > 0 {
			w.WriteString(",")
		}
		fmt.Fprintf(w, "\n  %s", b)
	}
	w.WriteString("]}\n")
	return nil
}

func anyMap[V any](m map[string]V) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
