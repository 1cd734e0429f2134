package awsproto_test

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
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"batchd/internal/awsproto"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

var created = time.Date(2024, 3, 1, 11, 30, 45, 0, time.UTC)

// A tag value with every character XML escaping has to get right; and one
// IAM accepts with every character form encoding has to get right.
const (
	trickyValue = "a<b & \"c\" 'd'>\r\ne\tf ü"
	formValue   = "a+b=c d:/@_.-ü"
)

func user(name string, withTags bool) awsproto.Fields {
	f := awsproto.Fields{
		{Name: "Path", Value: "/division/"},
		{Name: "UserName", Value: name},
		{Name: "UserId", Value: "AIDA" + strings.ToUpper(name)},
		{Name: "Arn", Value: "arn:aws:iam::123456789012:user/division/" + name},
		{Name: "CreateDate", Value: created},
	}
	if withTags {
		last := created.Add(90 * time.Minute)
		f = append(f,
			awsproto.Field{Name: "PasswordLastUsed", Value: &last},
			awsproto.Field{Name: "PermissionsBoundary", Value: awsproto.Fields{
				{Name: "PermissionsBoundaryType", Value: "PermissionsBoundaryPolicy"},
				{Name: "PermissionsBoundaryArn", Value: "arn:aws:iam::aws:policy/PowerUserAccess"},
			}},
			awsproto.Field{Name: "Tags", Value: []awsproto.Fields{
				{{Name: "Key", Value: "team"}, {Name: "Value", Value: "data"}},
				{{Name: "Key", Value: "tricky"}, {Name: "Value", Value: trickyValue}},
			}},
		)
	}
	return f
}

// iamServer answers a few IAM operations the way batchd's server will: parse,
// check the action, validate, then write a result or an error.
func iamServer(t testing.TB) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ns := func() string {
		s, _ := awsproto.Model("iam")
		return s.XMLNamespace
	}()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := fmt.Sprintf("req-%d", n.Add(1))
		body, err := io.ReadAll(r.Body)
		if err != nil {
			awsproto.WriteQueryError(w, ns, err, id)
			return
		}
		q, err := awsproto.ParseQuery(r, body)
		if err == nil {
			err = awsproto.CheckAction("iam", q)
		}
		if err == nil {
			err = awsproto.Validate("iam", q.Action, &q.Params)
		}
		if err != nil {
			awsproto.WriteQueryError(w, ns, err, id)
			return
		}
		name, _ := q.Params.String("UserName")
		switch {
		case q.Action == "GetUser" && name == "carol":
			awsproto.WriteQueryError(w, ns, awsproto.Errorf("NoSuchEntity", "The user with name %s cannot be found.", name), id)
		case q.Action == "GetUser" && name == "broken":
			awsproto.WriteQueryError(w, ns, errors.New("database is on fire"), id)
		case q.Action == "GetUser":
			awsproto.WriteQueryResult(w, q.Action, ns, id, awsproto.Fields{{Name: "User", Value: user(name, true)}})
		case q.Action == "ListUsers":
			marker, _ := q.Params.String("Marker")
			max, _, _ := q.Params.Int("MaxItems")
			if marker == "" && max == 2 {
				awsproto.WriteQueryResult(w, q.Action, ns, id, awsproto.Fields{
					{Name: "Users", Value: []awsproto.Fields{user("alice", true), user("bob", false)}},
					{Name: "IsTruncated", Value: true},
					{Name: "Marker", Value: "bob"},
				})
				return
			}
			awsproto.WriteQueryResult(w, q.Action, ns, id, awsproto.Fields{
				{Name: "Users", Value: []awsproto.Fields(nil)},
				{Name: "IsTruncated", Value: false},
			})
		case q.Action == "TagUser":
			tags, err := q.Params.StructList("Tags")
			if err != nil || len(tags) != 2 {
				awsproto.WriteQueryError(w, ns, awsproto.Errorf("InvalidInput", "got %d tags, %v", len(tags), err), id)
				return
			}
			if v, _ := tags[1].String("Value"); v != formValue {
				awsproto.WriteQueryError(w, ns, awsproto.Errorf("InvalidInput", "second tag value %q", v), id)
				return
			}
			awsproto.WriteQueryResult(w, q.Action, ns, id, nil)
		default:
			awsproto.WriteQueryError(w, ns, awsproto.Errorf("InvalidAction", "not in this test server: %s", q.Action), id)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func iamClient(t testing.TB, url string) *iam.Client {
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
	return iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(url) })
}

func wantUser(name string, full bool) types.User {
	u := types.User{
		Path:       aws.String("/division/"),
		UserName:   aws.String(name),
		UserId:     aws.String("AIDA" + strings.ToUpper(name)),
		Arn:        aws.String("arn:aws:iam::123456789012:user/division/" + name),
		CreateDate: aws.Time(created),
	}
	if full {
		u.PasswordLastUsed = aws.Time(created.Add(90 * time.Minute))
		u.PermissionsBoundary = &types.AttachedPermissionsBoundary{
			PermissionsBoundaryType: types.PermissionsBoundaryAttachmentTypePolicy,
			PermissionsBoundaryArn:  aws.String("arn:aws:iam::aws:policy/PowerUserAccess"),
		}
		u.Tags = []types.Tag{
			{Key: aws.String("team"), Value: aws.String("data")},
			{Key: aws.String("tricky"), Value: aws.String(trickyValue)},
		}
	}
	return u
}

// sameUser compares users field by field (types.User holds an unexported
// marker that reflect.DeepEqual would compare too, harmlessly, but a diff
// of the fields is easier to read).
func sameUser(t *testing.T, got, want types.User) {
	t.Helper()
	str := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return *p
	}
	tm := func(p *time.Time) string {
		if p == nil {
			return "<nil>"
		}
		return p.UTC().Format(time.RFC3339Nano)
	}
	for _, c := range [][3]string{
		{"Path", str(got.Path), str(want.Path)},
		{"UserName", str(got.UserName), str(want.UserName)},
		{"UserId", str(got.UserId), str(want.UserId)},
		{"Arn", str(got.Arn), str(want.Arn)},
		{"CreateDate", tm(got.CreateDate), tm(want.CreateDate)},
		{"PasswordLastUsed", tm(got.PasswordLastUsed), tm(want.PasswordLastUsed)},
	} {
		if c[1] != c[2] {
			t.Errorf("%s = %s, want %s", c[0], c[1], c[2])
		}
	}
	if (got.PermissionsBoundary == nil) != (want.PermissionsBoundary == nil) ||
		got.PermissionsBoundary != nil && (got.PermissionsBoundary.PermissionsBoundaryType != want.PermissionsBoundary.PermissionsBoundaryType ||
			str(got.PermissionsBoundary.PermissionsBoundaryArn) != str(want.PermissionsBoundary.PermissionsBoundaryArn)) {
		t.Errorf("PermissionsBoundary = %+v, want %+v", got.PermissionsBoundary, want.PermissionsBoundary)
	}
	var gotTags, wantTags [][2]string
	for _, tag := range got.Tags {
		gotTags = append(gotTags, [2]string{str(tag.Key), str(tag.Value)})
	}
	for _, tag := range want.Tags {
		wantTags = append(wantTags, [2]string{str(tag.Key), str(tag.Value)})
	}
	if !reflect.DeepEqual(gotTags, wantTags) {
		t.Errorf("Tags = %q, want %q", gotTags, wantTags)
	}
}

func TestSDKReadsQueryResults(t *testing.T) {
	t.Parallel()
	srv, _ := iamServer(t)
	client := iamClient(t, srv.URL)
	ctx := context.Background()

	t.Run("GetUser", func(t *testing.T) {
		out, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
		if err != nil {
			t.Fatal(err)
		}
		sameUser(t, *out.User, wantUser("alice", true))
		if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !strings.HasPrefix(id, "req-") {
			t.Errorf("request id = %q", id)
		}
	})

	t.Run("ListUsers truncated, then the last page", func(t *testing.T) {
		out, err := client.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(2)})
		if err != nil {
			t.Fatal(err)
		}
		if !out.IsTruncated || aws.ToString(out.Marker) != "bob" || len(out.Users) != 2 {
			t.Fatalf("IsTruncated, Marker, len(Users) = %v, %q, %d; want true, bob, 2", out.IsTruncated, aws.ToString(out.Marker), len(out.Users))
		}
		sameUser(t, out.Users[0], wantUser("alice", true))
		sameUser(t, out.Users[1], wantUser("bob", false))

		out, err = client.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(2), Marker: out.Marker})
		if err != nil {
			t.Fatal(err)
		}
		if out.IsTruncated || out.Marker != nil || out.Users == nil || len(out.Users) != 0 {
			t.Errorf("last page: IsTruncated, Marker, Users = %v, %v, %#v; want false, nil, empty", out.IsTruncated, out.Marker, out.Users)
		}
	})

	t.Run("TagUser: the SDK's encoding of a struct list, no result element", func(t *testing.T) {
		_, err := client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: []types.Tag{
			{Key: aws.String("team"), Value: aws.String("data")},
			{Key: aws.String("form"), Value: aws.String(formValue)},
		}})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestSDKReadsQueryErrors(t *testing.T) {
	t.Parallel()
	srv, _ := iamServer(t)
	client := iamClient(t, srv.URL)
	ctx := context.Background()
	tests := []struct {
		name        string
		call        func() error
		wantStatus  int
		wantCode    string
		wantMessage string
		wantType    any
	}{
		{
			name: "NoSuchEntity becomes the SDK's typed error",
			call: func() error {
				_, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
				return err
			},
			wantStatus:  404,
			wantCode:    "NoSuchEntity",
			wantMessage: "The user with name carol cannot be found.",
			wantType:    new(*types.NoSuchEntityException),
		},
		{
			name: "validation",
			call: func() error {
				_, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bad name!")})
				return err
			},
			wantStatus:  400,
			wantCode:    "ValidationError",
			wantMessage: `1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`,
		},
		{
			name: "an internal error hides its cause",
			call: func() error {
				_, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("broken")})
				return err
			},
			wantStatus:  500,
			wantCode:    "InternalFailure",
			wantMessage: "An internal error occurred.",
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
			if tt.wantType != nil && !errors.As(err, tt.wantType) {
				t.Errorf("error %T is not %T", err, tt.wantType)
			}
			if strings.Contains(err.Error(), "fire") {
				t.Errorf("the cause leaked: %v", err)
			}
		})
	}
}

// TestAWSCLIReadsQueryResults runs the stock AWS CLI, where it is installed,
// against the same handler: botocore's parser must read the results and
// errors too.
func TestAWSCLIReadsQueryResults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the AWS CLI")
	}
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	t.Parallel()
	srv, _ := iamServer(t)
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, append([]string{"--endpoint-url", srv.URL, "--output", "json"}, args...)...)
		cmd.Env = []string{
			"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
			"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
			"AWS_MAX_ATTEMPTS=1", "AWS_PAGER=",
		}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run("iam", "get-user", "--user-name", "alice")
	if err != nil {
		t.Fatalf("aws iam get-user: %v\n%s", err, out)
	}
	var got struct {
		User struct {
			Path, UserName, UserId, Arn, CreateDate, PasswordLastUsed string
			PermissionsBoundary                                       struct{ PermissionsBoundaryType, PermissionsBoundaryArn string }
			Tags                                                      []struct{ Key, Value string }
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	u := got.User
	if u.UserName != "alice" || u.Path != "/division/" || u.UserId != "AIDAALICE" || u.Arn != "arn:aws:iam::123456789012:user/division/alice" ||
		u.CreateDate != "2024-03-01T11:30:45Z" || u.PasswordLastUsed != "2024-03-01T13:00:45Z" ||
		u.PermissionsBoundary.PermissionsBoundaryType != "PermissionsBoundaryPolicy" || len(u.Tags) != 2 || u.Tags[1].Value != trickyValue {
		t.Errorf("aws iam get-user printed:\n%s", out)
	}

	out, err = run("iam", "get-user", "--user-name", "carol")
	if err == nil || !strings.Contains(out, "An error occurred (NoSuchEntity) when calling the GetUser operation: The user with name carol cannot be found.") {
		t.Errorf("aws iam get-user carol: %v\n%s", err, out)
	}
}
