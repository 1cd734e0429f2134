package main

// The front door (issue 9): signatures scoped to another region, unsigned
// bodies, the authentication errors of each protocol, resource values.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// A signature scoped to another region than the server's is refused, for
// every service; IAM and STS also take us-east-1, their global scope.
func TestSignedForAnotherRegion(t *testing.T) {
	t.Parallel()
	ts := startJobServer(t, func(c *Config) { c.Region = "eu-west-1" })
	ctx := context.Background()
	in := func(region string) func(*aws.Config) {
		return func(c *aws.Config) { c.Region = region }
	}
	cfg := func(region string) aws.Config {
		c := ts.awsConfig(ts.Root)
		in(region)(&c)
		return c
	}
	const msg = "Credential should be scoped to a valid region, not 'ap-south-1'. "

	_, err := sts.NewFromConfig(cfg("ap-south-1"), func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", msg)
	_, err = iam.NewFromConfig(cfg("ap-south-1"), func(o *iam.Options) { o.BaseEndpoint = aws.String(ts.URL) }).ListUsers(ctx, &iam.ListUsersInput{})
	wantAPIError(t, err, "SignatureDoesNotMatch", msg)
	_, err = batch.NewFromConfig(cfg("ap-south-1"), func(o *batch.Options) { o.BaseEndpoint = aws.String(ts.URL) }).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})
	wantAPIError(t, err, "InvalidSignatureException", msg)
	_, err = cloudwatchlogs.NewFromConfig(cfg("ap-south-1"), func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(ts.URL) }).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	wantAPIError(t, err, "InvalidSignatureException", msg)
	// Batch is regional: us-east-1 is another region here.
	_, err = batch.NewFromConfig(cfg("us-east-1"), func(o *batch.Options) { o.BaseEndpoint = aws.String(ts.URL) }).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})
	wantAPIError(t, err, "InvalidSignatureException", "Credential should be scoped to a valid region, not 'us-east-1'. ")

	for _, region := range []string{"eu-west-1", "us-east-1"} {
		if _, err := sts.NewFromConfig(cfg(region), func(o *sts.Options) { o.BaseEndpoint = aws.String(ts.URL) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Errorf("STS scoped to %s: %v", region, err)
		}
		if _, err := iam.NewFromConfig(cfg(region), func(o *iam.Options) { o.BaseEndpoint = aws.String(ts.URL) }).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
			t.Errorf("IAM scoped to %s: %v", region, err)
		}
	}
	if _, err := batch.NewFromConfig(cfg("eu-west-1"), func(o *batch.Options) { o.BaseEndpoint = aws.String(ts.URL) }).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{}); err != nil {
		t.Errorf("Batch scoped to its region: %v", err)
	}
}

// A body sent under X-Amz-Content-Sha256: UNSIGNED-PAYLOAD (or
// STREAMING-*) is not authenticated, so it is refused on every service.
func TestUnsignedPayloadRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	for _, tc := range []struct {
		name, service, path, contentType, target, body, payload, code string
	}{
		{"batch", "batch", "/v1/createcomputeenvironment", "application/json", "", `{"computeEnvironmentName":"x","type":"UNMANAGED"}`, "UNSIGNED-PAYLOAD", "InvalidSignatureException"},
		{"logs", "logs", "/", "application/x-amz-json-1.1", "Logs_20140328.CreateLogGroup", `{"logGroupName":"x"}`, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "InvalidSignatureException"},
		{"iam", "iam", "/", "application/x-www-form-urlencoded", "", "Action=CreateUser&UserName=x&Version=2010-05-08", "UNSIGNED-PAYLOAD", "SignatureDoesNotMatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, ts.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tc.contentType)
			if tc.target != "" {
				req.Header.Set("X-Amz-Target", tc.target)
			}
			req.Header.Set("X-Amz-Content-Sha256", tc.payload)
			if err := v4.NewSigner().SignHTTP(context.Background(), ts.Root, req, tc.payload, tc.service, "us-east-1", time.Now()); err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), tc.code) || !strings.Contains(string(body), "must be signed") {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
		})
	}
}

// JSON and REST-JSON services answer a bad signature with
// InvalidSignatureException and an unknown key with
// UnrecognizedClientException; a denied call is AccessDeniedException, 403.
func TestJSONAuthErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	wrong := ts.Root
	wrong.SecretAccessKey = strings.Repeat("x", 40)
	unknown := aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}

	_, err := ts.batch(wrong).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})
	wantAPIError(t, err, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
	_, err = ts.logs(wrong).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	wantAPIError(t, err, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.")
	_, err = ts.batch(unknown).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})
	wantAPIError(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")
	_, err = ts.logs(unknown).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	wantAPIError(t, err, "UnrecognizedClientException", "The security token included in the request is invalid.")

	nobody := newUser(t, ts.iam(ts.Root), "nobody-at-all")
	for name, call := range map[string]func() error{
		"batch": func() error {
			_, err := ts.batch(nobody).DescribeJobQueues(ctx, &batch.DescribeJobQueuesInput{})
			return err
		},
		"logs": func() error {
			_, err := ts.logs(nobody).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
			return err
		},
	} {
		err := call()
		wantAPIError(t, err, "AccessDeniedException", "is not authorized to perform")
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
			t.Errorf("%s: denied with status %v, want 403", name, err)
		}
	}
}

// Numbers are numbers: a resource value such as "1e300" or "NaN" is
// refused on register and on submit, naming the field.
func TestResourceValuesRefused(t *testing.T) {
	t.Parallel()
	ts := startJobServer(t, nil)
	c := ts.batch(ts.Root)
	ctx := context.Background()
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	register(t, c, shellDef("jd", "true"))

	bad := shellDef("bad", "true")
	bad.ContainerProperties.ResourceRequirements[0].Value = aws.String("1e300")
	_, err := c.RegisterJobDefinition(ctx, bad)
	wantAPIError(t, err, "ClientException", `containerProperties.resourceRequirements[0].value "1e300": VCPU must be a decimal number.`)

	for _, tc := range []struct{ typ, value, why string }{
		{"VCPU", "1e300", "must be a decimal number"},
		{"MEMORY", "NaN", "must be a decimal number"},
	} {
		_, err := c.SubmitJob(ctx, &batch.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("q"), JobDefinition: aws.String("jd"),
			ContainerOverrides: &batchtypes.ContainerOverrides{ResourceRequirements: []batchtypes.ResourceRequirement{{Type: batchtypes.ResourceType(tc.typ), Value: aws.String(tc.value)}}}})
		wantAPIError(t, err, "ClientException", `containerOverrides.resourceRequirements[0].value "`+tc.value+`": `+tc.typ+" "+tc.why)
	}
}

// Held connections do not lock a signed caller out: beside 1,000
// connections that stall in their headers or their bodies, a signed call
// is answered at once.
func TestHeldConnectionsDoNotLockOut(t *testing.T) {
	ts := startServer(t, "")
	addr := strings.TrimPrefix(ts.URL, "http://")
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	unknownAuth := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/" + time.Now().UTC().Format("20060102") + "/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64)
	for i := range 1000 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		held = append(held, c)
		if i%2 == 0 {
			// Stalls in its headers.
			_, err = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n")
		} else {
			// Stalls in its body, with an unknown key.
			_, err = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nX-Amz-Date: "+time.Now().UTC().Format("20060102T150405Z")+
				"\r\nAuthorization: "+unknownAuth+"\r\n\r\nAction=GetCallerIdentity&")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	client := ts.sts(ts.Root)
	var took []time.Duration
	for range 20 {
		start := time.Now()
		if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatalf("signed call beside 1,000 held connections: %v", err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	t.Logf("signed GetCallerIdentity beside 1,000 held connections: p50 %v, max %v", took[len(took)/2], took[len(took)-1])
	if took[len(took)/2] > time.Second {
		t.Errorf("p50 %v beside held connections", took[len(took)/2])
	}
}

// Bodies of callers whose key batchd does not know are never read: 300
// concurrent 2 MiB bodies leave the heap about as it was.
func TestUnauthenticatedBodiesNotBuffered(t *testing.T) {
	ts := startServer(t, "")
	body := bytes.Repeat([]byte("a"), 2<<20)
	unknown := aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	var refused atomic.Int32
	for range 300 {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, ts.URL+"/", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if err := v4.NewSigner().SignHTTP(context.Background(), unknown, req, hashOf(body), "sts", "us-east-1", time.Now()); err != nil {
				t.Error(err)
				return
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return // the server may close the connection without reading the body
			}
			b, _ := io.ReadAll(resp.Body) // the status is what counts
			resp.Body.Close()
			if resp.StatusCode == http.StatusForbidden && bytes.Contains(b, []byte("InvalidClientTokenId")) {
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	growth := int64(peak.Load()) - int64(before.HeapInuse)
	t.Logf("300 unauthenticated 2 MiB bodies: heap in use grew by at most %d MiB; %d refused with InvalidClientTokenId", growth>>20, refused.Load())
	if refused.Load() == 0 {
		t.Errorf("no request was refused as unknown")
	}
	if growth > 200<<20 {
		t.Errorf("heap grew by %d MiB: bodies were buffered", growth>>20)
	}
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
