package awsproto

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed models.json
var modelsJSON []byte

// Service is what batchd keeps of one service's botocore model. Values
// returned by Model are shared: treat them as read-only.
type Service struct {
	// Protocol is botocore's protocol name: "query", "rest-json" or "json".
	Protocol     string `json:"protocol"`
	APIVersion   string `json:"apiVersion"`
	XMLNamespace string `json:"xmlNamespace"`
	// TargetPrefix is the X-Amz-Target prefix of JSON 1.1 services
	// ("Logs_20140328").
	TargetPrefix string                `json:"targetPrefix"`
	JSONVersion  string                `json:"jsonVersion"`
	Operations   map[string]*Operation `json:"operations"`
	// Shapes holds every shape reachable from an operation's input.
	Shapes map[string]*Shape `json:"shapes"`
	// Errors maps error shape names (NoSuchEntityException) to their wire
	// code and status.
	Errors map[string]ErrorShape `json:"errors"`
}

// Operation is one operation of a service.
type Operation struct {
	// Input and Output name the operation's shapes; either may be empty
	// (DeleteUser has no output).
	Input        string `json:"input"`
	Output       string `json:"output"`
	Method       string `json:"method"`
	RequestURI   string `json:"requestUri"`
	ResponseCode int    `json:"responseCode"`
}

// Shape is an input shape with the constraints AWS checks.
type Shape struct {
	// Type is botocore's: structure, list, map, string, integer, long,
	// boolean, timestamp, blob, float, double.
	Type     string   `json:"type"`
	Required []string `json:"required"`
	Members  []Member `json:"members"`
	// Member is a list's element; Key and Value a map's.
	Member *Member `json:"member"`
	Key    *Member `json:"key"`
	Value  *Member `json:"value"`
	// Min and Max bound a string's, list's, map's or blob's length, or a
	// number's value.
	Min *json.Number `json:"min"`
	Max *json.Number `json:"max"`
	// Pattern is the model's (Java) regular expression, as AWS prints it;
	// RE its RE2 form, empty when it could not be converted (see
	// models.json, skippedPatterns).
	Pattern string   `json:"pattern"`
	RE      string   `json:"re"`
	Enum    []string `json:"enum"`
	// EnumFold: Enum's values are accepted in any case, as the model's
	// documentation says (Batch RetryAction: "The values aren't case
	// sensitive").
	EnumFold  bool `json:"enumFold"`
	Sensitive bool `json:"sensitive"`
	Flattened bool `json:"flattened"`

	re *regexp.Regexp
}

// Member is a reference from a structure, list or map to a shape.
type Member struct {
	// Name is the member's name in its structure (empty for list and map
	// members).
	Name  string `json:"name"`
	Shape string `json:"shape"`
	// LocationName, when set, is the member's name on the wire.
	LocationName string `json:"locationName"`
	// Location is where a REST-JSON member travels: "uri", "querystring",
	// "header", or empty for the body.
	Location string `json:"location"`
}

// ErrorShape is an error of a service's model.
type ErrorShape struct {
	Code   string `json:"code"`
	Status int    `json:"status"`
	Sender bool   `json:"sender"`
}

type modelFile struct {
	Services map[string]*Service `json:"services"`
}

var models = sync.OnceValue(func() map[string]*Service {
	var f modelFile
	if err := json.Unmarshal(modelsJSON, &f); err != nil {
		panic(fmt.Sprintf("awsproto: embedded models.json: %v", err))
	}
	for name, s := range f.Services {
		for shapeName, sh := range s.Shapes {
			if sh.RE != "" {
				re, err := regexp.Compile(sh.RE)
				if err != nil {
					panic(fmt.Sprintf("awsproto: models.json: %s:%s: %v", name, shapeName, err))
				}
				sh.re = re
			}
		}
	}
	return f.Services
})

// Model returns the model of a service by its botocore name ("iam", "sts",
// "batch", "logs").
func Model(service string) (*Service, bool) {
	s, ok := models()[service]
	return s, ok
}

// OperationNames returns a service's operation names, sorted; nil for an
// unknown service.
func OperationNames(service string) []string {
	s, ok := Model(service)
	if !ok {
		return nil
	}
	return slices.Sorted(maps.Keys(s.Operations))
}

// CheckAction reports whether a Query request names an operation of the
// service at its API version, with AWS's error when it does not:
// InvalidAction "Could not find operation X for version Y". A request without
// Version is refused with MissingParameter.
func CheckAction(service string, q *QueryRequest) error {
	s, ok := Model(service)
	if !ok || s.Protocol != "query" {
		return fmt.Errorf("awsproto: %q is not a Query service", service)
	}
	if q.Version == "" {
		return Errorf("MissingParameter", "The request must contain the parameter Version")
	}
	if _, ok := s.Operations[q.Action]; !ok || q.Version != s.APIVersion {
		return Errorf("InvalidAction", "Could not find operation %s for version %s", q.Action, q.Version)
	}
	return nil
}

// errorTable maps every error code of the models, and AWS's common errors,
// to its status and fault.
var errorTable = sync.OnceValue(func() map[string]ErrorShape {
	t := map[string]ErrorShape{}
	for _, e := range commonErrors {
		t[e.Code] = e
	}
	// Model errors win over the common list: they are the services' own.
	for _, name := range slices.Sorted(maps.Keys(models())) {
		for _, e := range models()[name].Errors {
			t[e.Code] = e
		}
	}
	return t
})

// bound returns a constraint as an int64 or float64 comparison value.
func bound(n *json.Number) (i int64, f float64, isInt bool) {
	if i, err := strconv.ParseInt(string(*n), 10, 64); err == nil {
		return i, float64(i), true
	}
	f, _ = strconv.ParseFloat(string(*n), 64)
	return 0, f, false
}

// enumHas reports whether v is one of the shape's enum values (in any
// case when EnumFold).
func (sh *Shape) enumHas(v string) bool {
	if sh.EnumFold {
		return slices.ContainsFunc(sh.Enum, func(e string) bool { return strings.EqualFold(e, v) })
	}
	return slices.Contains(sh.Enum, v)
}
