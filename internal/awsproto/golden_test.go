package awsproto

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNS = "https://sts.amazonaws.com/doc/2011-06-15/"
	reqID = "4b6f2c3a-0d1e-4f5a-9b8c-7d6e5f4a3b2c"
)

var created = time.Date(2024, 3, 1, 12, 30, 45, 0, time.FixedZone("CET", 3600))

func ptr[T any](v T) *T { return &v }

// sampleUser is an IAM User with every field GetUser can return.
func sampleUser(name string) Fields {
	return Fields{
		{"Path", "/division/"},
		{"UserName", name},
		{"UserId", "AIDAEXAMPLE" + strings.ToUpper(name)},
		{"Arn", "arn:aws:iam::123456789012:user/division/" + name},
		{"CreateDate", created},
		{"PasswordLastUsed", ptr(created.Add(36 * time.Hour))},
		{"PermissionsBoundary", Fields{
			{"PermissionsBoundaryType", "PermissionsBoundaryPolicy"},
			{"PermissionsBoundaryArn", "arn:aws:iam::aws:policy/PowerUserAccess"},
		}},
		{"Tags", []Fields{
			{{"Key", "team"}, {"Value", "data & ml"}},
			{{"Key", "cost-center"}, {"Value", "42"}},
		}},
	}
}

// dump renders a response as a golden file holds it: status, the headers
// that matter, body.
func dump(rec *httptest.ResponseRecorder) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d\n", rec.Code)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range rec.Header() {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range names {
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(rec.Header()[k], ", "))
	}
	b.WriteString("\n")
	b.WriteString(rec.Body.String())
	return b.String()
}

func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		write func(w http.ResponseWriter)
	}{
		{"get_user", func(w http.ResponseWriter) {
			WriteQueryResult(w, "GetUser", iamNS, reqID, Fields{{"User", sampleUser("alice")}})
		}},
		{"list_users_truncated", func(w http.ResponseWriter) {
			WriteQueryResult(w, "ListUsers", iamNS, reqID, Fields{
				{"Users", []Fields{sampleUser("alice"), {
					{"Path", "/"}, {"UserName", "bob"}, {"UserId", "AIDAEXAMPLEBOB"},
					{"Arn", "arn:aws:iam::123456789012:user/bob"}, {"CreateDate", created},
					{"PasswordLastUsed", (*time.Time)(nil)}, {"PermissionsBoundary", Fields(nil)}, {"Tags", nil},
				}}},
				{"IsTruncated", true},
				{"Marker", "bob"},
			})
		}},
		{"list_users_empty", func(w http.ResponseWriter) {
			WriteQueryResult(w, "ListUsers", iamNS, reqID, Fields{
				{"Users", []Fields(nil)}, {"IsTruncated", false}, {"Marker", (*string)(nil)},
			})
		}},
		{"delete_user_no_output", func(w http.ResponseWriter) {
			WriteQueryResult(w, "DeleteUser", iamNS, reqID, nil)
		}},
		{"get_account_summary_map", func(w http.ResponseWriter) {
			WriteQueryResult(w, "GetAccountSummary", iamNS, reqID, Fields{{"SummaryMap", Entries{
				{"Users", 2}, {"UsersQuota", int64(5000)}, {"MFADevices", int32(0)},
			}}})
		}},
		{"get_caller_identity", func(w http.ResponseWriter) {
			WriteQueryResult(w, "GetCallerIdentity", stsNS, reqID, Fields{
				{"UserId", "AIDAEXAMPLEALICE"}, {"Account", "123456789012"},
				{"Arn", "arn:aws:iam::123456789012:user/alice"},
			})
		}},
		{"escaping", func(w http.ResponseWriter) {
			WriteQueryResult(w, "GetUserPolicy", iamNS, reqID, Fields{
				{"UserName", `<alice> & "bob" 'eve'`},
				{"PolicyName", "tab\there\nnewline\x00nul \xff invalid utf-8 ünïcödé"},
				{"PolicyDocument", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
				{"ClientIDList", []string{"a&b", "<c>"}},
			})
		}},
		{"error_no_such_entity", func(w http.ResponseWriter) {
			WriteQueryError(w, iamNS, Errorf("NoSuchEntity", "The user with name %s cannot be found.", "carol"), reqID)
		}},
		{"error_service_failure_receiver", func(w http.ResponseWriter) {
			WriteQueryError(w, iamNS, Errorf("ServiceFailure", "The request processing has failed because of an unknown error, exception or failure."), reqID)
		}},
		{"error_internal_hidden", func(w http.ResponseWriter) {
			WriteQueryError(w, stsNS, fmt.Errorf("store: disk full at /var/lib/batchd"), reqID)
		}},
		{"error_validation_sts", func(w http.ResponseWriter) {
			p := NewParams(map[string]string{"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "bad name!"})
			WriteQueryError(w, stsNS, Validate("sts", "AssumeRole", &p), reqID)
		}},
		{"json_batch_client_exception", func(w http.ResponseWriter) {
			WriteJSONError(w, Errorf("ClientException", "Job queue %s does not exist.", "q1"), reqID, ProtocolRESTJSON)
		}},
		{"json_batch_internal", func(w http.ResponseWriter) {
			WriteJSONError(w, errors.New("secret cause"), reqID, ProtocolRESTJSON)
		}},
		{"json_logs_resource_not_found", func(w http.ResponseWriter) {
			WriteJSONError(w, fmt.Errorf("logs: %w", Errorf("ResourceNotFoundException", "The specified log group does not exist.")), reqID, ProtocolJSON)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			tt.write(rec)
			got := dump(rec)
			path := filepath.Join("testdata", "golden", tt.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("response differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
}

func TestUnsupportedValuePanicsBeforeWriting(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	func() {
		defer func() {
			if recover() == nil {
				t.Error("no panic for a float64 value")
			}
		}()
		WriteQueryResult(rec, "GetUser", iamNS, reqID, Fields{{"User", Fields{{"Score", 1.5}}}})
	}()
	if rec.Body.Len() != 0 || rec.Code != http.StatusOK || len(rec.Header()) != 0 {
		t.Errorf("something was written before the panic: %q", rec.Body.String())
	}
}
