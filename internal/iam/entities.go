package iam

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"
)

// Tag is a key-value pair on an IAM entity.
type Tag struct {
	Key   string
	Value string
}

// User is an IAM user.
type User struct {
	Name             string
	Path             string
	ID               string
	ARN              string
	CreateDate       time.Time
	Boundary         string // permissions boundary policy ARN
	Tags             []Tag
	Groups           []string          // group names
	AttachedPolicies []string          // managed policy ARNs
	InlinePolicies   map[string]string // name → document
}

// Group is an IAM group.
type Group struct {
	Name             string
	Path             string
	ID               string
	ARN              string
	CreateDate       time.Time
	AttachedPolicies []string
	InlinePolicies   map[string]string
}

// Role is an IAM role.
type Role struct {
	Name               string
	Path               string
	ID                 string
	ARN                string
	CreateDate         time.Time
	TrustPolicy        string
	Description        string
	MaxSessionDuration int32 // seconds, 3600..43200
	Boundary           string
	Tags               []Tag
	AttachedPolicies   []string
	InlinePolicies     map[string]string
	// ServiceLinked names the service of a service-linked role; such a role
	// can be changed only by that service.
	ServiceLinked string
	LastUsed      time.Time
	LastUsedIn    string
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	ID         string // v1, v2, ...
	Document   string
	CreateDate time.Time
}

// ManagedPolicy is a customer managed policy, or a built-in AWS managed
// policy (AWS true) that nobody can change.
type ManagedPolicy struct {
	Name           string
	Path           string
	ID             string
	ARN            string
	Description    string
	CreateDate     time.Time
	UpdateDate     time.Time
	DefaultVersion string
	Versions       []PolicyVersion
	NextVersion    int
	Tags           []Tag
	AWS            bool
	IsAttachable   bool
}

// Default returns the default version's document.
func (p *ManagedPolicy) Default() string {
	for _, v := range p.Versions {
		if v.ID == p.DefaultVersion {
			return v.Document
		}
	}
	return ""
}

// AccessKey is a long-term access key of a user, or of the account root
// (User "").
type AccessKey struct {
	ID           string
	User         string
	SealedSecret []byte
	Status       string // Active | Inactive
	CreateDate   time.Time
	LastUsed     time.Time
	LastService  string
	LastRegion   string
}

// InstanceProfile is an IAM instance profile.
type InstanceProfile struct {
	Name       string
	Path       string
	ID         string
	ARN        string
	CreateDate time.Time
	Roles      []string // role names (at most one)
	Tags       []Tag
}

// Store kinds. Keys are lower-cased names (IAM names are unique regardless
// of case), access key IDs, or policy ARNs.
const (
	kindUser      = "iam.user"
	kindGroup     = "iam.group"
	kindRole      = "iam.role"
	kindPolicy    = "iam.policy"
	kindAccessKey = "iam.accesskey"
	kindProfile   = "iam.instanceprofile"
	kindSession   = "sts.session"
	kindAccount   = "iam.account"
)

// Unique ID prefixes AWS uses (IAM User Guide, "IAM identifiers": unique
// identifiers).
const (
	prefixUser      = "AIDA"
	prefixRole      = "AROA"
	prefixGroup     = "AGPA"
	prefixPolicy    = "ANPA"
	prefixProfile   = "AIPA"
	prefixAccessKey = "AKIA"
	prefixTempKey   = "ASIA"
)

// uniqueID returns prefix followed by 17 random characters of AWS's
// alphabet (upper-case letters and digits 2-7), 21 in all.
func uniqueID(prefix string) string {
	return prefix + randomBase32(17)
}

func randomBase32(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = alphabet[b[i]%32]
	}
	return string(b)
}

// newAccessKeyID returns an access key ID: AKIA or ASIA and 16 characters.
func newAccessKeyID(prefix string) string { return prefix + randomBase32(16) }

// newSecret returns a 40-character secret access key.
func newSecret() string {
	b := make([]byte, 30)
	if _, err := rand.Read(b); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

func nameKey(name string) string { return strings.ToLower(name) }
