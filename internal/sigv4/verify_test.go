package sigv4_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"batchd/internal/sigv4"
)

const stsForm = "Action=GetCallerIdentity&Version=2011-06-15"

// sdkCase is a request signed by the AWS SDK's signer, as a client sends it.
type sdkCase struct {
	name  string
	build func(t testing.TB) *http.Request
	// bodyUnsigned: the signature does not cover the body (UNSIGNED-PAYLOAD).
	bodyUnsigned bool
	token        string
}

func sdkCases() []sdkCase {
	form := func(t testing.TB, target, body, service, token string) *http.Request {
		req := newRequest(t, http.MethodPost, target, []byte(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		req.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26")
		req.Header.Set("Amz-Sdk-Invocation-Id", "6d3f0e59-0c1b-4b61-9c2e-3f0b4b8f6a11")
		signHeader(t, req, []byte(body), "", service, "us-east-1", token)
		return req
	}
	return []sdkCase{
		{name: "sts GetCallerIdentity form POST", build: func(t testing.TB) *http.Request {
			return form(t, "https://sts.amazonaws.com/", stsForm, "sts", "")
		}},
		{name: "iam CreateUser form POST with session token", token: testToken, build: func(t testing.TB) *http.Request {
			return form(t, "https://iam.amazonaws.com/", "Action=CreateUser&UserName=alice%2Bops&Path=%2Fteam%2F&Version=2010-05-08", "iam", testToken)
		}},
		{name: "sts on a local endpoint with a port", build: func(t testing.TB) *http.Request {
			return form(t, "http://127.0.0.1:4566/", stsForm, "sts", "")
		}},
		{name: "GET with tricky query", build: func(t testing.TB) *http.Request {
			req := newRequest(t, http.MethodGet, "https://iam.amazonaws.com/", nil)
			q := url.Values{}
			q.Set("Action", "ListUsers")
			q.Set("Version", "2010-05-08")
			q.Set("space", "a b  c")
			q.Set("tilde~", "~x~")
			q.Set("plus", "1+1=2")
			q.Set("unicode", "héllo wörld ☃")
			q.Add("repeat", "z")
			q.Add("repeat", "a")
			q.Add("repeat", "")
			q.Set("empty", "")
			q.Set("reserved", "a/b?c&d=e;f,g:h@i$j'k(l)m*n!o")
			q.Set("a-b", "a/b")
			q.Set("a/b", "a-b")
			req.URL.RawQuery = q.Encode()
			signHeader(t, req, nil, emptySHA256, "iam", "us-east-1", "")
			return req
		}},
		{name: "path with spaces and unicode", build: func(t testing.TB) *http.Request {
			req := newRequest(t, http.MethodGet, "https://batch.us-east-1.amazonaws.com/", nil)
			req.URL.Path = "/v1/a b/ünï cödé/~tilde/+plus/"
			signHeader(t, req, nil, emptySHA256, "batch", "us-east-1", "")
			return req
		}},
		{name: "path with an encoded slash", build: func(t testing.TB) *http.Request {
			req := newRequest(t, http.MethodGet, "https://batch.us-east-1.amazonaws.com/", nil)
			req.URL.Path, req.URL.RawPath = "/v1/tags/arn:aws:batch:us-east-1:123456789012:job-queue/q", "/v1/tags/arn%3Aaws%3Abatch%3Aus-east-1%3A123456789012%3Ajob-queue%2Fq"
			signHeader(t, req, nil, emptySHA256, "batch", "us-east-1", "")
			return req
		}},
		{name: "empty path", build: func(t testing.TB) *http.Request {
			req := newRequest(t, http.MethodGet, "https://sts.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15", nil)
			signHeader(t, req, nil, emptySHA256, "sts", "us-east-1", "")
			return req
		}},
		{name: "batch REST-JSON POST with session token", token: testToken, build: func(t testing.TB) *http.Request {
			body := []byte(`{"jobName":"j1","jobQueue":"q","jobDefinition":"d:1"}`)
			req := newRequest(t, http.MethodPost, "https://batch.us-east-1.amazonaws.com/v1/submitjob", body)
			req.Header.Set("Content-Type", "application/json")
			signHeader(t, req, body, "", "batch", "us-east-1", testToken)
			return req
		}},
		{name: "logs JSON 1.1 with X-Amz-Target", build: func(t testing.TB) *http.Request {
			body := []byte(`{"logGroupName":"/aws/batch/job"}`)
			req := newRequest(t, http.MethodPost, "https://logs.us-east-1.amazonaws.com/", body)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", "Logs_20140328.CreateLogGroup")
			signHeader(t, req, body, "", "logs", "us-east-1", "")
			return req
		}},
		{name: "headers with repeated values and runs of spaces", build: func(t testing.TB) *http.Request {
			body := []byte(stsForm)
			req := newRequest(t, http.MethodPost, "https://sts.amazonaws.com/", body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header["X-Amz-Meta-Note"] = []string{"  a   b  c ", "d    e"}
			signHeader(t, req, body, "", "sts", "us-east-1", "")
			return req
		}},
		{name: "X-Amz-Content-Sha256 given", build: func(t testing.TB) *http.Request {
			body := []byte(stsForm)
			req := newRequest(t, http.MethodPost, "https://sts.amazonaws.com/", body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Amz-Content-Sha256", hashHex(body))
			signHeader(t, req, body, "", "sts", "us-east-1", "")
			return req
		}},
		{name: "UNSIGNED-PAYLOAD", bodyUnsigned: true, build: func(t testing.TB) *http.Request {
			body := []byte(stsForm)
			req := newRequest(t, http.MethodPost, "https://sts.amazonaws.com/", body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			signHeader(t, req, body, "UNSIGNED-PAYLOAD", "sts", "us-east-1", "")
			return req
		}},
		{name: "presigned STS GetCallerIdentity", build: func(t testing.TB) *http.Request {
			req := newRequest(t, http.MethodGet, "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", nil)
			req.Header.Set("X-K8s-Aws-Id", "cluster-1")
			return presign(t, req, nil, emptySHA256, "sts", "us-east-1", "")
		}},
		{name: "presigned UNSIGNED-PAYLOAD with session token", token: testToken, build: func(t testing.TB) *http.Request {
			req := newRequest(t, http.MethodGet, "https://iam.amazonaws.com/?Action=ListRoles&Version=2010-05-08&X-Amz-Expires=900&Marker=a%20b", nil)
			return presign(t, req, nil, "UNSIGNED-PAYLOAD", "iam", "us-east-1", testToken)
		}},
	}
}

// TestSDKSignedVerifies: whatever the AWS SDK's signer signs verifies, and
// the fields Parse reads are the ones the SDK wrote.
func TestSDKSignedVerifies(t *testing.T) {
	t.Parallel()
	for _, tc := range sdkCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, body := onWire(t, tc.build(t))
			s, err := sigv4.Parse(r)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if s.AccessKeyID != testAccessKey || s.Date != "20231114" || !s.Time.Equal(signTime) || s.SecurityToken != tc.token {
				t.Fatalf("Parse = %+v", s)
			}
			if err := verifierAt(time.Second).Verify(r, body, s, testSecret); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

// TestTamperedFails: one changed byte anywhere the signature covers, or the
// wrong secret, is SignatureDoesNotMatch.
func TestTamperedFails(t *testing.T) {
	t.Parallel()
	type tamper struct {
		name  string
		apply func(r *http.Request, body []byte) []byte
	}
	for _, tc := range sdkCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client := tc.build(t)
			check := func(t *testing.T, r *http.Request, body []byte, secret string) {
				t.Helper()
				s, err := sigv4.Parse(r)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				wantErr(t, verifierAt(0).Verify(r, body, s, secret), sigv4.CodeSignatureDoesNotMatch, "")
			}

			t.Run("signature", func(t *testing.T) {
				t.Parallel()
				r, body := onWire(t, client)
				s, err := sigv4.Parse(r)
				if err != nil {
					t.Fatal(err)
				}
				v := verifierAt(0)
				orig := s.Signature
				for i := range len(orig) {
					flipped := []byte(orig)
					flipped[i] = "1032547698badcfe"[strings.IndexByte("0123456789abcdef", flipped[i])]
					s.Signature = string(flipped)
					wantErr(t, v.Verify(r, body, s, testSecret), sigv4.CodeSignatureDoesNotMatch, "")
				}
				s.Signature = orig[:len(orig)-1]
				wantErr(t, v.Verify(r, body, s, testSecret), sigv4.CodeSignatureDoesNotMatch, "")
			})
			t.Run("wrong secret", func(t *testing.T) {
				t.Parallel()
				r, body := onWire(t, client)
				s, err := sigv4.Parse(r)
				if err != nil {
					t.Fatal(err)
				}
				v := verifierAt(0)
				if err := v.Verify(r, body, s, testSecret); err != nil {
					t.Fatal(err) // warms the key cache for the right secret
				}
				for _, secret := range []string{"", testSecret[:len(testSecret)-1] + "x", testSecret + " ", "AWS4" + testSecret} {
					wantErr(t, v.Verify(r, body, s, secret), sigv4.CodeSignatureDoesNotMatch, "")
				}
			})

			r0, _ := onWire(t, client)
			s0, err := sigv4.Parse(r0)
			if err != nil {
				t.Fatal(err)
			}
			tampers := []tamper{
				{"method", func(r *http.Request, b []byte) []byte { r.Method = strings.ToLower(r.Method); return b }},
				{"path", func(r *http.Request, b []byte) []byte { r.URL.Path += "x"; r.URL.RawPath = ""; return b }},
				{"path case", func(r *http.Request, b []byte) []byte {
					r.URL.Path = strings.ToUpper(r.URL.Path) + "/V"
					r.URL.RawPath = ""
					return b
				}},
				{"query added", func(r *http.Request, b []byte) []byte { r.URL.RawQuery += "&extra=1"; return b }},
				{"host", func(r *http.Request, b []byte) []byte { r.Host = "x" + r.Host; return b }},
			}
			if r0.URL.RawQuery != "" {
				tampers = append(tampers, tamper{"query value", func(r *http.Request, b []byte) []byte {
					i := strings.LastIndexByte(r.URL.RawQuery, '=')
					r.URL.RawQuery = r.URL.RawQuery[:i+1] + "0" + r.URL.RawQuery[i+1:]
					return b
				}})
			}
			if len(r0.Header["Content-Length"]) > 0 && !tc.bodyUnsigned {
				for _, i := range []int{0, -1} {
					tampers = append(tampers, tamper{"body byte " + map[int]string{0: "first", -1: "last"}[i], func(r *http.Request, b []byte) []byte {
						b = append([]byte(nil), b...)
						b[(i+len(b))%len(b)] ^= 1
						return b
					}})
				}
			}
			for _, h := range s0.SignedHeaders {
				if h == "x-amz-date" || h == "host" {
					continue // covered: the date is part of the scope checks, host above
				}
				tampers = append(tampers, tamper{"header " + h, func(r *http.Request, b []byte) []byte {
					k := http.CanonicalHeaderKey(h)
					v := append([]string(nil), r.Header[k]...)
					last := v[len(v)-1]
					v[len(v)-1] = last[:len(last)-1] + string(last[len(last)-1]^1)
					r.Header[k] = v
					return b
				}})
			}
			for _, tm := range tampers {
				t.Run(tm.name, func(t *testing.T) {
					t.Parallel()
					r, body := onWire(t, client)
					body = tm.apply(r, body)
					check(t, r, body, testSecret)
				})
			}
		})
	}
}

// TestEquivalentEncodingsVerify: AWS canonicalizes the query, so a proxy
// that reorders parameters or re-encodes them does not break the signature.
func TestEquivalentEncodingsVerify(t *testing.T) {
	t.Parallel()
	var tricky sdkCase
	for _, tc := range sdkCases() {
		if tc.name == "GET with tricky query" {
			tricky = tc
		}
	}
	for _, tc := range []struct {
		name    string
		rewrite func(q string) string
	}{
		{"reversed order", func(q string) string {
			parts := strings.Split(q, "&")
			for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
				parts[i], parts[j] = parts[j], parts[i]
			}
			return strings.Join(parts, "&")
		}},
		{"space as plus, tilde escaped, lower-case hex", func(q string) string {
			q = strings.ReplaceAll(q, "%20", "+")
			q = strings.ReplaceAll(q, "~", "%7E")
			return strings.ReplaceAll(q, "%2F", "%2f")
		}},
		{"empty segments", func(q string) string { return "&" + strings.ReplaceAll(q, "&", "&&") + "&" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, body := onWire(t, tricky.build(t))
			r.URL.RawQuery = tc.rewrite(r.URL.RawQuery)
			s, err := sigv4.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			if err := verifierAt(0).Verify(r, body, s, testSecret); err != nil {
				t.Fatalf("Verify(%s): %v", r.URL.RawQuery, err)
			}
		})
	}
}

// TestAWSDocumentedExample checks the worked example of AWS's "Signature
// Version 4 signing process" (IAM ListUsers, 2015-08-30), built by hand.
func TestAWSDocumentedExample(t *testing.T) {
	t.Parallel()
	r := newRequest(t, http.MethodGet, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
	r, body := onWire(t, r)
	s, err := sigv4.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	v := sigv4.NewVerifier(func(o *sigv4.Options) {
		o.Now = func() time.Time { return time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC) }
	})
	if err := v.Verify(r, body, s, testSecret); err != nil {
		t.Fatal(err)
	}
}

// TestClockSkew: a header-signed request is good within MaxSkew of the
// server's clock either way, and refused with AWS's messages beyond.
func TestClockSkew(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		now     time.Duration // server clock minus signing time
		maxSkew time.Duration
		code    string
		message string
	}{
		{name: "on time", now: 0},
		{name: "14m59s late", now: 14*time.Minute + 59*time.Second},
		{name: "exactly 15m late", now: 15 * time.Minute},
		{name: "exactly 15m early", now: -15 * time.Minute},
		{name: "15m1s late", now: 15*time.Minute + time.Second, code: sigv4.CodeSignatureDoesNotMatch,
			message: "Signature expired: 20231114T221320Z is now earlier than 20231114T221321Z (20231114T222821Z - 15 min.)"},
		{name: "40m late (AWS's example)", now: 40 * time.Minute, code: sigv4.CodeSignatureDoesNotMatch,
			message: "Signature expired: 20231114T221320Z is now earlier than 20231114T223820Z (20231114T225320Z - 15 min.)"},
		{name: "15m1s early", now: -15*time.Minute - time.Second, code: sigv4.CodeSignatureDoesNotMatch,
			message: "Signature not yet current: 20231114T221320Z is still later than 20231114T221319Z (20231114T215819Z + 15 min.)"},
		{name: "2h early", now: -2 * time.Hour, code: sigv4.CodeSignatureDoesNotMatch,
			message: "Signature not yet current: 20231114T221320Z is still later than 20231114T202820Z (20231114T201320Z + 15 min.)"},
		{name: "6m late with 5m skew", now: 6 * time.Minute, maxSkew: 5 * time.Minute, code: sigv4.CodeSignatureDoesNotMatch,
			message: "Signature expired: 20231114T221320Z is now earlier than 20231114T221420Z (20231114T221920Z - 5 min.)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, body := onWire(t, sdkCases()[0].build(t))
			s, err := sigv4.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			err = verifierAt(tc.now, func(o *sigv4.Options) { o.MaxSkew = tc.maxSkew }).Verify(r, body, s, testSecret)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.code, tc.message)
		})
	}
}

// TestPresignedExpiry: a presigned URL is good until X-Amz-Date plus
// X-Amz-Expires, refused after; without X-Amz-Expires the usual 15 minutes.
func TestPresignedExpiry(t *testing.T) {
	t.Parallel()
	build := func(t testing.TB, expires string) (*http.Request, []byte) {
		target := "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
		if expires != "" {
			target += "&X-Amz-Expires=" + expires
		}
		return onWire(t, presign(t, newRequest(t, http.MethodGet, target, nil), nil, emptySHA256, "sts", "us-east-1", ""))
	}
	for _, tc := range []struct {
		name    string
		expires string
		now     time.Duration
		code    string
		message string
	}{
		{name: "60s: at signing", expires: "60", now: 0},
		{name: "60s: 59s later", expires: "60", now: 59 * time.Second},
		{name: "60s: 60s later", expires: "60", now: 60 * time.Second, code: sigv4.CodeRequestExpired, message: "Request has expired."},
		{name: "60s: a day later", expires: "60", now: 24 * time.Hour, code: sigv4.CodeRequestExpired, message: "Request has expired."},
		{name: "7 days: 6 days later", expires: "604800", now: 6 * 24 * time.Hour},
		{name: "7 days: 7 days later", expires: "604800", now: 7 * 24 * time.Hour, code: sigv4.CodeRequestExpired},
		{name: "0s is always expired", expires: "0", now: 0, code: sigv4.CodeRequestExpired},
		{name: "60s: signed 16m in the future", expires: "60", now: -16 * time.Minute, code: sigv4.CodeSignatureDoesNotMatch,
			message: "Signature not yet current: 20231114T221320Z is still later than 20231114T221220Z (20231114T215720Z + 15 min.)"},
		{name: "no X-Amz-Expires: 15m later", now: 15 * time.Minute},
		{name: "no X-Amz-Expires: 16m later", now: 16 * time.Minute, code: sigv4.CodeSignatureDoesNotMatch,
			message: "Signature expired: 20231114T221320Z is now earlier than 20231114T221420Z (20231114T222920Z - 15 min.)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, body := build(t, tc.expires)
			s, err := sigv4.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Presigned {
				t.Fatal("not presigned")
			}
			err = verifierAt(tc.now).Verify(r, body, s, testSecret)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.code, tc.message)
		})
	}
}

// TestValidate: the checks that need no secret.
func TestValidate(t *testing.T) {
	t.Parallel()
	const date = "20231114T221320Z"
	for _, tc := range []struct {
		name    string
		auth    string
		region  string
		code    string
		message string
	}{
		{name: "valid",
			auth: "AWS4-HMAC-SHA256 Credential=AKID/20231114/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"},
		{name: "trailing slash in credential ignored",
			auth: "AWS4-HMAC-SHA256 Credential=AKID/20231114/us-east-1/sts/aws4_request/, SignedHeaders=host;x-amz-date, Signature=00"},
		{name: "host not signed", code: sigv4.CodeSignatureDoesNotMatch,
			auth:    "AWS4-HMAC-SHA256 Credential=AKID/20231114/us-east-1/sts/aws4_request, SignedHeaders=content-type;x-amz-date, Signature=00",
			message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "no signed headers", code: sigv4.CodeSignatureDoesNotMatch,
			auth:    "AWS4-HMAC-SHA256 Credential=AKID/20231114/us-east-1/sts/aws4_request, SignedHeaders=, Signature=00",
			message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{name: "scope date is not the request's day", code: sigv4.CodeSignatureDoesNotMatch,
			auth:    "AWS4-HMAC-SHA256 Credential=AKID/20231113/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
			message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20231113' != '20231114', from '20231114T221320Z'."},
		{name: "bad terminator and date", code: sigv4.CodeSignatureDoesNotMatch,
			auth:    "AWS4-HMAC-SHA256 Credential=AKID/b/us-east-1/sts/aws5_request, SignedHeaders=host;x-amz-date, Signature=00",
			message: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: 'b' != '20231114', from '20231114T221320Z'."},
		{name: "wrong region", region: "us-east-1", code: sigv4.CodeSignatureDoesNotMatch,
			auth:    "AWS4-HMAC-SHA256 Credential=AKID/20231114/eu-west-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
			message: "Credential should be scoped to a valid region, not 'eu-west-1'."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRequest(t, http.MethodPost, "https://sts.amazonaws.com/", nil)
			r.Header.Set("Authorization", tc.auth)
			r.Header.Set("X-Amz-Date", date)
			s, err := sigv4.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			err = verifierAt(0, func(o *sigv4.Options) { o.Region = tc.region }).Validate(s)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.code, tc.message)
			// Verify refuses for the same reason, before any signature work.
			wantErr(t, verifierAt(0, func(o *sigv4.Options) { o.Region = tc.region }).Verify(r, nil, s, testSecret), tc.code, tc.message)
		})
	}
}

// TestPayloadHashMismatch: an X-Amz-Content-Sha256 that is not the body's
// hash is refused even when the signature covers it, so that a body cannot
// be swapped under a signed hash.
func TestPayloadHashMismatch(t *testing.T) {
	t.Parallel()
	body := []byte(stsForm)
	for _, tc := range []struct{ name, header string }{
		{"hash of another body", hashHex([]byte("Action=DeleteUser"))},
		{"upper-case hex", strings.ToUpper(hashHex(body))},
		{"not a hash", "whatever"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := newRequest(t, http.MethodPost, "https://sts.amazonaws.com/", body)
			req.Header.Set("X-Amz-Content-Sha256", tc.header)
			signHeader(t, req, body, tc.header, "sts", "us-east-1", "")
			r, got := onWire(t, req)
			s, err := sigv4.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			wantErr(t, verifierAt(0).Verify(r, got, s, testSecret), sigv4.CodeSignatureDoesNotMatch, "")
		})
	}
}

// TestPresignedUnsignedPayloadNeedsEmptyBody: a URL presigned over
// UNSIGNED-PAYLOAD without saying so does not authenticate a body sent with it.
func TestPresignedUnsignedPayloadNeedsEmptyBody(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		body   string
		header bool // X-Amz-Content-Sha256: UNSIGNED-PAYLOAD sent and signed
		ok     bool
	}{
		{name: "empty body", ok: true},
		{name: "body", body: "Action=CreateUser&UserName=mallory&Version=2010-05-08"},
		{name: "body, unsigned payload declared", body: "Action=CreateUser&UserName=x&Version=2010-05-08", header: true, ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := newRequest(t, http.MethodPost, "https://iam.amazonaws.com/?X-Amz-Expires=60", nil)
			if tc.header {
				req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
			}
			client := presign(t, req, nil, "UNSIGNED-PAYLOAD", "iam", "us-east-1", "")
			if tc.body != "" {
				client = newRequest(t, http.MethodPost, client.URL.String(), []byte(tc.body))
				if tc.header {
					client.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
				}
			}
			r, body := onWire(t, client)
			s, err := sigv4.Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			err = verifierAt(0).Verify(r, body, s, testSecret)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, sigv4.CodeSignatureDoesNotMatch, "")
		})
	}
}

// TestKeyCache: the cache never answers for another secret, evicts when
// full, and is safe for concurrent use.
func TestKeyCache(t *testing.T) {
	t.Parallel()
	r, body := onWire(t, sdkCases()[0].build(t))
	s, err := sigv4.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{-1, 1, 2, 0} {
		v := verifierAt(0, func(o *sigv4.Options) { o.CacheSize = size })
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := range 8 {
			wg.Go(func() {
				for i := range 50 {
					if err := v.Verify(r, body, s, testSecret); err != nil {
						errs <- err
					}
					other := *s
					other.AccessKeyID = "AKID" + string(rune('A'+(g+i)%5))
					if err := v.Verify(r, body, &other, testSecret+"x"); err == nil {
						errs <- errors.New("verified under another secret")
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("CacheSize %d: %v", size, err)
		}
	}
}

// TestVerifyAllocs: a warm verification allocates nothing.
func TestVerifyAllocs(t *testing.T) {
	r, body := onWire(t, sdkCases()[0].build(t))
	s, err := sigv4.Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	v := verifierAt(0)
	if err := v.Verify(r, body, s, testSecret); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = v.Verify(r, body, s, testSecret) }); n != 0 {
		t.Fatalf("Verify allocates %v times per run, want 0", n)
	}
}
