package batch_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"batchd/internal/awsproto"
	"batchd/internal/batch"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdk "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/smithy-go"
)

func ptr[T any](v T) *T { return &v }

const (
	jobID    = "4f1e2d3c-b5a6-4798-8a9b-0c1d2e3f4a5b"
	queueARN = "arn:aws:batch:us-east-1:123456789012:job-queue/high priority"
	// trickyValue has what JSON escaping must get right.
	trickyValue = "a<b & \"c\" 'd'>\r\n\te\\f ü 😀"
)

// sampleJob is a JobDetail of a running array job's child, with a
// container, two attempts and array properties: what DescribeJobs
// returns.
func sampleJob() batch.JobDetail {
	return batch.JobDetail{
		JobArn:             ptr("arn:aws:batch:us-east-1:123456789012:job/" + jobID),
		JobName:            "nightly-etl",
		JobId:              jobID,
		JobQueue:           queueARN,
		Status:             batch.JobStatusRunning,
		ShareIdentifier:    ptr("team-a"),
		SchedulingPriority: ptr(int32(0)),
		Attempts: []batch.AttemptDetail{
			{
				Container: &batch.AttemptContainerDetail{
					ContainerInstanceArn: ptr("arn:aws:ecs:us-east-1:123456789012:container-instance/abc"),
					TaskArn:              ptr("arn:aws:ecs:us-east-1:123456789012:task/def"),
					ExitCode:             ptr(int32(137)),
					Reason:               ptr("OutOfMemoryError: Container killed due to memory usage"),
					LogStreamName:        ptr("nightly-etl/default/0123"),
					NetworkInterfaces:    []batch.NetworkInterface{{PrivateIpv4Address: ptr("10.0.0.12")}},
				},
				StartedAt:    ptr(int64(1700000001000)),
				StoppedAt:    ptr(int64(1700000061999)),
				StatusReason: ptr("Essential container in task exited"),
			},
			{StartedAt: ptr(int64(1700000100000))},
		},
		StatusReason:  ptr(trickyValue),
		CreatedAt:     ptr(int64(1700000000123)),
		RetryStrategy: &batch.RetryStrategy{Attempts: ptr(int32(3)), EvaluateOnExit: []batch.EvaluateOnExit{{OnExitCode: ptr("137"), Action: batch.RetryActionRetry}}},
		StartedAt:     ptr(int64(1700000100000)),
		DependsOn:     []batch.JobDependency{{JobId: ptr("a1"), Type: batch.ArrayJobDependencyNToN}},
		JobDefinition: "arn:aws:batch:us-east-1:123456789012:job-definition/etl:7",
		Parameters:    map[string]string{"date": "2024-03-01", "tricky": trickyValue},
		Container: &batch.ContainerDetail{
			Image:                  ptr("public.ecr.aws/docker/library/busybox:latest"),
			Vcpus:                  ptr(int32(2)),
			Memory:                 ptr(int32(2048)),
			Command:                []string{"sh", "-c", "echo $DATE && exit 0"},
			JobRoleArn:             ptr("arn:aws:iam::123456789012:role/etl"),
			Environment:            []batch.KeyValuePair{{Name: ptr("DATE"), Value: ptr("2024-03-01")}, {Name: ptr("EMPTY"), Value: ptr("")}},
			ReadonlyRootFilesystem: ptr(false),
			Privileged:             ptr(true),
			Ulimits:                []batch.Ulimit{{Name: "nofile", SoftLimit: ptr(int32(0)), HardLimit: ptr(int32(4096))}},
			ExitCode:               ptr(int32(0)),
			LogStreamName:          ptr("nightly-etl/default/4567"),
			ResourceRequirements:   []batch.ResourceRequirement{{Type: batch.ResourceTypeGpu, Value: "1"}},
			LinuxParameters:        &batch.LinuxParameters{InitProcessEnabled: ptr(true), SharedMemorySize: ptr(int32(64)), Tmpfs: []batch.Tmpfs{{ContainerPath: "/scratch", Size: ptr(int32(128)), MountOptions: []string{"rw"}}}},
			LogConfiguration:       &batch.LogConfiguration{LogDriver: batch.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/aws/batch/job"}},
			NetworkConfiguration:   &batch.NetworkConfiguration{AssignPublicIp: batch.AssignPublicIpDisabled},
		},
		ArrayProperties: &batch.ArrayPropertiesDetail{
			StatusSummary:              map[string]int32{"RUNNING": 1, "SUCCEEDED": 0},
			StatusSummaryLastUpdatedAt: ptr(int64(1700000200000)),
			Size:                       ptr(int32(2)),
			Index:                      ptr(int32(1)),
		},
		Timeout:              &batch.JobTimeout{AttemptDurationSeconds: ptr(int32(3600))},
		Tags:                 map[string]string{"team": "data", "tricky": trickyValue},
		PropagateTags:        ptr(true),
		PlatformCapabilities: []string{batch.PlatformCapabilityEc2},
		IsCancelled:          ptr(false),
		IsTerminated:         ptr(false),
	}
}

// server answers SubmitJob, DescribeJobs and ListTagsForResource the way
// batchd's server will: route, validate, decode into the generated input
// type, answer with the generated output type. What it decoded is kept for
// the tests to compare with what the SDK sent.
type server struct {
	*httptest.Server
	n atomic.Int64

	mu       sync.Mutex
	received map[string]any // operation → decoded input
}

func newServer(t testing.TB) *server {
	t.Helper()
	s := &server{received: map[string]any{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	id := fmt.Sprintf("req-%d", s.n.Add(1))
	result, err := s.handle(r)
	if err != nil {
		awsproto.WriteJSONError(w, err, id, awsproto.ProtocolRESTJSON)
		return
	}
	awsproto.WriteJSON(w, http.StatusOK, id, result)
}

func (s *server) handle(r *http.Request) (any, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	req, err := awsproto.ParseRESTJSON("batch", r, body)
	if err != nil {
		return nil, err
	}
	if err := awsproto.ValidateJSON("batch", req.Operation, req.Input()); err != nil {
		return nil, err
	}
	keep := func(v any) error {
		if err := req.Decode(v); err != nil {
			return err
		}
		s.mu.Lock()
		s.received[req.Operation] = v
		s.mu.Unlock()
		return nil
	}
	switch req.Operation {
	case "SubmitJob":
		var in batch.SubmitJobRequest
		if err := keep(&in); err != nil {
			return nil, err
		}
		return &batch.SubmitJobResponse{JobArn: ptr("arn:aws:batch:us-east-1:123456789012:job/" + jobID), JobName: in.JobName, JobId: jobID}, nil
	case "DescribeJobs":
		var in batch.DescribeJobsRequest
		if err := keep(&in); err != nil {
			return nil, err
		}
		out := &batch.DescribeJobsResponse{Jobs: []batch.JobDetail{}}
		for _, id := range in.Jobs {
			switch id {
			case jobID:
				out.Jobs = append(out.Jobs, sampleJob())
			case "broken":
				return nil, errors.New("store: database is on fire")
			case "refused":
				return nil, awsproto.Errorf("ClientException", "Job %s is not in this account.", id)
			}
		}
		return out, nil
	case "ListTagsForResource":
		var in batch.ListTagsForResourceRequest
		if err := keep(&in); err != nil {
			return nil, err
		}
		return &batch.ListTagsForResourceResponse{Tags: map[string]string{"arn": in.ResourceArn, "tricky": trickyValue}}, nil
	case "UntagResource":
		var in batch.UntagResourceRequest
		if err := keep(&in); err != nil {
			return nil, err
		}
		return &batch.UntagResourceResponse{}, nil
	}
	return nil, awsproto.Errorf("ClientException", "%s is not in this test server.", req.Operation)
}

func (s *server) input(op string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received[op]
}

func newClient(t testing.TB, url string) *sdk.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")),
		config.WithSharedConfigFiles([]string{}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithRetryMaxAttempts(1),
	)
	if err != nil {
		t.Fatal(err)
	}
	return sdk.NewFromConfig(cfg, func(o *sdk.Options) { o.BaseEndpoint = aws.String(url) })
}

// sameFields compares a generated value with the SDK's value of the same
// shape, field by field and by name: every field of ours must exist in
// the SDK's type and hold the same value. A nil pointer and a zero string
// of ours match an SDK nil pointer or zero value.
func sameFields(t *testing.T, path string, ours, theirs reflect.Value) {
	t.Helper()
	for ours.Kind() == reflect.Pointer || ours.Kind() == reflect.Interface {
		if ours.IsNil() {
			if !isNilOrZero(theirs) {
				t.Errorf("%s: ours is nil, the SDK's is %v", path, theirs)
			}
			return
		}
		ours = ours.Elem()
	}
	for theirs.Kind() == reflect.Pointer || theirs.Kind() == reflect.Interface {
		if theirs.IsNil() {
			if !ours.IsZero() {
				t.Errorf("%s: ours is %v, the SDK's is nil", path, ours)
			}
			return
		}
		theirs = theirs.Elem()
	}
	switch ours.Kind() {
	case reflect.Struct:
		for i := range ours.NumField() {
			f := ours.Type().Field(i)
			tf := theirs.FieldByName(f.Name)
			if !tf.IsValid() {
				t.Errorf("%s.%s: the SDK's %s has no such field", path, f.Name, theirs.Type())
				continue
			}
			sameFields(t, path+"."+f.Name, ours.Field(i), tf)
		}
	case reflect.Slice:
		if ours.Len() != theirs.Len() {
			t.Errorf("%s: %d elements, the SDK's %d", path, ours.Len(), theirs.Len())
			return
		}
		for i := range ours.Len() {
			sameFields(t, fmt.Sprintf("%s[%d]", path, i), ours.Index(i), theirs.Index(i))
		}
	case reflect.Map:
		if ours.Len() != theirs.Len() {
			t.Errorf("%s: %d entries, the SDK's %d", path, ours.Len(), theirs.Len())
			return
		}
		for _, k := range ours.MapKeys() {
			tv := theirs.MapIndex(k)
			if !tv.IsValid() {
				t.Errorf("%s[%v]: missing in the SDK's", path, k)
				continue
			}
			sameFields(t, fmt.Sprintf("%s[%v]", path, k), ours.MapIndex(k), tv)
		}
	case reflect.String:
		if ours.String() != theirs.String() {
			t.Errorf("%s = %q, the SDK's %q", path, ours.String(), theirs.String())
		}
	case reflect.Int32, reflect.Int64:
		if ours.Int() != theirs.Int() {
			t.Errorf("%s = %d, the SDK's %d", path, ours.Int(), theirs.Int())
		}
	case reflect.Float64:
		if ours.Float() != theirs.Float() {
			t.Errorf("%s = %g, the SDK's %g", path, ours.Float(), theirs.Float())
		}
	case reflect.Bool:
		if ours.Bool() != theirs.Bool() {
			t.Errorf("%s = %v, the SDK's %v", path, ours.Bool(), theirs.Bool())
		}
	default:
		t.Errorf("%s: unexpected kind %s", path, ours.Kind())
	}
}

func isNilOrZero(v reflect.Value) bool {
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.IsNil() {
		return true
	}
	return v.IsZero()
}

// countSet counts the scalar values a generated value sets, so that a
// test knows its sample exercises what it claims to.
func countSet(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		return countSet(v.Elem())
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			n += countSet(v.Field(i))
		}
		return n
	case reflect.Slice:
		n := 0
		for i := range v.Len() {
			n += countSet(v.Index(i))
		}
		return n
	case reflect.Map:
		n := 0
		for _, k := range v.MapKeys() {
			n += countSet(v.MapIndex(k))
		}
		return n
	case reflect.String:
		if v.String() == "" {
			return 0
		}
	}
	return 1
}

func TestSDKSubmitJob(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client := newClient(t, srv.URL)
	in := &sdk.SubmitJobInput{
		JobName:                    aws.String("nightly-etl"),
		JobQueue:                   aws.String(queueARN),
		JobDefinition:              aws.String("etl:7"),
		ShareIdentifier:            aws.String("team-a"),
		SchedulingPriorityOverride: aws.Int32(0),
		ArrayProperties:            &types.ArrayProperties{Size: aws.Int32(100)},
		DependsOn:                  []types.JobDependency{{JobId: aws.String("a1"), Type: types.ArrayJobDependencySequential}},
		Parameters:                 map[string]string{"date": "2024-03-01", "tricky": trickyValue},
		ContainerOverrides: &types.ContainerOverrides{
			Command:              []string{"sh", "-c", trickyValue},
			Environment:          []types.KeyValuePair{{Name: aws.String("A"), Value: aws.String("")}},
			ResourceRequirements: []types.ResourceRequirement{{Type: types.ResourceTypeMemory, Value: aws.String("4096")}},
		},
		RetryStrategy: &types.RetryStrategy{Attempts: aws.Int32(2), EvaluateOnExit: []types.EvaluateOnExit{{Action: types.RetryActionExit, OnReason: aws.String("*")}}},
		PropagateTags: aws.Bool(false),
		Timeout:       &types.JobTimeout{AttemptDurationSeconds: aws.Int32(60)},
		Tags:          map[string]string{"team": "data"},
	}
	out, err := client.SubmitJob(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.JobId) != jobID || aws.ToString(out.JobName) != "nightly-etl" || !strings.HasSuffix(aws.ToString(out.JobArn), "/"+jobID) {
		t.Errorf("SubmitJob = %+v", out)
	}
	got, ok := srv.input("SubmitJob").(*batch.SubmitJobRequest)
	if !ok {
		t.Fatalf("the server decoded %T", srv.input("SubmitJob"))
	}
	// What the SDK sent, decoded into the generated type, is what the
	// SDK was given.
	sameFields(t, "SubmitJobRequest", reflect.ValueOf(got), reflect.ValueOf(in))
	if n := countSet(reflect.ValueOf(got)); n < 20 {
		t.Errorf("only %d values decoded", n)
	}
}

func TestSDKDescribeJobs(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client := newClient(t, srv.URL)
	out, err := client.DescribeJobs(context.Background(), &sdk.DescribeJobsInput{Jobs: []string{jobID, "unknown"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Jobs) != 1 {
		t.Fatalf("%d jobs", len(out.Jobs))
	}
	want := sampleJob()
	if n := countSet(reflect.ValueOf(want)); n < 50 {
		t.Fatalf("the sample sets only %d values", n)
	}
	sameFields(t, "JobDetail", reflect.ValueOf(want), reflect.ValueOf(out.Jobs[0]))
	// A few by hand, so that a broken comparer cannot pass everything.
	j := out.Jobs[0]
	if aws.ToInt64(j.CreatedAt) != 1700000000123 || j.Status != types.JobStatusRunning || aws.ToInt32(j.Container.Vcpus) != 2 ||
		len(j.Attempts) != 2 || aws.ToInt32(j.Attempts[0].Container.ExitCode) != 137 || j.ArrayProperties.StatusSummary["RUNNING"] != 1 ||
		aws.ToString(j.StatusReason) != trickyValue || aws.ToInt32(j.SchedulingPriority) != 0 || j.SchedulingPriority == nil {
		t.Errorf("JobDetail = %+v", j)
	}
	if got := srv.input("DescribeJobs").(*batch.DescribeJobsRequest); !reflect.DeepEqual(got.Jobs, []string{jobID, "unknown"}) {
		t.Errorf("the server decoded %+v", got)
	}

	// No job found: an empty list, not an absent one.
	out, err = client.DescribeJobs(context.Background(), &sdk.DescribeJobsInput{Jobs: []string{"unknown"}})
	if err != nil || out.Jobs == nil || len(out.Jobs) != 0 {
		t.Errorf("DescribeJobs(unknown) = %+v, %v; want an empty list", out, err)
	}
}

func TestSDKListTagsForResource(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client := newClient(t, srv.URL)
	out, err := client.ListTagsForResource(context.Background(), &sdk.ListTagsForResourceInput{ResourceArn: aws.String(queueARN)})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"arn": queueARN, "tricky": trickyValue}; !reflect.DeepEqual(out.Tags, want) {
		t.Errorf("Tags = %q, want %q", out.Tags, want)
	}
}

// TestSDKUntagResource sends a label and a query-string list.
func TestSDKUntagResource(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client := newClient(t, srv.URL)
	keys := []string{"team", "a&b=c d", trickyValue}
	if _, err := client.UntagResource(context.Background(), &sdk.UntagResourceInput{ResourceArn: aws.String(queueARN), TagKeys: keys}); err != nil {
		t.Fatal(err)
	}
	got := srv.input("UntagResource").(*batch.UntagResourceRequest)
	// The SDK's signer sorts query values (SigV4's canonical query
	// string) and sends them sorted: the keys are a set.
	if got.ResourceArn != queueARN || !reflect.DeepEqual(slices.Sorted(slices.Values(got.TagKeys)), slices.Sorted(slices.Values(keys))) {
		t.Errorf("the server decoded %+v", got)
	}
}

func TestSDKErrors(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	client := newClient(t, srv.URL)
	ctx := context.Background()
	describe := func(id string) func() error {
		return func() error {
			_, err := client.DescribeJobs(ctx, &sdk.DescribeJobsInput{Jobs: []string{id}})
			return err
		}
	}
	tests := []struct {
		name        string
		call        func() error
		wantStatus  int
		wantCode    string
		wantMessage string
		wantType    any
	}{
		{
			name: "ClientException from the domain", call: describe("refused"),
			wantStatus: 400, wantCode: "ClientException", wantMessage: "Job refused is not in this account.", wantType: new(*types.ClientException),
		},
		{
			name: "validation", wantStatus: 400, wantCode: "ClientException", wantType: new(*types.ClientException),
			call: func() error {
				_, err := client.SubmitJob(ctx, &sdk.SubmitJobInput{JobName: aws.String("j"), JobQueue: aws.String("q"), JobDefinition: aws.String("d"),
					Tags: map[string]string{"team": strings.Repeat("v", 257)}})
				return err
			},
			wantMessage: "Error executing request, Exception : tags[team] must have length less than or equal to 256.",
		},
		{
			name: "an internal error hides its cause", call: describe("broken"),
			wantStatus: 500, wantCode: "ServerException", wantMessage: "An internal error occurred.", wantType: new(*types.ServerException),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var api smithy.APIError
			if !errors.As(err, &api) {
				t.Fatalf("error %v is not a smithy.APIError", err)
			}
			if api.ErrorCode() != tt.wantCode || api.ErrorMessage() != tt.wantMessage {
				t.Errorf("ErrorCode, ErrorMessage = %q, %q; want %q, %q", api.ErrorCode(), api.ErrorMessage(), tt.wantCode, tt.wantMessage)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != tt.wantStatus || !strings.HasPrefix(re.ServiceRequestID(), "req-") {
				t.Errorf("response error = %v; want status %d and a request id", err, tt.wantStatus)
			}
			if !errors.As(err, tt.wantType) {
				t.Errorf("error %T is not %T", err, tt.wantType)
			}
			if strings.Contains(err.Error(), "fire") {
				t.Errorf("the cause leaked: %v", err)
			}
		})
	}
}

// TestAWSCLI runs the stock AWS CLI, where it is installed, against the
// same server: botocore must encode the requests and read the results and
// errors too.
func TestAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the AWS CLI")
	}
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	t.Parallel()
	srv := newServer(t)
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, append([]string{"--endpoint-url", srv.URL, "--output", "json", "batch"}, args...)...)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
			"AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b", "AWS_DEFAULT_REGION=us-east-1",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=",
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	t.Run("describe-jobs", func(t *testing.T) {
		out, err := run("describe-jobs", "--jobs", jobID)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		// The CLI prints what it parsed under the model's names: decoded
		// into the generated types, it must be the job sent.
		var got batch.DescribeJobsResponse
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(got.Jobs) != 1 {
			t.Fatalf("printed:\n%s", out)
		}
		if want := sampleJob(); !reflect.DeepEqual(got.Jobs[0], want) {
			g, _ := json.MarshalIndent(got.Jobs[0], "", "  ")
			w, _ := json.MarshalIndent(want, "", "  ")
			t.Errorf("aws batch describe-jobs printed\n%s\nwant\n%s", g, w)
		}
	})
	t.Run("submit-job", func(t *testing.T) {
		out, err := run("submit-job", "--job-name", "nightly-etl", "--job-queue", queueARN, "--job-definition", "etl:7",
			"--array-properties", "size=10", "--tags", "team=data", "--container-overrides", `{"command":["echo","a b"],"vcpus":2}`)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !strings.Contains(out, `"jobId": "`+jobID+`"`) {
			t.Errorf("printed:\n%s", out)
		}
		got := srv.input("SubmitJob").(*batch.SubmitJobRequest)
		if got.JobQueue != queueARN || aws.ToInt32(got.ArrayProperties.Size) != 10 || got.Tags["team"] != "data" ||
			!reflect.DeepEqual(got.ContainerOverrides.Command, []string{"echo", "a b"}) || aws.ToInt32(got.ContainerOverrides.Vcpus) != 2 {
			t.Errorf("the server decoded %+v", got)
		}
	})
	t.Run("list-tags-for-resource", func(t *testing.T) {
		out, err := run("list-tags-for-resource", "--resource-arn", queueARN)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var got batch.ListTagsForResourceResponse
		if err := json.Unmarshal([]byte(out), &got); err != nil || got.Tags["arn"] != queueARN || got.Tags["tricky"] != trickyValue {
			t.Errorf("printed (%v):\n%s", err, out)
		}
	})
	t.Run("untag-resource", func(t *testing.T) {
		out, err := run("untag-resource", "--resource-arn", queueARN, "--tag-keys", "team", "a&b=c d")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		got := srv.input("UntagResource").(*batch.UntagResourceRequest)
		if got.ResourceArn != queueARN || !reflect.DeepEqual(got.TagKeys, []string{"team", "a&b=c d"}) {
			t.Errorf("the server decoded %+v", got)
		}
	})
	t.Run("ClientException", func(t *testing.T) {
		out, err := run("describe-jobs", "--jobs", "refused")
		if err == nil || !strings.Contains(out, "An error occurred (ClientException) when calling the DescribeJobs operation: Job refused is not in this account.") {
			t.Errorf("%v\n%s", err, out)
		}
	})
	t.Run("ServerException", func(t *testing.T) {
		out, err := run("describe-jobs", "--jobs", "broken")
		if err == nil || !strings.Contains(out, "An error occurred (ServerException) when calling the DescribeJobs operation") || strings.Contains(out, "fire") {
			t.Errorf("%v\n%s", err, out)
		}
	})
}
