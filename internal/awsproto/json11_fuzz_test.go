package awsproto

import (
	"errors"
	"testing"
)

// FuzzDecodeJSONObject: a JSON 1.1 body is one object or a
// SerializationException, never a panic.
func FuzzDecodeJSONObject(f *testing.F) {
	for _, seed := range []string{
		"", " ", "{}", `{"logGroupName":"g"}`, "[]", "null", `{"a":1}{"b":2}`, `{"n":1e400}`, `{"a":`, "\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := DecodeJSONObject(body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != "SerializationException" {
				t.Fatalf("DecodeJSONObject(%q): %v", body, err)
			}
			return
		}
		if m == nil {
			t.Fatalf("DecodeJSONObject(%q): nil map without error", body)
		}
	})
}
