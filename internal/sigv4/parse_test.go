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

const (
	goodCredential = "Credential=AKIDEXAMPLE/20231114/us-east-1/sts/aws4_request"
	goodAuth       = "AWS4-HMAC-SHA256 " + goodCredential + ", SignedHeaders=host;x-amz-date, Signature=abcd"
	goodDate       = "20231114T221320Z"
	goodPresign    = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20231114T221320Z&X-Amz-SignedHeaders=host&X-Amz-Signature=abcd"
)

// rawRequest builds a server-side request from an Authorization header, an
// X-Amz-Date header and a raw query; empty means absent.
func rawRequest(auth, date, rawQuery string) *http.Request {
	r := &http.Request{
		Method: http.MethodGet,
		URL:    &url.URL{Path: "/", RawQuery: rawQuery},
		Host:   "sts.amazonaws.com",
		Header: http.Header{},
	}
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	if date != "" {
		r.Header.Set("X-Amz-Date", date)
	}
	return r
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		req   *http.Request
		want  sigv4.Signed
		setup func(r *http.Request)
	}{
		{name: "header", req: rawRequest(goodAuth, goodDate, ""), want: sigv4.Signed{
			AccessKeyID: "AKIDEXAMPLE", Date: "20231114", Region: "us-east-1", Service: "sts",
			SignedHeaders: []string{"host", "x-amz-date"}, Signature: "abcd",
			Time: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC),
		}},
		{name: "header without spaces, token and payload hash", req: rawRequest(
			"AWS4-HMAC-SHA256 "+goodCredential+",SignedHeaders=host,Signature=abcd", goodDate, ""),
			setup: func(r *http.Request) {
				r.Header.Set("X-Amz-Security-Token", "tok")
				r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			},
			want: sigv4.Signed{
				AccessKeyID: "AKIDEXAMPLE", Date: "20231114", Region: "us-east-1", Service: "sts",
				SignedHeaders: []string{"host"}, Signature: "abcd", SecurityToken: "tok", PayloadHash: "UNSIGNED-PAYLOAD",
				Time: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC),
			}},
		{name: "Date header instead of X-Amz-Date", req: rawRequest(goodAuth, "", ""),
			setup: func(r *http.Request) { r.Header.Set("Date", "Tue, 14 Nov 2023 22:13:20 GMT") },
			want: sigv4.Signed{
				AccessKeyID: "AKIDEXAMPLE", Date: "20231114", Region: "us-east-1", Service: "sts",
				SignedHeaders: []string{"host", "x-amz-date"}, Signature: "abcd",
				Time: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC),
			}},
		{name: "presigned", req: rawRequest("", "", goodPresign+"&X-Amz-Expires=300&X-Amz-Security-Token=a%2Bb%2F%3D%3D"), want: sigv4.Signed{
			AccessKeyID: "AKIDEXAMPLE", Date: "20231114", Region: "us-east-1", Service: "sts",
			SignedHeaders: []string{"host"}, Signature: "abcd", Presigned: true, Expires: 5 * time.Minute,
			SecurityToken: "a+b/==", Time: time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.setup != nil {
				tc.setup(tc.req)
			}
			s, err := sigv4.Parse(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if got := exported(s); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestParseErrors: every malformed signature gets AWS's code and message.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		req     *http.Request
		code    string
		message string
	}{
		{name: "no signature", req: rawRequest("", goodDate, "Action=GetCallerIdentity"),
			code: sigv4.CodeMissingAuthenticationToken, message: "Request is missing Authentication Token"},
		{name: "empty Authorization header", req: rawRequest(" ", goodDate, ""),
			code: sigv4.CodeMissingAuthenticationToken, message: "Request is missing Authentication Token"},
		{name: "another scheme, its token not echoed", req: rawRequest("Bearer eyJhbGciOiJIUzI1NiJ9.secret", goodDate, ""),
			code: sigv4.CodeIncompleteSignature,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer"},
		{name: "algorithm only, no date", req: rawRequest("AWS4-HMAC-SHA256", "", ""),
			code: sigv4.CodeIncompleteSignature,
			message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"},
		{name: "missing Signature and SignedHeaders", req: rawRequest("AWS4-HMAC-SHA256 "+goodCredential, goodDate, ""),
			code: sigv4.CodeIncompleteSignature,
			message: "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization=AWS4-HMAC-SHA256 " + goodCredential},
		{name: "missing Credential", req: rawRequest("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abcd", goodDate, ""),
			code:    sigv4.CodeIncompleteSignature,
			message: "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host, Signature=abcd"},
		{name: "empty Signature", req: rawRequest("AWS4-HMAC-SHA256 "+goodCredential+", SignedHeaders=host, Signature=", goodDate, ""),
			code:    sigv4.CodeIncompleteSignature,
			message: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 " + goodCredential + ", SignedHeaders=host, Signature="},
		{name: "missing date", req: rawRequest(goodAuth, "", ""),
			code:    sigv4.CodeIncompleteSignature,
			message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + goodAuth},
		{name: "space inside the credential", req: rawRequest("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE /20231114/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd", goodDate, ""),
			code:    sigv4.CodeIncompleteSignature,
			message: "'/20231114/us-east-1/sts/aws4_request' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE /20231114/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd'."},
		{name: "Signature twice", req: rawRequest(goodAuth+", Signature=ffff", goodDate, ""),
			code:    sigv4.CodeIncompleteSignature,
			message: "'Signature' given more than once in Authorization header: '" + goodAuth + ", Signature=ffff'."},
		{name: "Credential twice", req: rawRequest("AWS4-HMAC-SHA256 "+goodCredential+", "+goodCredential+", SignedHeaders=host, Signature=abcd", goodDate, ""),
			code:    sigv4.CodeIncompleteSignature,
			message: "'Credential' given more than once in Authorization header: 'AWS4-HMAC-SHA256 " + goodCredential + ", " + goodCredential + ", SignedHeaders=host, Signature=abcd'."},
		{name: "SignedHeaders twice", req: rawRequest("AWS4-HMAC-SHA256 "+goodCredential+", SignedHeaders=host, SignedHeaders=host;x-amz-date, Signature=abcd", goodDate, ""),
			code:    sigv4.CodeIncompleteSignature,
			message: "'SignedHeaders' given more than once in Authorization header: 'AWS4-HMAC-SHA256 " + goodCredential + ", SignedHeaders=host, SignedHeaders=host;x-amz-date, Signature=abcd'."},
		{name: "wrong algorithm", req: rawRequest("AWS4-HMAC-SHA512 "+goodCredential+", SignedHeaders=host;x-amz-date, Signature=abcd", goodDate, ""),
			code: sigv4.CodeIncompleteSignature, message: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). "},
		{name: "SigV4a", req: rawRequest("AWS4-ECDSA-P256-SHA256 "+goodCredential+", SignedHeaders=host;x-amz-date, Signature=abcd", goodDate, ""),
			code: sigv4.CodeIncompleteSignature, message: "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). "},
		{name: "scope with four parts", req: rawRequest("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/sts, SignedHeaders=host;x-amz-date, Signature=abcd", goodDate, ""),
			code: sigv4.CodeIncompleteSignature, message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20231114/us-east-1/sts'"},
		{name: "scope with six parts", req: rawRequest("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/us-east-1/sts/x/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd", goodDate, ""),
			code: sigv4.CodeIncompleteSignature, message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20231114/us-east-1/sts/x/aws4_request'"},
		{name: "extended ISO date", req: rawRequest(goodAuth, "2023-11-14T22:13:20Z", ""),
			code: sigv4.CodeIncompleteSignature, message: "Date must be in ISO-8601 'basic format'. Got '2023-11-14T22:13:20Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "February 30th", req: rawRequest(goodAuth, "20230230T000000Z", ""),
			code: sigv4.CodeIncompleteSignature, message: "Date must be in ISO-8601 'basic format'. Got '20230230T000000Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "header and query signature both", req: rawRequest(goodAuth, goodDate, goodPresign),
			code: sigv4.CodeIncompleteSignature, message: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"},
		{name: "presigned missing parameters", req: rawRequest("", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20231114%2Fus-east-1%2Fsts%2Faws4_request"),
			code: sigv4.CodeIncompleteSignature,
			message: "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
				"AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."},
		{name: "presigned without algorithm", req: rawRequest("", "", "X-Amz-Signature=abcd"),
			code: sigv4.CodeIncompleteSignature,
			message: "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include 'X-Amz-Credential'. " +
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."},
		{name: "presigned wrong algorithm", req: rawRequest("", "", "X-Amz-Algorithm=AWS4-HMAC-SHA1&"+goodPresign[len("X-Amz-Algorithm=AWS4-HMAC-SHA256&"):]),
			code: sigv4.CodeIncompleteSignature, message: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now). "},
		{name: "presigned bad date", req: rawRequest("", "", strings.Replace(goodPresign, "X-Amz-Date=20231114T221320Z", "X-Amz-Date=x", 1)),
			code: sigv4.CodeIncompleteSignature, message: "Date must be in ISO-8601 'basic format'. Got 'x'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "X-Amz-Expires not a number", req: rawRequest("", "", goodPresign+"&X-Amz-Expires=1h"),
			code: sigv4.CodeAuthorizationQueryParametersError, message: "X-Amz-Expires should be a number"},
		{name: "X-Amz-Expires negative", req: rawRequest("", "", goodPresign+"&X-Amz-Expires=-1"),
			code: sigv4.CodeAuthorizationQueryParametersError, message: "X-Amz-Expires must be non-negative"},
		{name: "X-Amz-Expires over a week", req: rawRequest("", "", goodPresign+"&X-Amz-Expires=604801"),
			code: sigv4.CodeAuthorizationQueryParametersError, message: "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"},
		{name: "X-Amz-Expires past int64", req: rawRequest("", "", goodPresign+"&X-Amz-Expires=99999999999999999999999"),
			code: sigv4.CodeAuthorizationQueryParametersError, message: "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := sigv4.Parse(tc.req)
			if s != nil {
				t.Fatalf("Parse = %+v, want nil", s)
			}
			wantErr(t, err, tc.code, tc.message)
			if tc.code == sigv4.CodeMissingAuthenticationToken && !errors.Is(err, sigv4.ErrUnsigned) {
				t.Fatal("errors.Is(err, ErrUnsigned) = false")
			}
		})
	}
}
