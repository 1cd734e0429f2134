package main

// End-to-end tests of the CloudWatch Logs API (JSON 1.1) through the SDK's
// cloudwatchlogs client and the AWS CLI: the lifecycle of groups, streams
// and events, PutLogEvents' batch rules, GetLogEvents' tokens both ways,
// FilterLogEvents' patterns and pages, and IAM authorization of the Logs
// operations ("Actions, resources, and condition keys for Amazon
// CloudWatch Logs").

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

const logsARN = "arn:aws:logs:us-east-1:" + acct + ":log-group:"

// logs returns a CloudWatch Logs client of ts signing with creds.
func (ts *testServer) logs(creds aws.Credentials) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(ts.awsConfig(creds), func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

// logLines returns n events a millisecond apart ending at end, messages
// prefix0..prefix<n-1>.
func logLines(end int64, n int, prefix string) []logstypes.InputLogEvent {
	out := make([]logstypes.InputLogEvent, n)
	for i := range out {
		out[i] = logstypes.InputLogEvent{Timestamp: aws.Int64(end - int64(n-1-i)), Message: aws.String(prefix + strconv.Itoa(i))}
	}
	return out
}

func outputMessages(evs []logstypes.OutputLogEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = *e.Message
	}
	return out
}

func numbered(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, prefix+strconv.Itoa(i))
	}
	return out
}

func TestLogsLifecycle(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	cw := ts.logs(ts.Root)
	const group = "/batchd/e2e"

	call(cw.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group), Tags: map[string]string{"team": "blue"}})).ok(t)
	_, err := cw.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)})
	wantAPIError(t, err, "ResourceAlreadyExistsException", "The specified log group already exists.")
	_, err = cw.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("bad name!")})
	wantAPIError(t, err, "InvalidParameterException", `1 validation error detected: Value 'bad name!' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`)
	call(cw.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(group), RetentionInDays: aws.Int32(7)})).ok(t)
	_, err = cw.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(group), RetentionInDays: aws.Int32(4)})
	wantAPIError(t, err, "InvalidParameterException", "Member must satisfy enum value set: [1, 3, 5, 7, 14, 30,")

	// JSON 1.1 answers, results and errors alike, in its content type.
	var contentType string
	groups := call(cw.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/batchd/")},
		cloudwatchlogs.WithAPIOptions(captureHeader("Content-Type", &contentType)))).ok(t)
	if contentType != "application/x-amz-json-1.1" {
		t.Errorf("result content-type = %q", contentType)
	}
	contentType = ""
	_, err = cw.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("/nope")}, cloudwatchlogs.WithAPIOptions(captureHeader("Content-Type", &contentType)))
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	if contentType != "application/x-amz-json-1.1" {
		t.Errorf("error content-type = %q", contentType)
	}
	if len(groups.LogGroups) != 1 {
		t.Fatalf("DescribeLogGroups = %+v", groups.LogGroups)
	}
	if g := groups.LogGroups[0]; *g.LogGroupName != group || *g.Arn != logsARN+group+":*" || *g.LogGroupArn != logsARN+group ||
		*g.RetentionInDays != 7 || g.CreationTime == nil || *g.StoredBytes != 0 || g.LogGroupClass != logstypes.LogGroupClassStandard {
		t.Errorf("log group = %+v", g)
	}

	for _, s := range []string{"jd/default/1", "jd/default/2"} {
		call(cw.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(s)})).ok(t)
	}
	_, err = cw.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String("jd/default/1")})
	wantAPIError(t, err, "ResourceAlreadyExistsException", "The specified log stream already exists.")
	_, err = cw.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String("a:b")})
	wantAPIError(t, err, "InvalidParameterException", "[^:*]*")
	_, err = cw.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/nope"), LogStreamName: aws.String("s")})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log group does not exist.")

	now := time.Now().UnixMilli()
	put := call(cw.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("jd/default/1"),
		LogEvents: logLines(now-1000, 25, "line "), SequenceToken: aws.String("ignored")})).ok(t)
	if put.NextSequenceToken == nil || put.RejectedLogEventsInfo != nil {
		t.Errorf("PutLogEvents = %+v", put)
	}
	call(cw.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("jd/default/2"),
		LogEvents: logLines(now, 3, "other ")})).ok(t)

	streams := call(cw.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(group),
		OrderBy: logstypes.OrderByLastEventTime, Descending: aws.Bool(true)})).ok(t)
	if len(streams.LogStreams) != 2 || *streams.LogStreams[0].LogStreamName != "jd/default/2" {
		t.Fatalf("DescribeLogStreams by LastEventTime = %+v", streams.LogStreams)
	}
	if s := streams.LogStreams[1]; *s.FirstEventTimestamp != now-1024 || *s.LastEventTimestamp != now-1000 || s.LastIngestionTime == nil ||
		*s.Arn != logsARN+group+":log-stream:jd/default/1" || *s.StoredBytes == 0 {
		t.Errorf("log stream = %+v", s)
	}
	_, err = cw.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(group), OrderBy: logstypes.OrderByLastEventTime, LogStreamNamePrefix: aws.String("jd")})
	wantAPIError(t, err, "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")

	// GetLogEvents forward with the SDK's paginator, which stops when the
	// forward token comes back unchanged.
	var got []string
	pages := 0
	p := cloudwatchlogs.NewGetLogEventsPaginator(cw, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("jd/default/1"),
		StartFromHead: aws.Bool(true), Limit: aws.Int32(10)}, func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for p.HasMorePages() && pages < 10 {
		out := call(p.NextPage(ctx)).ok(t)
		got = append(got, outputMessages(out.Events)...)
		pages++
	}
	if !slices.Equal(got, numbered("line ", 0, 25)) || pages != 4 {
		t.Errorf("forward: %d pages, events %q", pages, got)
	}

	// Backward by hand: the latest first, then nextBackwardToken until it
	// comes back unchanged.
	var back [][]string
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupIdentifier: aws.String(logsARN + group), LogStreamName: aws.String("jd/default/1"), Limit: aws.Int32(10)}
	for range 10 {
		out := call(cw.GetLogEvents(ctx, in)).ok(t)
		if !strings.HasPrefix(*out.NextBackwardToken, "b/") || !strings.HasPrefix(*out.NextForwardToken, "f/") {
			t.Fatalf("tokens %q %q", *out.NextForwardToken, *out.NextBackwardToken)
		}
		if in.NextToken != nil && *in.NextToken == *out.NextBackwardToken {
			if len(out.Events) != 0 {
				t.Errorf("last backward page has %d events", len(out.Events))
			}
			break
		}
		back = append(back, outputMessages(out.Events))
		in.NextToken = out.NextBackwardToken
	}
	if want := [][]string{numbered("line ", 15, 25), numbered("line ", 5, 15), numbered("line ", 0, 5)}; fmt.Sprint(back) != fmt.Sprint(want) {
		t.Errorf("backward pages = %q, want %q", back, want)
	}
	window := call(cw.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("jd/default/1"),
		StartTime: aws.Int64(now - 1014), EndTime: aws.Int64(now - 1010)})).ok(t)
	if got := outputMessages(window.Events); !slices.Equal(got, numbered("line ", 10, 14)) {
		t.Errorf("startTime/endTime window = %q", got)
	}
	_, err = cw.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("nope")})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")

	// FilterLogEvents across both streams, in pages of 4.
	var filtered []string
	fp := cloudwatchlogs.NewFilterLogEventsPaginator(cw, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group),
		FilterPattern: aws.String(`?"line 2" ?other -"line 20"`), Limit: aws.Int32(4)})
	for fp.HasMorePages() {
		out := call(fp.NextPage(ctx)).ok(t)
		for _, e := range out.Events {
			filtered = append(filtered, *e.LogStreamName+": "+*e.Message)
		}
	}
	want := []string{"jd/default/1: line 2", "jd/default/1: line 21", "jd/default/1: line 22", "jd/default/1: line 23", "jd/default/1: line 24",
		"jd/default/2: other 0", "jd/default/2: other 1", "jd/default/2: other 2"}
	if !slices.Equal(filtered, want) {
		t.Errorf("FilterLogEvents = %q, want %q", filtered, want)
	}
	_, err = cw.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), FilterPattern: aws.String(`{ $.level = "ERROR" }`)})
	wantAPIError(t, err, "InvalidParameterException", "JSON filter patterns are not supported")

	// Tags: on create, TagResource, TagLogGroup, and both listings.
	call(cw.TagResource(ctx, &cloudwatchlogs.TagResourceInput{ResourceArn: aws.String(logsARN + group), Tags: map[string]string{"env": "test"}})).ok(t)
	call(cw.TagLogGroup(ctx, &cloudwatchlogs.TagLogGroupInput{LogGroupName: aws.String(group), Tags: map[string]string{"x": "1"}})).ok(t)
	call(cw.UntagResource(ctx, &cloudwatchlogs.UntagResourceInput{ResourceArn: aws.String(logsARN + group), TagKeys: []string{"x"}})).ok(t)
	tags := call(cw.ListTagsForResource(ctx, &cloudwatchlogs.ListTagsForResourceInput{ResourceArn: aws.String(logsARN + group)})).ok(t)
	old := call(cw.ListTagsLogGroup(ctx, &cloudwatchlogs.ListTagsLogGroupInput{LogGroupName: aws.String(group)})).ok(t)
	if want := map[string]string{"team": "blue", "env": "test"}; !maps.Equal(tags.Tags, want) || !maps.Equal(old.Tags, want) {
		t.Errorf("tags = %v / %v", tags.Tags, old.Tags)
	}

	// Deletes, and the data is gone.
	call(cw.DeleteLogStream(ctx, &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String("jd/default/1")})).ok(t)
	_, err = cw.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("jd/default/1")})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	call(cw.DeleteRetentionPolicy(ctx, &cloudwatchlogs.DeleteRetentionPolicyInput{LogGroupName: aws.String(group)})).ok(t)
	call(cw.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(group)})).ok(t)
	_, err = cw.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(group)})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log group does not exist.")
	_, err = cw.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(group)})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log group does not exist.")

	// The audit trail has the calls, PutLogEvents without its messages.
	ts.stop()
	audit, err := os.ReadFile(filepath.Join(ts.DataDir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"eventSource":"logs.amazonaws.com"`, `"eventName":"PutLogEvents"`, `"logEventCount":25`,
		`"errorCode":"ResourceAlreadyExistsException"`, `"resource":"` + logsARN + group + `:log-stream:jd/default/1"`} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("audit trail lacks %s", want)
		}
	}
	if strings.Contains(string(audit), "line 7") {
		t.Error("a log message is in the audit trail")
	}
}

func TestLogsPutLogEventsRules(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	cw := ts.logs(ts.Root)
	call(cw.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")})).ok(t)
	call(cw.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")})).ok(t)
	putEvents := func(evs ...logstypes.InputLogEvent) (*cloudwatchlogs.PutLogEventsOutput, error) {
		return cw.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: evs})
	}
	ev := func(ts int64, msg string) logstypes.InputLogEvent {
		return logstypes.InputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(msg)}
	}
	now := time.Now().UnixMilli()
	const hour, day = int64(3600 * 1000), int64(24 * 3600 * 1000)

	_, err := putEvents(ev(now, "b"), ev(now-1, "a"))
	wantAPIError(t, err, "InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
	_, err = putEvents(ev(now-day-1000, "a"), ev(now, "b"))
	wantAPIError(t, err, "InvalidParameterException", "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	_, err = putEvents(ev(now, ""))
	wantAPIError(t, err, "InvalidParameterException", "Member must have length greater than or equal to 1")
	_, err = cw.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("nope"), LogEvents: []logstypes.InputLogEvent{ev(now, "x")}})
	wantAPIError(t, err, "ResourceNotFoundException", "The specified log stream does not exist.")
	many := make([]logstypes.InputLogEvent, 10001)
	for i := range many {
		many[i] = ev(now, "x")
	}
	_, err = putEvents(many...)
	wantAPIError(t, err, "InvalidParameterException", "Member must have length less than or equal to 10000")
	out := call(putEvents(many[:10000]...)).ok(t)
	if out.RejectedLogEventsInfo != nil {
		t.Errorf("10,000 events: rejected %+v", out.RejectedLogEventsInfo)
	}

	old := call(putEvents(ev(now-14*day-2*hour, "old"), ev(now-14*day-hour, "old too"), ev(now-14*day+hour, "kept"))).ok(t)
	if r := old.RejectedLogEventsInfo; r == nil || r.TooOldLogEventEndIndex == nil || *r.TooOldLogEventEndIndex != 1 || r.TooNewLogEventStartIndex != nil {
		t.Errorf("too old: rejected %+v", r)
	}
	future := call(putEvents(ev(now, "kept"), ev(now+3*hour, "new"))).ok(t)
	if r := future.RejectedLogEventsInfo; r == nil || r.TooNewLogEventStartIndex == nil || *r.TooNewLogEventStartIndex != 1 || r.TooOldLogEventEndIndex != nil {
		t.Errorf("too new: rejected %+v", r)
	}
	if *future.NextSequenceToken == *old.NextSequenceToken {
		t.Error("nextSequenceToken did not move")
	}
	filtered := call(cw.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), FilterPattern: aws.String("-x")})).ok(t)
	var msgs []string
	for _, e := range filtered.Events {
		msgs = append(msgs, *e.Message)
	}
	if !slices.Equal(msgs, []string{"kept", "kept"}) {
		t.Errorf("stored besides the 10,000: %q", msgs)
	}
}

func TestLogsAccessDenied(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "")
	ctx := context.Background()
	admin := ts.iam(ts.Root)
	root := ts.logs(ts.Root)
	for _, g := range []string{"allowed", "other"} {
		call(root.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g + "-pre"), Tags: map[string]string{"team": g}})).ok(t)
		call(root.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(g + "-pre"), LogStreamName: aws.String("s")})).ok(t)
	}

	nobody := ts.logs(newUser(t, admin, "nobody"))
	_, err := nobody.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("x")})
	wantAPIError(t, err, "AccessDeniedException", deniedMsg("nobody", "logs:CreateLogGroup", logsARN+"x", false))
	_, err = nobody.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	wantAPIError(t, err, "AccessDeniedException", deniedMsg("nobody", "logs:DescribeLogGroups", "*", false))
	_, err = nobody.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("allowed-pre"), LogStreamName: aws.String("s"),
		LogEvents: logLines(time.Now().UnixMilli(), 1, "x")})
	wantAPIError(t, err, "AccessDeniedException", deniedMsg("nobody", "logs:PutLogEvents", logsARN+"allowed-pre:log-stream:s", false))

	// One log group (and its streams) only.
	one := ts.logs(newUser(t, admin, "one", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*",
		"Resource":["`+logsARN+`allowed","`+logsARN+`allowed:*"]}]}`))
	call(one.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("allowed")})).ok(t)
	call(one.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("allowed"), LogStreamName: aws.String("s")})).ok(t)
	call(one.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("allowed"), LogStreamName: aws.String("s"),
		LogEvents: logLines(time.Now().UnixMilli(), 3, "m")})).ok(t)
	got := call(one.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("allowed"), LogStreamName: aws.String("s")})).ok(t)
	if len(got.Events) != 3 {
		t.Errorf("GetLogEvents = %d events", len(got.Events))
	}
	call(one.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("allowed")})).ok(t)
	call(one.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("allowed")})).ok(t)
	call(one.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("allowed"), RetentionInDays: aws.Int32(30)})).ok(t)
	_, err = one.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("allowed2")})
	wantAPIError(t, err, "AccessDeniedException", deniedMsg("one", "logs:CreateLogGroup", logsARN+"allowed2", false))
	_, err = one.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("other-pre"), LogStreamName: aws.String("s")})
	wantAPIError(t, err, "AccessDeniedException", deniedMsg("one", "logs:GetLogEvents", logsARN+"other-pre:log-stream:s", false))
	_, err = one.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("other-pre")})
	wantAPIError(t, err, "AccessDeniedException", deniedMsg("one", "logs:FilterLogEvents", logsARN+"other-pre", false))
	_, err = one.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	wantAPIError(t, err, "AccessDeniedException", "logs:DescribeLogGroups on resource: *")
	_, err = one.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("other-pre")})
	wantAPIError(t, err, "AccessDeniedException", deniedMsg("one", "logs:DeleteLogGroup", logsARN+"other-pre", false))

	// Tags: reading by aws:ResourceTag, creating with tags needs
	// logs:TagResource, and aws:RequestTag limits what may be set.
	tagged := ts.logs(newUser(t, admin, "tagged", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["logs:GetLogEvents","logs:DescribeLogStreams"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"allowed"}}},
		{"Effect":"Allow","Action":"logs:CreateLogGroup","Resource":"*"},
		{"Effect":"Allow","Action":"logs:TagResource","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"blue"}}}]}`))
	call(tagged.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("allowed-pre"), LogStreamName: aws.String("s")})).ok(t)
	_, err = tagged.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("other-pre"), LogStreamName: aws.String("s")})
	wantAPIError(t, err, "AccessDeniedException", deniedMsg("tagged", "logs:GetLogEvents", logsARN+"other-pre:log-stream:s", false))
	call(tagged.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("t1"), Tags: map[string]string{"team": "blue"}})).ok(t)
	_, err = tagged.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("t2"), Tags: map[string]string{"team": "red"}})
	wantAPIError(t, err, "AccessDeniedException", deniedMsg("tagged", "logs:TagResource", logsARN+"t2", false))
}

// TestAWSCLILogsSession drives the installed AWS CLI v1 against batchd's
// CloudWatch Logs: a group and a stream, events put and read back, a
// filter, and one refused request.
func TestAWSCLILogsSession(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not on PATH")
	}
	t.Parallel()
	ts := startServer(t, "")
	// Only this test's AWS settings: none of the environment's.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AWS_") })
	env = append(env, "AWS_ACCESS_KEY_ID="+ts.Root.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+ts.Root.SecretAccessKey,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	run := func(args ...string) (string, error) {
		cmd := exec.Command("aws", append([]string{"--endpoint-url", ts.URL, "--output", "json", "logs"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	runJSON := func(args ...string) map[string]any {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("aws logs %s: %v\n%s", args[0], err, out)
		}
		m := map[string]any{}
		if strings.TrimSpace(out) != "" {
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Fatalf("aws logs %s: output is not JSON: %v\n%s", args[0], err, out)
			}
		}
		return m
	}

	runJSON("create-log-group", "--log-group-name", "/cli/app", "--tags", "team=blue")
	runJSON("create-log-stream", "--log-group-name", "/cli/app", "--log-stream-name", "web/1")
	now := time.Now().UnixMilli()
	events := fmt.Sprintf(`[{"timestamp":%d,"message":"GET / 200"},{"timestamp":%d,"message":"GET /missing 404"},{"timestamp":%d,"message":"POST /jobs 201"}]`, now-2, now-1, now)
	put := runJSON("put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "web/1", "--log-events", events)
	if tok, _ := put["nextSequenceToken"].(string); tok == "" || put["rejectedLogEventsInfo"] != nil {
		t.Errorf("put-log-events = %v", put)
	}
	got := runJSON("get-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "web/1", "--start-from-head")
	evs, _ := got["events"].([]any)
	var msgs []string
	for _, e := range evs {
		m, _ := e.(map[string]any)
		msg, _ := m["message"].(string)
		msgs = append(msgs, msg)
		if ts, _ := m["timestamp"].(float64); ts == 0 {
			t.Errorf("event without a timestamp: %v", m)
		}
	}
	if !slices.Equal(msgs, []string{"GET / 200", "GET /missing 404", "POST /jobs 201"}) {
		t.Errorf("get-log-events = %v", got)
	}
	if f, _ := got["nextForwardToken"].(string); !strings.HasPrefix(f, "f/") {
		t.Errorf("nextForwardToken = %v", got["nextForwardToken"])
	}
	filtered := runJSON("filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "GET -404")
	if fe, _ := filtered["events"].([]any); len(fe) != 1 || fe[0].(map[string]any)["message"] != "GET / 200" {
		t.Errorf("filter-log-events = %v", filtered)
	}
	groups := runJSON("describe-log-groups", "--log-group-name-prefix", "/cli/")
	if lg, _ := groups["logGroups"].([]any); len(lg) != 1 || lg[0].(map[string]any)["arn"] != logsARN+"/cli/app:*" {
		t.Errorf("describe-log-groups = %v", groups)
	}

	out, err := run("put-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "web/1", "--log-events",
		fmt.Sprintf(`[{"timestamp":%d,"message":"b"},{"timestamp":%d,"message":"a"}]`, now, now-1))
	if err == nil || !strings.Contains(out, "An error occurred (InvalidParameterException) when calling the PutLogEvents operation: Log events in a single PutLogEvents request must be in chronological order.") {
		t.Errorf("put-log-events out of order: %v\n%s", err, out)
	}
}
