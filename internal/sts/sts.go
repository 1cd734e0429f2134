package sts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"batchd/internal/iam"
	"batchd/internal/iam/policy"
)

// Error is an STS API error.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string        { return e.Code + ": " + e.Message }
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Service issues and explains temporary credentials.
type Service struct {
	iam *iam.Service
}

// New returns an STS service over an IAM service.
func New(i *iam.Service) *Service { return &Service{iam: i} }

// Credentials are temporary credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// AssumeRoleInput is AssumeRole's input.
type AssumeRoleInput struct {
	RoleARN           string
	RoleSessionName   string
	DurationSeconds   int32 // 0: 3600
	Policy            string
	PolicyARNs        []string
	Tags              []iam.Tag
	TransitiveTagKeys []string
	ExternalID        string
	SourceIdentity    string
}

// AssumeRoleOutput is AssumeRole's output.
type AssumeRoleOutput struct {
	Credentials      Credentials
	AssumedRoleID    string
	AssumedRoleARN   string
	PackedPolicySize int32
	SourceIdentity   string
}

// sessionChars is the character set of role session and federated user
// names ([\w+=,.@-]); lengths are checked apart (nameOK): a bounded
// repetition compiles into thousands of allocations at package init, which
// every sandboxed job's re-executed init would pay.
var (
	sessionChars = regexp.MustCompile(`^[\w+=,.@-]+$`)
	keyIDChars   = regexp.MustCompile(`^\w+$`)
)

// nameOK reports whether s is min to max characters of re's set.
func nameOK(re *regexp.Regexp, s string, min, max int) bool {
	return len(s) >= min && len(s) <= max && re.MatchString(s)
}

// AssumeRole gives p temporary credentials of a role. The request is allowed
// when the role's trust policy and p's own policies allow sts:AssumeRole on
// the role, as AWS evaluates a role's trust policy (a resource-based policy
// of the role); session tags need sts:TagSession and a source identity
// sts:SetSourceIdentity, likewise. The session's permissions are the role's
// limited by the session policies. Root cannot assume roles.
func (s *Service) AssumeRole(ctx context.Context, p *iam.Principal, env iam.Env, in AssumeRoleInput) (*AssumeRoleOutput, error) {
	if p.IsRoot() {
		return nil, errorf("AccessDenied", "Roles may not be assumed by root accounts.")
	}
	if !nameOK(sessionChars, in.RoleSessionName, 2, 64) {
		return nil, errorf("ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", in.RoleSessionName)
	}
	duration := in.DurationSeconds
	if duration == 0 {
		duration = 3600
	}
	role, err := s.iam.RoleByARN(ctx, in.RoleARN)
	denied := func() error {
		return errorf("AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", p.ARN, in.RoleARN)
	}
	if err != nil {
		return nil, denied()
	}
	if duration < 900 || duration > role.MaxSessionDuration {
		return nil, errorf("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if p.Kind == policy.AssumedRole && duration > 3600 {
		// Role chaining limits a session to one hour (IAM User Guide, "Role chaining").
		return nil, errorf("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	tags, transitive, err := s.sessionTags(p, in.Tags, in.TransitiveTagKeys)
	if err != nil {
		return nil, err
	}
	packed, err := s.checkSessionPolicies(ctx, in.Policy, in.PolicyARNs, tags)
	if err != nil {
		return nil, err
	}
	keys := map[string][]string{}
	if in.ExternalID != "" {
		keys["sts:ExternalId"] = []string{in.ExternalID}
	}
	keys["sts:RoleSessionName"] = []string{in.RoleSessionName}
	if in.SourceIdentity != "" {
		keys["sts:SourceIdentity"] = []string{in.SourceIdentity}
	} else if p.Session != nil && p.Session.SourceIdentity != "" {
		keys["sts:SourceIdentity"] = []string{p.Session.SourceIdentity}
	}
	if len(in.Tags) > 0 {
		var tagKeys []string
		for _, t := range in.Tags {
			keys["aws:RequestTag/"+t.Key] = []string{t.Value}
			tagKeys = append(tagKeys, t.Key)
		}
		keys["aws:TagKeys"] = tagKeys
	}
	if len(in.TransitiveTagKeys) > 0 {
		keys["sts:TransitiveTagKeys"] = in.TransitiveTagKeys
	}
	trust, err := policy.Load("trust policy of "+role.Name, []byte(role.TrustPolicy))
	if err != nil {
		return nil, denied()
	}
	check := func(action string) error {
		v, err := s.iam.AuthorizeWithResourcePolicy(ctx, p, env, iam.Check{Action: action, Resource: role.ARN, Keys: keys}, trust)
		if err != nil {
			return err
		}
		// The engine applies a trust policy's own rules (policy.TrustPolicy):
		// the trust policy must allow explicitly, and the caller's boundary
		// too.
		if !v.Allowed() {
			return &DeniedError{Code: "AccessDenied", Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", p.ARN, action, role.ARN), Verdict: v}
		}
		return nil
	}
	if err := check("sts:AssumeRole"); err != nil {
		return nil, err
	}
	if len(in.Tags) > 0 || len(in.TransitiveTagKeys) > 0 {
		if err := check("sts:TagSession"); err != nil {
			return nil, err
		}
	}
	if in.SourceIdentity != "" {
		if err := check("sts:SetSourceIdentity"); err != nil {
			return nil, err
		}
	}
	source := in.SourceIdentity
	if source == "" && p.Session != nil {
		source = p.Session.SourceIdentity // a source identity persists through role chaining
	}
	now := s.iam.Now()
	keyID, secret, token := iam.NewTemporaryKey()
	sess := &iam.Session{
		AccessKeyID: keyID, Kind: "AssumedRole", RoleName: role.Name, RoleARN: role.ARN, RoleID: role.ID,
		SessionName: in.RoleSessionName, PolicyARNs: in.PolicyARNs, Tags: tags, TransitiveTagKeys: transitive,
		SourceIdentity: source, Issued: now, Expiration: now.Add(time.Duration(duration) * time.Second),
	}
	if in.Policy != "" {
		sess.Policies = []string{in.Policy}
	}
	if err := s.iam.PutSession(ctx, sess, secret, token); err != nil {
		return nil, err
	}
	s.iam.MarkRoleUsed(ctx, role.Name, env.Region)
	return &AssumeRoleOutput{
		Credentials:      Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token, Expiration: sess.Expiration},
		AssumedRoleID:    role.ID + ":" + in.RoleSessionName,
		AssumedRoleARN:   fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", s.iam.Partition(), s.iam.AccountID(), role.Name, in.RoleSessionName),
		PackedPolicySize: packed,
		SourceIdentity:   source,
	}, nil
}

// DeniedError is an AccessDenied with the verdict behind it, for the audit
// trail and the encoded authorization message.
type DeniedError struct {
	Code, Message string
	Verdict       *iam.Verdict
}

func (e *DeniedError) Error() string        { return e.Code + ": " + e.Message }
func (e *DeniedError) ErrorCode() string    { return e.Code }
func (e *DeniedError) ErrorMessage() string { return e.Message }

// sessionTags merges the caller's transitive session tags (which cannot be
// overridden, IAM User Guide "Chaining roles with session tags") with the
// new tags, keeping at most 50.
func (s *Service) sessionTags(p *iam.Principal, tags []iam.Tag, transitiveKeys []string) ([]iam.Tag, []string, error) {
	var out []iam.Tag
	var transitive []string
	if p.Session != nil {
		for _, k := range p.Session.TransitiveTagKeys {
			for _, t := range p.Session.Tags {
				if strings.EqualFold(t.Key, k) {
					out = append(out, t)
				}
			}
			transitive = append(transitive, k)
		}
	}
	for _, t := range tags {
		if slices.ContainsFunc(out, func(o iam.Tag) bool { return strings.EqualFold(o.Key, t.Key) }) {
			return nil, nil, errorf("InvalidParameterValue", "One or more session tags are being overridden by a transitive tag: %s", t.Key)
		}
		out = append(out, t)
	}
	for _, k := range transitiveKeys {
		if !slices.ContainsFunc(tags, func(t iam.Tag) bool { return strings.EqualFold(t.Key, k) }) {
			return nil, nil, errorf("InvalidParameterValue", "The transitive tag key %s is not one of the session tags.", k)
		}
		transitive = append(transitive, k)
	}
	if len(out) > 50 {
		return nil, nil, errorf("InvalidParameterValue", "The number of session tags cannot exceed 50.")
	}
	return out, transitive, nil
}

// checkSessionPolicies validates the inline session policy and the managed
// ones and returns the packed size as a percentage of the allowed size
// (STS API Reference, PackedPolicySize).
func (s *Service) checkSessionPolicies(ctx context.Context, doc string, arns []string, tags []iam.Tag) (int32, error) {
	if len(arns) > 10 {
		return 0, errorf("ValidationError", "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	size := 0
	if doc != "" {
		if _, err := policy.Load("session policy", []byte(doc)); err != nil {
			return 0, errorf("MalformedPolicyDocument", "%v", err)
		}
		for _, f := range policy.Validate([]byte(doc), policy.KindSession) {
			if f.Severity == policy.SeverityError && f.Code != "POLICY_SIZE_EXCEEDED" && f.Code != "UNKNOWN_ACTION" && f.Code != "UNKNOWN_CONDITION_KEY" {
				return 0, errorf("MalformedPolicyDocument", "%s: %s", f.Path, f.Message)
			}
		}
		size += packedLen(doc)
	}
	for _, a := range arns {
		if !s.iam.PolicyExists(ctx, a) {
			return 0, errorf("InvalidParameterValue", "Policy %s does not exist or is not attachable.", a)
		}
		size += len(a)
	}
	for _, t := range tags {
		size += len(t.Key) + len(t.Value)
	}
	const packedLimit = 2048
	pct := int32(size * 100 / packedLimit)
	if size > packedLimit {
		return pct, errorf("PackedPolicyTooLarge", "Packed size of session policies and session tags exceeds the allowed limit: %d%% of the limit.", pct)
	}
	return pct, nil
}

// packedLen counts a policy's characters without whitespace, an estimate of
// AWS's packed form.
func packedLen(doc string) int {
	n := 0
	for _, r := range doc {
		if r != ' ' && r != '\n' && r != '\t' && r != '\r' {
			n++
		}
	}
	return n
}

// GetSessionToken gives a user or the root temporary credentials with the
// same permissions. Session credentials cannot call it.
func (s *Service) GetSessionToken(ctx context.Context, p *iam.Principal, durationSeconds int32) (*Credentials, error) {
	if p.Session != nil {
		return nil, errorf("AccessDenied", "Cannot call GetSessionToken with session credentials")
	}
	max := int32(129600)
	if p.IsRoot() {
		max = 3600
	}
	d := durationSeconds
	if d == 0 {
		d = 43200
		if p.IsRoot() {
			d = 3600
		}
	}
	if d < 900 || d > max {
		return nil, errorf("ValidationError", "The requested DurationSeconds exceeds the allowed maximum of %d seconds.", max)
	}
	kind := "User"
	if p.IsRoot() {
		kind = "Root"
	}
	return s.issue(ctx, &iam.Session{Kind: kind, UserName: p.UserName, UserID: p.UserID}, d)
}

// GetFederationTokenInput is GetFederationToken's input.
type GetFederationTokenInput struct {
	Name            string
	DurationSeconds int32
	Policy          string
	PolicyARNs      []string
	Tags            []iam.Tag
}

// GetFederationToken gives a federated user session of an IAM user: its
// permissions are the user's limited by the session policies; with none it
// has no permissions (STS API Reference, GetFederationToken).
func (s *Service) GetFederationToken(ctx context.Context, p *iam.Principal, in GetFederationTokenInput) (*Credentials, string, string, int32, error) {
	if p.Session != nil {
		return nil, "", "", 0, errorf("AccessDenied", "Cannot call GetFederationToken with session credentials")
	}
	if p.IsRoot() {
		// batchd's root has no IAM user whose policies a federated session
		// could narrow.
		return nil, "", "", 0, errorf("AccessDenied", "Cannot call GetFederationToken with root credentials in batchd: use an IAM user")
	}
	if !nameOK(sessionChars, in.Name, 2, 32) {
		return nil, "", "", 0, errorf("ValidationError", "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", in.Name)
	}
	d := in.DurationSeconds
	if d == 0 {
		d = 43200
	}
	if d < 900 || d > 129600 {
		return nil, "", "", 0, errorf("ValidationError", "The requested DurationSeconds exceeds the allowed maximum of 129600 seconds.")
	}
	packed, err := s.checkSessionPolicies(ctx, in.Policy, in.PolicyARNs, in.Tags)
	if err != nil {
		return nil, "", "", 0, err
	}
	sess := &iam.Session{Kind: "FederatedUser", UserName: p.UserName, UserID: p.UserID, SessionName: in.Name, PolicyARNs: in.PolicyARNs, Tags: in.Tags}
	if in.Policy != "" {
		sess.Policies = []string{in.Policy}
	}
	creds, err := s.issue(ctx, sess, d)
	if err != nil {
		return nil, "", "", 0, err
	}
	id := s.iam.AccountID() + ":" + in.Name
	arn := fmt.Sprintf("arn:%s:sts::%s:federated-user/%s", s.iam.Partition(), s.iam.AccountID(), in.Name)
	return creds, id, arn, packed, nil
}

func (s *Service) issue(ctx context.Context, sess *iam.Session, seconds int32) (*Credentials, error) {
	now := s.iam.Now()
	keyID, secret, token := iam.NewTemporaryKey()
	sess.AccessKeyID, sess.Issued, sess.Expiration = keyID, now, now.Add(time.Duration(seconds)*time.Second)
	if err := s.iam.PutSession(ctx, sess, secret, token); err != nil {
		return nil, err
	}
	return &Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: token, Expiration: sess.Expiration}, nil
}

// CallerIdentity is GetCallerIdentity's answer.
type CallerIdentity struct {
	UserID  string
	Account string
	ARN     string
}

// GetCallerIdentity says who the caller is. It needs no permission: AWS
// answers it even under an explicit deny.
func (s *Service) GetCallerIdentity(p *iam.Principal) CallerIdentity {
	return CallerIdentity{UserID: p.UserID, Account: p.Account, ARN: p.ARN}
}

// GetAccessKeyInfo returns the account an access key belongs to.
func (s *Service) GetAccessKeyInfo(ctx context.Context, keyID string) (string, error) {
	if !nameOK(keyIDChars, keyID, 16, 128) {
		return "", errorf("ValidationError", "1 validation error detected: Value '%s' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]*", keyID)
	}
	if s.iam.KnowsKey(ctx, keyID) {
		return s.iam.AccountID(), nil
	}
	return "", errorf("InvalidParameterValue", "The access key ID %s is not valid for this account.", keyID)
}

// AuthorizationMessage is what an encoded authorization message holds: the
// decision, the request context and the engine's reasons, in the shape AWS's
// DecodeAuthorizationMessage returns (allowed, explicitDeny, matched
// statements, context).
type AuthorizationMessage struct {
	Allowed           bool              `json:"allowed"`
	ExplicitDeny      bool              `json:"explicitDeny"`
	MatchedStatements map[string]any    `json:"matchedStatements"`
	Failures          map[string]any    `json:"failures"`
	Context           messageContext    `json:"context"`
	Reasons           []string          `json:"reasons"`
	Extra             map[string]string `json:"batchd,omitempty"`
}

type messageContext struct {
	Principal  map[string]string `json:"principal"`
	Action     string            `json:"action"`
	Resource   string            `json:"resource"`
	Conditions map[string]any    `json:"conditions"`
}

// EncodeAuthorizationMessage seals a verdict into an opaque message that
// only DecodeAuthorizationMessage on this server can read.
func (s *Service) EncodeAuthorizationMessage(p *iam.Principal, v *iam.Verdict) string {
	m := AuthorizationMessage{
		Allowed:      v.Outcome == policy.Allowed,
		ExplicitDeny: v.Outcome == policy.ExplicitDeny,
		Failures:     map[string]any{"items": []any{}},
		Reasons:      v.Reasons(),
		Context: messageContext{
			Principal: map[string]string{"id": p.UserID, "arn": p.ARN},
			Action:    v.Request.Action, Resource: v.Request.Resource,
		},
	}
	var items []any
	if ref := v.Deny; ref != nil {
		items = append(items, statementItem(ref))
	} else if ref := v.Allow; ref != nil && v.Outcome == policy.Allowed {
		items = append(items, statementItem(ref))
	}
	if items == nil {
		items = []any{}
	}
	m.MatchedStatements = map[string]any{"items": items}
	var conds []any
	keys := v.Request.Context.Keys()
	slices.Sort(keys)
	for _, k := range keys {
		vals, _ := v.Request.Context.Lookup(k)
		var vs []any
		for _, x := range vals {
			vs = append(vs, map[string]string{"value": x})
		}
		conds = append(conds, map[string]any{"key": k, "values": map[string]any{"items": vs}})
	}
	m.Context.Conditions = map[string]any{"items": conds}
	b, _ := json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(s.iam.SealMessage(b))
}

func statementItem(ref *policy.StatementRef) map[string]any {
	return map[string]any{"statementId": ref.Sid, "effect": string(ref.Effect), "policy": ref.Policy.Name, "index": ref.Index}
}

// DecodeAuthorizationMessage opens a message from EncodeAuthorizationMessage.
// The caller must be allowed sts:DecodeAuthorizationMessage (checked by the
// caller of this method, like every action).
func (s *Service) DecodeAuthorizationMessage(encoded string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return "", errorf("InvalidAuthorizationMessageException", "The encoded authorization message is invalid.")
	}
	b, err := s.iam.OpenMessage(raw)
	if err != nil {
		return "", errorf("InvalidAuthorizationMessageException", "The encoded authorization message is invalid.")
	}
	return string(b), nil
}

// AssumeRoleForService issues temporary credentials of a role to an AWS
// service principal (ecs-tasks.amazonaws.com for a job's role), after the
// role's trust policy allows that service sts:AssumeRole. The session's
// permissions are the role's.
func (s *Service) AssumeRoleForService(ctx context.Context, roleARN, service, sessionName string, seconds int32) (*Credentials, *iam.Principal, error) {
	p, err := s.iam.ServiceSession(ctx, roleARN, service, sessionName)
	if err != nil {
		return nil, nil, err
	}
	role, err := s.iam.RoleByARN(ctx, roleARN)
	if err != nil {
		return nil, nil, err
	}
	if seconds == 0 {
		seconds = 3600
	}
	creds, err := s.issue(ctx, &iam.Session{Kind: "AssumedRole", RoleName: role.Name, RoleARN: role.ARN, RoleID: role.ID, SessionName: sessionName}, seconds)
	if err != nil {
		return nil, nil, err
	}
	return creds, p, nil
}
