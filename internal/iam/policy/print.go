package policy

import (
	"bytes"
	"encoding/json"
)

// MarshalJSON prints the document in a canonical form: elements in AWS's
// conventional order, one value as a string and several as an array, condition
// values as strings. Parse(MarshalJSON(d)) describes the same policy as d, and
// printing it again gives the same bytes.
func (d *Document) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	field := fieldWriter(&b)
	if d.Version != "" {
		field("Version")
		writeString(&b, d.Version)
	}
	if d.ID != "" {
		field("Id")
		writeString(&b, d.ID)
	}
	field("Statement")
	if !d.singleStatement {
		b.WriteByte('[')
	}
	for i := range d.Statements {
		if i > 0 {
			b.WriteByte(',')
		}
		d.Statements[i].print(&b)
	}
	if !d.singleStatement {
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// fieldWriter returns a function that writes the name of an object's next
// field, with the comma before every field but the first.
func fieldWriter(b *bytes.Buffer) func(name string) {
	first := true
	return func(name string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeString(b, name)
		b.WriteByte(':')
	}
}

func (s *Statement) print(b *bytes.Buffer) {
	b.WriteByte('{')
	field := fieldWriter(b)
	if s.Sid != "" {
		field("Sid")
		writeString(b, s.Sid)
	}
	field("Effect")
	writeString(b, string(s.Effect))
	for _, p := range []struct {
		name string
		p    *Principal
	}{{"Principal", s.Principal}, {"NotPrincipal", s.NotPrincipal}} {
		if p.p == nil {
			continue
		}
		field(p.name)
		if p.p.Wildcard {
			writeString(b, "*")
			continue
		}
		b.WriteByte('{')
		for i, e := range p.p.Entries {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, e.Type)
			b.WriteByte(':')
			writeList(b, e.Values)
		}
		b.WriteByte('}')
	}
	for _, l := range []struct {
		name string
		v    []string
	}{{"Action", s.Action}, {"NotAction", s.NotAction}, {"Resource", s.Resource}, {"NotResource", s.NotResource}} {
		if l.v != nil {
			field(l.name)
			writeList(b, l.v)
		}
	}
	if len(s.Condition) > 0 {
		field("Condition")
		b.WriteByte('{')
		for i, op := range s.Condition {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, op.Operator)
			b.WriteString(":{")
			for j, k := range op.Keys {
				if j > 0 {
					b.WriteByte(',')
				}
				writeString(b, k.Key)
				b.WriteByte(':')
				writeList(b, k.Values)
			}
			b.WriteByte('}')
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
}

func writeList(b *bytes.Buffer, v []string) {
	if len(v) == 1 {
		writeString(b, v[0])
		return
	}
	b.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, s)
	}
	b.WriteByte(']')
}

func writeString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always encodes
	b.Write(enc)
}
