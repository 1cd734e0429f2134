package sigv4_test

import (
	"net/http"
	"testing"

	"batchd/internal/sigv4"
)

// stsRequest is an STS GetCallerIdentity call as aws-sdk-go-v2 sends it,
// signed by its signer and read back from the wire.
func stsRequest(b *testing.B) (*http.Request, []byte) {
	body := []byte(stsForm)
	req := newRequest(b, http.MethodPost, "https://sts.us-east-1.amazonaws.com/", body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 ua/2.1 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#amd64 api/sts#1.39.0 m/E")
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("Amz-Sdk-Invocation-Id", "6d3f0e59-0c1b-4b61-9c2e-3f0b4b8f6a11")
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	signHeader(b, req, body, "", "sts", "us-east-1", "")
	return onWire(b, req)
}

// BenchmarkVerify measures authenticating a typical STS call with a warm
// key cache: Verify alone, and Parse plus Verify as the server runs them.
func BenchmarkVerify(b *testing.B) {
	r, body := stsRequest(b)
	s, err := sigv4.Parse(r)
	if err != nil {
		b.Fatal(err)
	}
	v := verifierAt(0)
	if err := v.Verify(r, body, s, testSecret); err != nil {
		b.Fatal(err) // the outcome first; this also warms the cache
	}
	b.Run("Verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := v.Verify(r, body, s, testSecret); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ParseVerify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := sigv4.Parse(r)
			if err != nil {
				b.Fatal(err)
			}
			if err := v.Verify(r, body, s, testSecret); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ColdKey", func(b *testing.B) {
		cold := verifierAt(0, func(o *sigv4.Options) { o.CacheSize = -1 })
		b.ReportAllocs()
		for b.Loop() {
			if err := cold.Verify(r, body, s, testSecret); err != nil {
				b.Fatal(err)
			}
		}
	})
}
