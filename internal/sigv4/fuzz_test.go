package sigv4_test

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"batchd/internal/sigv4"
)

// FuzzParse: Parse never panics and gives either a *Signed or an *Error;
// what it reads from a header renders back to a header that reads the same
// (round trip); and Verify, given what Parse read, never panics either.
func FuzzParse(f *testing.F) {
	for _, seed := range []struct{ auth, date, path, query string }{
		// A well-formed header signature.
		{goodAuth, goodDate, "/", ""},
		// A well-formed presigned URL, and one with every optional parameter.
		{"", "", "/", goodPresign},
		{"", "", "/a%20b/", goodPresign + "&X-Amz-Expires=60&X-Amz-Security-Token=t%2B&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD"},
		// No signature at all.
		{"", "", "/", "Action=GetCallerIdentity&Version=2011-06-15"},
		// Another scheme.
		{"Bearer abc.def.ghi", goodDate, "/", ""},
		// Parameters without '=' and with stray separators.
		{"AWS4-HMAC-SHA256 Credential, ,,SignedHeaders=;;, Signature==", goodDate, "/", ""},
		// Credential with too few, too many and trailing slashes.
		{"AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=0", goodDate, "/", ""},
		{"AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f/, SignedHeaders=host, Signature=0", goodDate, "/", ""},
		{"AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=host, Signature=0", goodDate, "/", ""},
		// Dates out of range, short, and with non-digits.
		{goodAuth, "99991399T256161Z", "/", ""},
		{goodAuth, "2023111", "/", ""},
		{goodAuth, "2023-1-1T00:00:0Z", "/", ""},
		// Query escapes that are malformed or truncated, plus and semicolons.
		{"", "", "/%zz", "X-Amz-Algorithm=%&X-Amz-Credential=%2&X-Amz-Signature=%zz&a=+;+&=&&"},
		// Both mechanisms at once.
		{goodAuth, goodDate, "/", "X-Amz-Signature=1"},
		// Huge X-Amz-Expires.
		{"", "", "/", goodPresign + "&X-Amz-Expires=-99999999999999999999"},
	} {
		f.Add(seed.auth, seed.date, seed.path, seed.query)
	}
	f.Fuzz(func(t *testing.T, auth, date, path, query string) {
		r := &http.Request{
			Method: http.MethodPost,
			URL:    &url.URL{Path: path, RawQuery: query},
			Host:   "sts.amazonaws.com",
			Header: http.Header{"Authorization": {auth}, "X-Amz-Date": {date}, "Content-Type": {"a  b"}},
		}
		s, err := sigv4.Parse(r)
		if (s == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one", s, err)
		}
		if err != nil {
			var e *sigv4.Error
			if !errors.As(err, &e) || e.Code == "" || e.Message == "" || (e.Status != 400 && e.Status != 403) {
				t.Fatalf("Parse error %#v is not a complete *sigv4.Error", err)
			}
			return
		}
		if !s.Presigned {
			again := rawRequest(render(s), s.Time.Format("20060102T150405Z"), query)
			s2, err := sigv4.Parse(again)
			if err != nil {
				t.Fatalf("re-Parse(%q): %v", again.Header.Get("Authorization"), err)
			}
			if a, b := exported(s), exported(s2); !reflect.DeepEqual(a, b) {
				t.Fatalf("round trip:\n%+v\n%+v", a, b)
			}
		}
		v := sigv4.NewVerifier(func(o *sigv4.Options) { o.Now = func() time.Time { return s.Time } })
		const secret = "fuzz-secret-key"
		if err := v.Verify(r, []byte(query), s, secret); err != nil {
			var e *sigv4.Error
			if !errors.As(err, &e) || strings.Contains(e.Message, secret) && !strings.Contains(auth+query, secret) {
				t.Fatalf("Verify error %#v", err)
			}
		}
	})
}

// exported is s without its unexported fields.
func exported(s *sigv4.Signed) sigv4.Signed {
	return sigv4.Signed{
		AccessKeyID: s.AccessKeyID, Date: s.Date, Region: s.Region, Service: s.Service,
		SignedHeaders: s.SignedHeaders, Signature: s.Signature, Time: s.Time, Presigned: s.Presigned,
		Expires: s.Expires, SecurityToken: s.SecurityToken, PayloadHash: s.PayloadHash,
	}
}

// render writes a parsed header signature back as an Authorization header.
func render(s *sigv4.Signed) string {
	return "AWS4-HMAC-SHA256 Credential=" + s.AccessKeyID + "/" + s.Date + "/" + s.Region + "/" + s.Service + "/aws4_request" +
		", SignedHeaders=" + strings.Join(s.SignedHeaders, ";") + ", Signature=" + s.Signature
}
