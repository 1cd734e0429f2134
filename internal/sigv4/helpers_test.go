package sigv4_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"batchd/internal/sigv4"
)

const (
	testAccessKey = "AKIDEXAMPLE"
	testSecret    = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testToken     = "IQoJb3JpZ2luX2VjEXAMPLETOKEN+/=="
	emptySHA256   = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// signTime is the signing time of every request the tests sign.
var signTime = time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC)

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func creds(token string) aws.Credentials {
	return aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret, SessionToken: token}
}

// verifierAt returns a Verifier whose clock reads signTime+offset.
func verifierAt(offset time.Duration, opts ...func(*sigv4.Options)) *sigv4.Verifier {
	return sigv4.NewVerifier(append([]func(*sigv4.Options){func(o *sigv4.Options) {
		o.Now = func() time.Time { return signTime.Add(offset) }
	}}, opts...)...)
}

// newRequest builds a client request; body may be nil.
func newRequest(t testing.TB, method, target string, body []byte) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, target, r)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// signHeader signs req with the AWS SDK's signer, as the SDK's clients do.
func signHeader(t testing.TB, req *http.Request, body []byte, payloadHash, service, region, token string) {
	t.Helper()
	if payloadHash == "" {
		payloadHash = hashHex(body)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds(token), req, payloadHash, service, region, signTime); err != nil {
		t.Fatal(err)
	}
}

// presign presigns req with the AWS SDK's signer and returns the request a
// client would send for the URL and headers it gives.
func presign(t testing.TB, req *http.Request, body []byte, payloadHash, service, region, token string) *http.Request {
	t.Helper()
	if payloadHash == "" {
		payloadHash = hashHex(body)
	}
	u, h, err := v4.NewSigner().PresignHTTP(context.Background(), creds(token), req, payloadHash, service, region, signTime)
	if err != nil {
		t.Fatal(err)
	}
	out := newRequest(t, req.Method, u, body)
	for k, v := range h {
		if !strings.EqualFold(k, "Host") {
			out.Header[k] = v
		}
	}
	return out
}

// onWire sends req through HTTP/1.1 and reads it back as batchd's server
// would see it, returning the server-side request and its body. req itself
// is left as it was, so it can be sent again.
func onWire(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	req = req.Clone(context.Background())
	if req.GetBody != nil {
		b, err := req.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		req.Body = b
	}
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	srv, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(srv.Body)
	if err != nil {
		t.Fatal(err)
	}
	return srv, body
}

// wantErr fails unless err is an *sigv4.Error with the code (and, when not
// empty, the message), and checks no secret leaks into it.
func wantErr(t testing.TB, err error, code, message string) {
	t.Helper()
	var e *sigv4.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *sigv4.Error %s", err, err, code)
	}
	if e.ErrorCode() != code {
		t.Fatalf("code = %s (%q), want %s", e.ErrorCode(), e.ErrorMessage(), code)
	}
	if message != "" && e.ErrorMessage() != message {
		t.Fatalf("message =\n%q\nwant\n%q", e.ErrorMessage(), message)
	}
	wantStatus := map[string]int{
		sigv4.CodeMissingAuthenticationToken:        403,
		sigv4.CodeIncompleteSignature:               400,
		sigv4.CodeSignatureDoesNotMatch:             403,
		sigv4.CodeRequestExpired:                    400,
		sigv4.CodeAuthorizationQueryParametersError: 400,
	}[code]
	if e.HTTPStatus() != wantStatus {
		t.Fatalf("status = %d, want %d", e.HTTPStatus(), wantStatus)
	}
	for _, secret := range []string{testSecret, testToken} {
		if strings.Contains(e.Error(), secret) {
			t.Fatalf("error %q contains a secret", e.Error())
		}
	}
}
