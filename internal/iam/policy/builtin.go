package policy

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed data/managed/*.json
var managedFS embed.FS

// ManagedPolicy is an AWS managed policy that batchd ships built in. Nobody
// can change it; its ARN is arn:aws:iam::aws:policy/PATH/NAME.
type ManagedPolicy struct {
	Name             string    `json:"name"`
	Path             string    `json:"path"`
	ARN              string    `json:"arn"`
	Description      string    `json:"description"`
	DefaultVersionID string    `json:"defaultVersionId"`
	CreateDate       time.Time `json:"createDate"`
	UpdateDate       time.Time `json:"updateDate"`
	IsAttachable     bool      `json:"isAttachable"`
	Note             string    `json:"note,omitempty"`
	// Document is the policy text exactly as published.
	Document string `json:"-"`
	// Policy is the compiled document.
	Policy *Policy `json:"-"`
}

var builtins = sync.OnceValues(loadBuiltins)

func loadBuiltins() ([]*ManagedPolicy, error) {
	idx, err := managedFS.ReadFile("data/managed/index.json")
	if err != nil {
		return nil, err
	}
	var list []*ManagedPolicy
	if err := json.Unmarshal(idx, &list); err != nil {
		return nil, fmt.Errorf("managed policy index: %w", err)
	}
	for _, m := range list {
		doc, err := managedFS.ReadFile("data/managed/" + m.Name + ".json")
		if err != nil {
			return nil, err
		}
		m.Document = string(doc)
		if m.Policy, err = Load(m.ARN, doc); err != nil {
			return nil, fmt.Errorf("managed policy %s: %w", m.Name, err)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, nil
}

// Builtins returns the AWS managed policies batchd ships, sorted by name.
func Builtins() []*ManagedPolicy {
	list, err := builtins()
	if err != nil {
		// The data is embedded and checked by tests; failing here is a build
		// defect, not a runtime condition.
		panic("policy: built-in managed policies: " + err.Error())
	}
	return list
}

// Builtin finds a built-in managed policy by name ("AWSBatchFullAccess",
// also "aws:AWSBatchFullAccess") or ARN.
func Builtin(nameOrARN string) (*ManagedPolicy, bool) {
	key := strings.TrimPrefix(nameOrARN, "aws:")
	for _, m := range Builtins() {
		if m.Name == key || m.ARN == nameOrARN {
			return m, true
		}
	}
	return nil, false
}
