package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// An unsigned request is refused before anything else runs.
func TestUnsignedRequestRefused(t *testing.T) {
	ts := startServer(t, "")
	resp, err := http.PostForm(ts.URL+"/", url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "<Code>MissingAuthenticationToken</Code>") {
		t.Fatalf("status %d, body %s", resp.StatusCode, body)
	}
}

// Inactive keys and the keys of deleted users are refused; a wrong secret
// does not match the signature.
func TestKeysRefused(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	carol := newUser(t, admin, "carol")
	if _, err := ts.sts(carol).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	wrong := carol
	wrong.SecretAccessKey = strings.Repeat("x", 40)
	_, err := ts.sts(wrong).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")

	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("carol"), AccessKeyId: aws.String(carol.AccessKeyID), Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.sts(carol).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	if _, err := admin.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("carol"), AccessKeyId: aws.String(carol.AccessKeyID), Status: iamtypes.StatusTypeActive}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.sts(carol).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("reactivated key: %v", err)
	}
	if _, err := admin.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("carol"), AccessKeyId: aws.String(carol.AccessKeyID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.sts(carol).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
	unknown := aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	_, err = ts.sts(unknown).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

// With --tls-cert/--tls-key batchd serves HTTPS and aws:SecureTransport is
// true: a policy that requires it allows over TLS.
func TestTLSAndSecureTransport(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	cfg := defaultConfig()
	cfg.DataDir = dir
	cfg.Executor = "local" // the tests of the container executor choose it
	cfg.TLSCert, cfg.TLSKey = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cfg.TLSCert, certPEM, 0o600)
	os.WriteFile(cfg.TLSKey, keyPEM, 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, ln, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard) }()
	t.Cleanup(func() { cancel(); <-done })
	var root aws.Credentials
	for i := 0; i < 500; i++ {
		if root, err = readCredentials(filepath.Join(dir, "root-credentials")); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	ts := &testServer{URL: "https://" + ln.Addr().String()}
	tlsCfg := func(creds aws.Credentials) aws.Config {
		c := ts.awsConfig(creds)
		c.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		return c
	}
	admin := iam.NewFromConfig(tlsCfg(root), func(o *iam.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	dana := newUser(t, admin, "dana", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}`)
	client := iam.NewFromConfig(tlsCfg(dana), func(o *iam.Options) { o.BaseEndpoint = aws.String(ts.URL) })
	if _, err := client.ListUsers(context.Background(), &iam.ListUsersInput{}); err != nil {
		t.Fatalf("ListUsers over TLS with aws:SecureTransport: %v", err)
	}
}

// On plain HTTP aws:SecureTransport is false.
func TestPlainHTTPIsNotSecureTransport(t *testing.T) {
	ts := startServer(t, "")
	erin := newUser(t, ts.iam(ts.Root), "erin", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}`)
	_, err := ts.iam(erin).ListUsers(context.Background(), &iam.ListUsersInput{})
	wantAPIError(t, err, "AccessDenied", "because no identity-based policy allows the iam:ListUsers action")
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "batchd test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// GetAccessKeyLastUsed reports the service and region a key last signed for.
func TestAccessKeyLastUsed(t *testing.T) {
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	fay := newUser(t, admin, "fay")
	out, err := admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(fay.AccessKeyID)})
	if err != nil || *out.AccessKeyLastUsed.ServiceName != "N/A" || out.AccessKeyLastUsed.LastUsedDate != nil {
		t.Fatalf("unused key: %+v, %v", out.AccessKeyLastUsed, err)
	}
	if _, err := ts.sts(fay).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	out, err = admin.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(fay.AccessKeyID)})
	if err != nil || *out.AccessKeyLastUsed.ServiceName != "sts" || *out.AccessKeyLastUsed.Region != "us-east-1" || out.AccessKeyLastUsed.LastUsedDate == nil || *out.UserName != "fay" {
		t.Fatalf("used key: %+v, %v", out.AccessKeyLastUsed, err)
	}
}
