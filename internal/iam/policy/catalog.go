package policy

import (
	_ "embed"
	"encoding/json"
	"sort"
	"strings"
	"sync"
)

// services.json is the catalog of the services batchd serves (batch, iam,
// sts, logs), restated from AWS's Service Authorization Reference ("Actions,
// resources, and condition keys for ...").
//
//go:embed data/services.json
var servicesJSON []byte

// ServiceInfo is one service of the catalog.
type ServiceInfo struct {
	Prefix        string
	Name          string                      `json:"name"`
	ConditionKeys map[string]string           `json:"conditionKeys"` // key → type
	ResourceTypes map[string]ResourceTypeInfo `json:"resourceTypes"`
	Actions       map[string]*ActionInfo      `json:"actions"`
	lowerActions  map[string]*ActionInfo      // lower-case name → action
	lowerKeys     map[string]string           // lower-case key → key as AWS writes it
}

// ResourceTypeInfo is a resource type with its ARN format.
type ResourceTypeInfo struct {
	ARN           string   `json:"arn"`
	ConditionKeys []string `json:"conditionKeys"`
}

// ActionInfo is one IAM action.
type ActionInfo struct {
	Service          string
	Name             string
	Access           string           `json:"access"`
	PermissionOnly   bool             `json:"permissionOnly"`
	Resources        []ActionResource `json:"resources"`
	ConditionKeys    []string         `json:"conditionKeys"`
	DependentActions []string         `json:"dependentActions"`
}

// ActionResource is one resource-type row of an action.
type ActionResource struct {
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	ConditionKeys []string `json:"conditionKeys"`
}

// SupportsKey reports whether the action supports condition key k (case-
// insensitive; tag keys match their ${TagKey} template). Global keys other
// than the tag keys are supported by every action.
func (a *ActionInfo) SupportsKey(k string) bool {
	lk := strings.ToLower(k)
	if isGlobalKey(lk) && !isTagKey(lk) {
		return true
	}
	if keyListHas(a.ConditionKeys, lk) {
		return true
	}
	for _, r := range a.Resources {
		if keyListHas(r.ConditionKeys, lk) {
			return true
		}
	}
	return false
}

func keyListHas(keys []string, lk string) bool {
	for _, k := range keys {
		if keyMatches(strings.ToLower(k), lk) {
			return true
		}
	}
	return false
}

// keyMatches matches a lower-case key against a lower-case catalog key that
// may end in a template such as /${tagkey}.
func keyMatches(template, lk string) bool {
	if i := strings.Index(template, "${"); i >= 0 {
		return strings.HasPrefix(lk, template[:i]) && len(lk) > i
	}
	return template == lk
}

func isTagKey(lk string) bool {
	return strings.HasPrefix(lk, "aws:requesttag/") || strings.HasPrefix(lk, "aws:resourcetag/") || lk == "aws:tagkeys"
}

var catalog = sync.OnceValue(func() map[string]*ServiceInfo {
	var doc struct {
		Services map[string]*ServiceInfo `json:"services"`
	}
	if err := json.Unmarshal(servicesJSON, &doc); err != nil {
		panic("policy: embedded service catalog: " + err.Error())
	}
	for prefix, s := range doc.Services {
		s.Prefix = prefix
		s.lowerActions = map[string]*ActionInfo{}
		s.lowerKeys = map[string]string{}
		for name, a := range s.Actions {
			a.Service, a.Name = prefix, name
			s.lowerActions[strings.ToLower(name)] = a
		}
		for k := range s.ConditionKeys {
			s.lowerKeys[strings.ToLower(k)] = k
		}
	}
	return doc.Services
})

// Service returns the catalog entry of a service prefix batchd serves.
func Service(prefix string) (*ServiceInfo, bool) {
	s, ok := catalog()[strings.ToLower(prefix)]
	return s, ok
}

// ServedServices lists the service prefixes in the catalog.
func ServedServices() []string {
	var out []string
	for p := range catalog() {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// LookupAction finds an action such as "batch:SubmitJob" (any case).
func LookupAction(action string) (*ActionInfo, bool) {
	svc, name := splitAction(action)
	s, ok := Service(svc)
	if !ok {
		return nil, false
	}
	a, ok := s.lowerActions[strings.ToLower(name)]
	return a, ok
}

// ExpandAction lists the catalog actions that an action pattern such as
// "batch:Describe*" matches, sorted. known is false when the pattern's
// service is not one batchd serves.
func ExpandAction(pattern string) (actions []*ActionInfo, known bool) {
	svc, _ := splitAction(pattern)
	s, ok := Service(svc)
	if !ok {
		return nil, false
	}
	ap := compileAction(pattern)
	for lname, a := range s.lowerActions {
		if ap.any || (ap.wild && globLower(ap.name, lname)) || (!ap.wild && ap.name == lname) {
			actions = append(actions, a)
		}
	}
	sort.Slice(actions, func(i, j int) bool { return actions[i].Name < actions[j].Name })
	return actions, true
}

func globLower(p, s string) bool {
	c := compilePattern(p, true, false)
	return c.match(s, nil, false)
}

// KeyType returns the type AWS gives condition key k (String, ArrayOfString,
// Numeric, Date, Bool, ARN, IPAddress, Binary, ...), looking at the global
// keys and the catalog's services; ok is false for an unknown key.
func KeyType(k string) (typ string, ok bool) {
	lk := strings.ToLower(k)
	for tmpl, t := range globalKeys {
		if keyMatches(strings.ToLower(tmpl), lk) {
			return t, true
		}
	}
	svc, _, found := strings.Cut(lk, ":")
	if !found {
		return "", false
	}
	s, ok := Service(svc)
	if !ok {
		return "", false
	}
	for lt, orig := range s.lowerKeys {
		if keyMatches(lt, lk) {
			return s.ConditionKeys[orig], true
		}
	}
	return "", false
}

func isGlobalKey(lk string) bool {
	for tmpl := range globalKeys {
		if keyMatches(strings.ToLower(tmpl), lk) {
			return true
		}
	}
	return false
}

// globalKeys are AWS's global condition context keys with their types (IAM
// User Guide, "AWS global condition context keys").
var globalKeys = map[string]string{
	"aws:CalledVia":                    "ArrayOfString",
	"aws:CalledViaFirst":               "String",
	"aws:CalledViaLast":                "String",
	"aws:CurrentTime":                  "Date",
	"aws:EpochTime":                    "Date",
	"aws:FederatedProvider":            "String",
	"aws:MultiFactorAuthAge":           "Numeric",
	"aws:MultiFactorAuthPresent":       "Bool",
	"aws:PrincipalAccount":             "String",
	"aws:PrincipalArn":                 "ARN",
	"aws:PrincipalIsAWSService":        "Bool",
	"aws:PrincipalOrgID":               "String",
	"aws:PrincipalOrgPaths":            "ArrayOfString",
	"aws:PrincipalServiceName":         "String",
	"aws:PrincipalServiceNamesList":    "ArrayOfString",
	"aws:PrincipalTag/${TagKey}":       "String",
	"aws:PrincipalType":                "String",
	"aws:Referer":                      "String",
	"aws:RequestedRegion":              "String",
	"aws:RequestTag/${TagKey}":         "String",
	"aws:ResourceAccount":              "String",
	"aws:ResourceOrgID":                "String",
	"aws:ResourceOrgPaths":             "ArrayOfString",
	"aws:ResourceTag/${TagKey}":        "String",
	"aws:SecureTransport":              "Bool",
	"aws:SourceAccount":                "String",
	"aws:SourceArn":                    "ARN",
	"aws:SourceIdentity":               "String",
	"aws:SourceIp":                     "IPAddress",
	"aws:SourceOrgID":                  "String",
	"aws:SourceOrgPaths":               "ArrayOfString",
	"aws:SourceVpc":                    "String",
	"aws:SourceVpcArn":                 "ARN",
	"aws:SourceVpce":                   "String",
	"aws:TagKeys":                      "ArrayOfString",
	"aws:TokenIssueTime":               "Date",
	"aws:UserAgent":                    "String",
	"aws:userid":                       "String",
	"aws:username":                     "String",
	"aws:ViaAWSService":                "Bool",
	"aws:VpceAccount":                  "String",
	"aws:VpceOrgID":                    "String",
	"aws:VpceOrgPaths":                 "ArrayOfString",
	"aws:AssumedRoot":                  "Bool",
	"aws:VpcSourceIp":                  "IPAddress",
	"aws:Ec2InstanceSourceVpc":         "String",
	"aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
}
