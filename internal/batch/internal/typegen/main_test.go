package main

import (
	"batchd/internal/botocore"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnumValueName(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"RUNNABLE":             "Runnable",
		"N_TO_N":               "NToN",
		"BEST_FIT_PROGRESSIVE": "BestFitProgressive",
		"json-file":            "JsonFile",
		"awsfirelens":          "Awsfirelens",
		"TrainingJobArn":       "TrainingJobArn",
		"EC2":                  "Ec2",
		"x86_64":               "X8664",
		"p4d.24xlarge":         "P4d24xlarge",
	}
	for in, want := range tests {
		if got := enumValueName(in); got != want {
			t.Errorf("enumValueName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFirstSentence(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"<p>An object that represents an Batch job.</p>":                                        "An object that represents an Batch job.",
		"<p>The <code>jobQueue</code> name. It can be up to 128 letters long.</p>":              "The jobQueue name.",
		"<p>Values: <code>ENABLED</code> | <code>DISABLED</code> &amp; more</p>":                "Values: ENABLED | DISABLED & more",
		"<p>See <a href=\"https://docs.aws.amazon.com/x.html\">Job states</a>. Then go on.</p>": "See Job states.",
		"": "",
	}
	for in, want := range tests {
		if got := firstSentence(in); got != want {
			t.Errorf("firstSentence(%q) = %q, want %q", in, got, want)
		}
	}
}

// miniModel is a model with one of each kind of member typegen maps.
const miniModel = `{
  "metadata": {"apiVersion": "2016-08-10", "protocol": "rest-json", "serviceId": "Batch"},
  "shapes": {
    "Boolean": {"type": "boolean"},
    "Double": {"type": "double"},
    "Integer": {"type": "integer"},
    "Long": {"type": "long"},
    "String": {"type": "string"},
    "Status": {"type": "string", "enum": ["RUNNABLE", "N_TO_N"]},
    "StatusList": {"type": "list", "member": {"shape": "Status"}},
    "Tags": {"type": "map", "key": {"shape": "String"}, "value": {"shape": "String"}},
    "Items": {"type": "list", "member": {"shape": "Item"}},
    "Empty": {"type": "structure", "members": {}},
    "ClientException": {"type": "structure", "members": {"message": {"shape": "String"}}, "exception": true},
    "Item": {
      "type": "structure",
      "required": ["zName", "count", "status", "child"],
      "documentation": "<p>An <code>Item</code>. More text.</p>",
      "members": {
        "zName": {"shape": "String"},
        "arn": {"shape": "String", "location": "uri", "locationName": "itemArn"},
        "keys": {"shape": "StatusList", "location": "querystring", "locationName": "k"},
        "count": {"shape": "Integer"},
        "size": {"shape": "Long"},
        "ratio": {"shape": "Double"},
        "on": {"shape": "Boolean"},
        "status": {"shape": "Status"},
        "child": {"shape": "Empty"},
        "items": {"shape": "Items"},
        "tags": {"shape": "Tags"},
        "renamed": {"shape": "String", "locationName": "wireName"}
      }
    }
  }
}`

func TestGenerate(t *testing.T) {
	t.Parallel()
	m, err := parseModel([]byte(miniModel))
	if err != nil {
		t.Fatal(err)
	}
	src, err := generate(m, batchOptions)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := generate(m, batchOptions)
	if !bytes.Equal(src, again) {
		t.Error("two runs differ")
	}
	got := string(src)
	if !strings.HasPrefix(got, Header("batch")+"\n") {
		t.Errorf("no generated-code header:\n%s", got)
	}
	for _, want := range []string{
		"package batch\n",
		"// Item is the Batch API's Item shape.\n//\n// An Item.\ntype Item struct {",
		"\t// Required.\n\tZName string `json:\"zName,omitempty\"`",
		"\t// Sent in the URI path as {itemArn}, not in the body.\n\tArn *string `json:\"arn,omitempty\"`",
		"\t// Each a Status value. Sent in the query string as k, not in the body.\n\tKeys []string `json:\"keys,omitzero\"`",
		"\t// Required.\n\tCount *int32 `json:\"count,omitempty\"`",
		"Size  *int64   `json:\"size,omitempty\"`",
		"Ratio *float64 `json:\"ratio,omitempty\"`",
		"On    *bool    `json:\"on,omitempty\"`",
		"\t// Required. A Status value.\n\tStatus string `json:\"status,omitempty\"`",
		"\t// Required.\n\tChild *Empty `json:\"child,omitempty\"`",
		"Items   []Item            `json:\"items,omitzero\"`",
		"Tags    map[string]string `json:\"tags,omitzero\"`",
		"Renamed *string           `json:\"wireName,omitempty\"`",
		"type Empty struct{}",
		"type ClientException struct {\n\tMessage *string `json:\"message,omitempty\"`\n}",
		"// Status values: the Batch API's Status enum.\nconst (\n\tStatusRunnable = \"RUNNABLE\"\n\tStatusNToN     = \"N_TO_N\"\n)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks\n%s\n--- output:\n%s", want, got)
		}
	}
	// Members keep the model's order: zName first though it sorts last.
	if strings.Index(got, "ZName string") > strings.Index(got, "Arn *string") {
		t.Error("members are not in the model's order")
	}
	if strings.Contains(got, "import") || strings.Contains(got, "func ") {
		t.Error("the output has imports or functions")
	}
}

func TestGenerateRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, model, wantErr string }{
		{"timestamp", `{"metadata":{"protocol":"rest-json"},"shapes":{"T":{"type":"timestamp"},"S":{"type":"structure","members":{"at":{"shape":"T"}}}}}`, "timestamp"},
		{"enum constant taken by a shape", `{"metadata":{"protocol":"rest-json"},"shapes":{"AB":{"type":"structure","members":{}},"A":{"type":"string","enum":["B"]}}}`, "taken"},
		{"two members, one field", `{"metadata":{"protocol":"rest-json"},"shapes":{"String":{"type":"string"},"S":{"type":"structure","members":{"a":{"shape":"String"},"A":{"shape":"String"}}}}}`, "both field A"},
		{"undefined shape", `{"metadata":{"protocol":"rest-json"},"shapes":{"S":{"type":"structure","members":{"a":{"shape":"Nope"}}}}}`, "not defined"},
		{"another protocol", `{"metadata":{"protocol":"query"},"shapes":{}}`, "rest-json or json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := parseModel([]byte(tt.model))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := generate(m, batchOptions); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("generate = %v, want an error about %q", err, tt.wantErr)
			}
		})
	}
}

// batchOptions are typegen's defaults: package batch from the batch model.
var batchOptions = options{service: "batch", pkg: "batch"}

// TestGenerateJSONService writes another service's types: its package, its
// header and its API's name in the comments, from a JSON 1.1 model.
func TestGenerateJSONService(t *testing.T) {
	t.Parallel()
	m, err := parseModel([]byte(`{
  "metadata": {"apiVersion": "2014-03-28", "protocol": "json", "serviceId": "CloudWatch Logs"},
  "shapes": {
    "LogGroupName": {"type": "string"},
    "OrderBy": {"type": "string", "enum": ["LogStreamName", "LastEventTime"]},
    "CreateLogGroupRequest": {"type": "structure", "required": ["logGroupName"], "members": {"logGroupName": {"shape": "LogGroupName"}}}
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	src, err := generate(m, options{service: "logs", pkg: "logs"})
	if err != nil {
		t.Fatal(err)
	}
	got := string(src)
	for _, want := range []string{
		Header("logs") + "\n\n// Source: the CloudWatch Logs API 2014-03-28.\n\npackage logs\n",
		"// CreateLogGroupRequest is the CloudWatch Logs API's CreateLogGroupRequest\n// shape.\ntype CreateLogGroupRequest struct {\n\t// Required.\n\tLogGroupName string `json:\"logGroupName,omitempty\"`\n}",
		"// OrderBy values: the CloudWatch Logs API's OrderBy enum.\nconst (\n\tOrderByLogStreamName = \"LogStreamName\"",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks\n%s\n--- output:\n%s", want, got)
		}
	}
}

// TestAPITypesUpToDate regenerates each package's api_types.go from the
// installed botocore and compares: a hand edit, or a generator change not
// run, fails here. A botocore of another version than the file's is
// skipped: the model moves.
func TestAPITypesUpToDate(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	dir, err := botocore.Installed()
	if err != nil {
		t.Skipf("botocore is not installed: %v", err)
	}
	for _, tt := range []struct {
		opt  options
		path string
	}{
		{batchOptions, filepath.Join("..", "..", "api_types.go")},
		{options{service: "logs", pkg: "logs"}, filepath.Join("..", "..", "..", "logs", "api_types.go")},
	} {
		t.Run(tt.opt.service, func(t *testing.T) {
			m, err := loadModel(dir, tt.opt.service)
			if err != nil {
				t.Fatal(err)
			}
			want, err := generate(m, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(got, want) {
				return
			}
			if m.botocoreVersion != "" && !bytes.Contains(got, []byte("botocore "+m.botocoreVersion+".")) {
				t.Skipf("%s comes from another botocore than the installed %s", tt.path, m.botocoreVersion)
			}
			t.Errorf("%s is stale: run go generate ./internal/%s", tt.path, tt.opt.pkg)
		})
	}
}
