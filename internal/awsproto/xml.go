package awsproto

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fields is the content of a Query result or of one of its structures, in
// the order the elements are written.
type Fields []Field

// Field is one element of a Query result. Value may be:
//
//   - string, bool, int, int32, int64: the element's text; a nil pointer to
//     one of them (*string, *bool, *int32, *int64) omits the element;
//   - time.Time (or *time.Time): ISO 8601 in UTC, 2006-01-02T15:04:05Z; the
//     zero time omits the element;
//   - Fields: a nested structure; a nil Fields omits it;
//   - []Fields, []string: a list, <Name><member>…</member>…</Name>; a nil or
//     empty slice writes an empty list (<Name/>), as AWS does for a list
//     with nothing in it;
//   - Entries: a map, <Name><entry><key>…</key><value>…</value></entry>…</Name>;
//   - nil: the element is omitted.
//
// Any other type is a programming error: WriteQueryResult panics before it
// writes anything.
type Field struct {
	Name  string
	Value any
}

// Entries is a Query map (GetAccountSummary's SummaryMap): each Field is an
// entry, its Name the key and its Value, a scalar, the value.
type Entries []Field

// TimeFormat is how Query responses write timestamps (ISO 8601, UTC).
const TimeFormat = "2006-01-02T15:04:05Z"

// WriteQueryResult writes a successful Query protocol response:
//
//	<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
//	  <GetUserResult>…result…</GetUserResult>
//	  <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
//	</GetUserResponse>
//
// When xmlns is a Query service's namespace and action one of its
// operations, the <ActionResult> element is written exactly when the
// operation has an output shape (DeleteUser's response holds only
// ResponseMetadata; an empty output is <ActionResult/>); otherwise it is
// written when result is not nil. action and the field names are written as
// element names without escaping: action must be an operation name (one
// CheckAction accepted), field names the model's.
func WriteQueryResult(w http.ResponseWriter, action, xmlns, requestID string, result Fields) {
	var b bytes.Buffer
	b.WriteString("<")
	b.WriteString(action)
	b.WriteString("Response")
	if xmlns != "" {
		b.WriteString(` xmlns="`)
		escape(&b, xmlns)
		b.WriteString(`"`)
	}
	b.WriteString(">\n")
	if hasResult(action, xmlns, result) {
		writeStruct(&b, 1, action+"Result", result)
	}
	b.WriteString("  <ResponseMetadata>\n    <RequestId>")
	escape(&b, requestID)
	b.WriteString("</RequestId>\n  </ResponseMetadata>\n</")
	b.WriteString(action)
	b.WriteString("Response>\n")
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(http.StatusOK)
	w.Write(b.Bytes())
}

func hasResult(action, xmlns string, result Fields) bool {
	for _, s := range models() {
		if s.Protocol == "query" && s.XMLNamespace == xmlns {
			if op, ok := s.Operations[action]; ok {
				return op.Output != ""
			}
		}
	}
	return result != nil
}

func indent(b *bytes.Buffer, depth int) {
	b.WriteString(strings.Repeat("  ", depth))
}

// writeStruct writes <name>fields</name>, or <name/> when there are none.
func writeStruct(b *bytes.Buffer, depth int, name string, fields Fields) {
	indent(b, depth)
	if len(fields) == 0 {
		fmt.Fprintf(b, "<%s/>\n", name)
		return
	}
	fmt.Fprintf(b, "<%s>\n", name)
	for _, f := range fields {
		writeField(b, depth+1, f.Name, f.Value)
	}
	indent(b, depth)
	fmt.Fprintf(b, "</%s>\n", name)
}

func writeField(b *bytes.Buffer, depth int, name string, v any) {
	if text, ok := scalar(v); ok {
		if text != nil {
			indent(b, depth)
			fmt.Fprintf(b, "<%s>", name)
			escape(b, *text)
			fmt.Fprintf(b, "</%s>\n", name)
		}
		return
	}
	switch v := v.(type) {
	case Fields:
		if v != nil {
			writeStruct(b, depth, name, v)
		}
	case []Fields:
		writeList(b, depth, name, len(v), func(i int) { writeStruct(b, depth+1, "member", v[i]) })
	case []string:
		writeList(b, depth, name, len(v), func(i int) { writeField(b, depth+1, "member", v[i]) })
	case Entries:
		writeList(b, depth, name, len(v), func(i int) {
			indent(b, depth+1)
			b.WriteString("<entry>\n")
			writeField(b, depth+2, "key", v[i].Name)
			if _, ok := scalar(v[i].Value); !ok {
				panic(fmt.Sprintf("awsproto: entry %s of %s: unsupported value type %T", v[i].Name, name, v[i].Value))
			}
			writeField(b, depth+2, "value", v[i].Value)
			indent(b, depth+1)
			b.WriteString("</entry>\n")
		})
	default:
		panic(fmt.Sprintf("awsproto: field %s: unsupported value type %T", name, v))
	}
}

func writeList(b *bytes.Buffer, depth int, name string, n int, item func(int)) {
	indent(b, depth)
	if n == 0 {
		fmt.Fprintf(b, "<%s/>\n", name)
		return
	}
	fmt.Fprintf(b, "<%s>\n", name)
	for i := range n {
		item(i)
	}
	indent(b, depth)
	fmt.Fprintf(b, "</%s>\n", name)
}

// scalar returns the text of a scalar value (nil text: omit the element),
// and false when v is not a scalar.
func scalar(v any) (*string, bool) {
	s := func(t string) (*string, bool) { return &t, true }
	switch v := v.(type) {
	case nil:
		return nil, true
	case string:
		return s(v)
	case *string:
		return v, true
	case bool:
		return s(strconv.FormatBool(v))
	case *bool:
		if v == nil {
			return nil, true
		}
		return s(strconv.FormatBool(*v))
	case int:
		return s(strconv.Itoa(v))
	case int32:
		return s(strconv.FormatInt(int64(v), 10))
	case *int32:
		if v == nil {
			return nil, true
		}
		return s(strconv.FormatInt(int64(*v), 10))
	case int64:
		return s(strconv.FormatInt(v, 10))
	case *int64:
		if v == nil {
			return nil, true
		}
		return s(strconv.FormatInt(*v, 10))
	case time.Time:
		if v.IsZero() {
			return nil, true
		}
		return s(v.UTC().Format(TimeFormat))
	case *time.Time:
		if v == nil || v.IsZero() {
			return nil, true
		}
		return s(v.UTC().Format(TimeFormat))
	}
	return nil, false
}
