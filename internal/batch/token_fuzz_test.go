package batch

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzTokenMark: a nextToken is what markToken made, or a ClientException;
// page marks survive the round trip.
func FuzzTokenMark(f *testing.F) {
	f.Add("", "ce-1", int32(0))
	f.Add("eyJrIjoiYSJ9", "jd", int32(3))
	f.Add("!!", "x", int32(-1))
	f.Add("e30", "", int32(0)) // {} : no key
	f.Fuzz(func(t *testing.T, token, key string, rev int32) {
		m, err := tokenMark(&token)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != "ClientException" {
				t.Fatalf("tokenMark(%q): %v, want a ClientException", token, err)
			}
		} else if token != "" && m.Key == "" {
			t.Fatalf("tokenMark(%q) accepted a mark without a key", token)
		}
		// Keys are resource names: valid UTF-8 (JSON would replace
		// invalid bytes).
		if key == "" || !utf8.ValidString(key) {
			return
		}
		want := pageMark{Key: key, Rev: rev}
		got, err := tokenMark(markToken(want))
		if err != nil || got != want {
			t.Fatalf("round trip of %+v: %+v, %v", want, got, err)
		}
	})
}
