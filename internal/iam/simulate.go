package iam

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"batchd/internal/arn"
	"batchd/internal/iam/policy"
	"batchd/internal/store"
)

// This file is the engine behind IAM's policy simulator (IAM API Reference,
// SimulatePrincipalPolicy, SimulateCustomPolicy,
// GetContextKeysForPrincipalPolicy, GetContextKeysForCustomPolicy; IAM User
// Guide, "Testing IAM policies with the IAM policy simulator"). It gathers
// the policies, asks policy.Set.Explain, and words the answer as AWS does.
// The simulator evaluates only what it is given: context keys come from
// ContextEntries alone, so that a key a policy needs and the request lacks
// is reported in MissingContextValues.

// The simulator's decisions, in AWS's spelling (PolicyEvaluationDecisionType).
const (
	DecisionAllowed      = "allowed"
	DecisionExplicitDeny = "explicitDeny"
	DecisionImplicitDeny = "implicitDeny"
)

// The kinds of policy a matched statement comes from (PolicySourceType).
const (
	SourceUser        = "user"
	SourceGroup       = "group"
	SourceRole        = "role"
	SourceAWSManaged  = "aws-managed"
	SourceUserManaged = "user-managed"
	SourceResource    = "resource"
	SourceNone        = "none"
)

// ContextEntry is a context key with its values for a simulation. Type is
// AWS's ContextKeyType (string, stringList, numeric, boolean, date, ip,
// binary and their lists); the engine compares values as text whatever it
// is.
type ContextEntry struct {
	Key    string
	Values []string
	Type   string
}

// SimulateInput is the input of SimulatePrincipalPolicy and
// SimulateCustomPolicy. PolicySourceARN names the user, group or role whose
// policies are simulated (SimulatePrincipalPolicy only); PolicyInputList
// adds documents to them. PermissionsBoundaryPolicyInputList, when given,
// replaces the entity's permissions boundary. ResourceARNs defaults to "*".
// ResourceOwner is accepted for the API's sake: batchd serves one account,
// so every simulated resource is the caller's.
type SimulateInput struct {
	PolicySourceARN                    string
	PolicyInputList                    []string
	PermissionsBoundaryPolicyInputList []string
	ActionNames                        []string
	ResourceARNs                       []string
	ResourcePolicy                     string
	ResourceOwner                      string
	CallerARN                          string
	ContextEntries                     []ContextEntry
	Page                               Page
}

// Position is a place in a policy document: 1-based line and column.
type Position struct {
	Line   int32
	Column int32
}

// MatchedStatement is a statement that decided a result, located in its
// document.
type MatchedStatement struct {
	SourcePolicyID   string
	SourcePolicyType string
	StartPosition    Position
	EndPosition      Position
}

// BoundaryDecision tells whether the permissions boundary allows the action
// (PermissionsBoundaryDecisionDetail).
type BoundaryDecision struct {
	AllowedByPermissionsBoundary bool
}

// ResourceResult is the result of one action on one named resource.
type ResourceResult struct {
	ResourceName                      string
	Decision                          string
	MatchedStatements                 []MatchedStatement
	MissingContextValues              []string
	PermissionsBoundaryDecisionDetail *BoundaryDecision // nil without a boundary
}

// EvalResult is the result of one action on one resource (EvaluationResult).
// When the input named resources, MissingContextValues is empty and the
// per-resource detail is in ResourceSpecificResults, as in AWS.
type EvalResult struct {
	ActionName                        string
	ResourceName                      string
	Decision                          string
	MatchedStatements                 []MatchedStatement
	MissingContextValues              []string
	PermissionsBoundaryDecisionDetail *BoundaryDecision // nil without a boundary
	ResourceSpecificResults           []ResourceResult
}

// SimulateOutput is one page of simulation results.
type SimulateOutput struct {
	Results   []EvalResult
	Marker    string
	Truncated bool
}

// simSource is where a compiled policy came from, for MatchedStatements.
type simSource struct {
	id, typ string
	text    string
	spans   []jsonSpan // statement braces, computed when first needed
	scanned bool
}

// simulation is the policies of one simulation with their sources.
type simulation struct {
	set     policy.Set
	sources map[*policy.Policy]*simSource
	caller  policy.Caller
	// spelling maps a lower-cased context key to its spelling in the
	// policies.
	spelling map[string]string
}

func newSimulation() *simulation {
	return &simulation{sources: map[*policy.Policy]*simSource{}}
}

func (sim *simulation) add(list *[]*policy.Policy, p *policy.Policy, id, typ, text string) {
	*list = append(*list, p)
	if _, ok := sim.sources[p]; !ok {
		sim.sources[p] = &simSource{id: id, typ: typ, text: text}
	}
}

// addInput compiles input documents; one that does not parse is
// InvalidInput with the engine's message.
func (sim *simulation) addInput(list *[]*policy.Policy, docs []string, param string) error {
	for i, doc := range docs {
		id := param + "." + strconv.Itoa(i+1)
		p, err := loadInputPolicy(id, doc)
		if err != nil {
			return err
		}
		sim.add(list, p, id, SourceNone, doc)
	}
	return nil
}

func loadInputPolicy(id, doc string) (*policy.Policy, error) {
	p, err := policy.Load(id, []byte(doc))
	if err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return nil, invalidInput("%s", pe.Error())
		}
		return nil, invalidInput("%s", err.Error())
	}
	return p, nil
}

// SimulatePrincipalPolicy simulates the policies of a user (with its
// groups'), group or role, plus PolicyInputList, on every action and
// resource of in.
func (s *Service) SimulatePrincipalPolicy(ctx context.Context, in SimulateInput) (*SimulateOutput, error) {
	sim := newSimulation()
	err := s.view(ctx, func(tx store.Tx) error {
		src, err := s.policySource(tx, in.PolicySourceARN)
		if err != nil {
			return err
		}
		sim.caller = src.caller
		for _, d := range src.identity {
			p, err := s.sourcePolicy(d)
			if err != nil {
				return err
			}
			sim.add(&sim.set.Identity, p, d.id, d.typ, d.text)
		}
		if src.boundary != nil && len(in.PermissionsBoundaryPolicyInputList) == 0 {
			p, err := s.sourcePolicy(*src.boundary)
			if err != nil {
				return err
			}
			sim.add(&sim.set.Boundary, p, src.boundary.id, src.boundary.typ, src.boundary.text)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.simulate(sim, in)
}

// SimulateCustomPolicy simulates PolicyInputList alone (with the boundary
// and resource policy of in) on every action and resource of in.
func (s *Service) SimulateCustomPolicy(ctx context.Context, in SimulateInput) (*SimulateOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sim := newSimulation()
	sim.caller = policy.Caller{Kind: policy.Unspecified}
	return s.simulate(sim, in)
}

func (s *Service) simulate(sim *simulation, in SimulateInput) (*SimulateOutput, error) {
	if err := sim.addInput(&sim.set.Identity, in.PolicyInputList, "PolicyInputList"); err != nil {
		return nil, err
	}
	if err := sim.addInput(&sim.set.Boundary, in.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList"); err != nil {
		return nil, err
	}
	if in.CallerARN != "" {
		c, err := s.simulatedCaller(in.CallerARN)
		if err != nil {
			return nil, err
		}
		sim.caller = c
	}
	if in.ResourcePolicy != "" {
		if sim.caller.Kind == policy.Unspecified {
			return nil, invalidInput("CallerArn must be specified when a ResourcePolicy is provided.")
		}
		p, err := loadInputPolicy("ResourcePolicy", in.ResourcePolicy)
		if err != nil {
			return nil, err
		}
		if err := p.AsResourcePolicy(); err != nil {
			return nil, invalidInput("ResourcePolicy: %s", err.Error())
		}
		sim.set.Resource = p
		sim.sources[p] = &simSource{id: "ResourcePolicy", typ: SourceResource, text: in.ResourcePolicy}
	}
	reqCtx := policy.NewContext()
	for _, e := range in.ContextEntries {
		reqCtx.Set(e.Key, e.Values...)
	}
	// MissingContextValues names only keys of identity-based and
	// resource-based policies (IAM API Reference, EvaluationResult), spelled
	// as the policies spell them.
	keySet := &policy.Set{Identity: sim.set.Identity, Resource: sim.set.Resource}
	var texts []string
	for _, p := range keySet.Identity {
		texts = append(texts, sim.sources[p].text)
	}
	if p := keySet.Resource; p != nil {
		texts = append(texts, sim.sources[p].text)
	}
	keys, _ := contextKeys(texts, nil)
	sim.spelling = map[string]string{}
	for _, k := range keys {
		sim.spelling[strings.ToLower(k)] = k
	}

	resources, named := in.ResourceARNs, len(in.ResourceARNs) > 0
	if !named {
		resources = []string{"*"}
	}
	var results []EvalResult
	for _, action := range in.ActionNames {
		for _, res := range resources {
			req := &policy.Request{Caller: sim.caller, Action: action, Resource: res, Context: reqCtx}
			rr := sim.evaluate(req, keySet)
			er := EvalResult{
				ActionName: action, ResourceName: res, Decision: rr.Decision, MatchedStatements: rr.MatchedStatements,
				MissingContextValues: rr.MissingContextValues, PermissionsBoundaryDecisionDetail: rr.PermissionsBoundaryDecisionDetail,
			}
			if named {
				er.MissingContextValues = []string{}
				er.ResourceSpecificResults = []ResourceResult{rr}
			}
			results = append(results, er)
		}
	}
	page, marker, truncated, err := paginate(results, in.Page)
	if err != nil {
		return nil, err
	}
	return &SimulateOutput{Results: page, Marker: marker, Truncated: truncated}, nil
}

// evaluate decides one request and words it as a ResourceResult.
func (sim *simulation) evaluate(req *policy.Request, keySet *policy.Set) ResourceResult {
	e := sim.set.Explain(req)
	rr := ResourceResult{ResourceName: req.Resource, MatchedStatements: []MatchedStatement{}, MissingContextValues: []string{}}
	var want policy.Effect
	switch e.Outcome {
	case policy.Allowed:
		rr.Decision, want = DecisionAllowed, policy.Allow
	case policy.ExplicitDeny:
		rr.Decision, want = DecisionExplicitDeny, policy.Deny
	default:
		rr.Decision = DecisionImplicitDeny
	}
	// Only statements that contributed to the decision are listed, and only
	// from identity-based and resource-based policies: for an explicit deny
	// the denying statements, for an allow the allowing ones, for an
	// implicit deny none (IAM API Reference, EvaluationResult:
	// MatchedStatements).
	type seenKey struct {
		p *policy.Policy
		i int
	}
	seen := map[seenKey]bool{}
	boundaryAllow, boundaryDeny := false, false
	for _, m := range e.Matched {
		ref := m.Statement
		if m.Type == policy.PermissionsBoundary {
			boundaryAllow = boundaryAllow || ref.Effect == policy.Allow
			boundaryDeny = boundaryDeny || ref.Effect == policy.Deny
			continue
		}
		if want == "" || ref.Effect != want || (m.Type != policy.IdentityBased && m.Type != policy.ResourceBased) {
			continue
		}
		k := seenKey{ref.Policy, ref.Index}
		if seen[k] {
			continue
		}
		seen[k] = true
		rr.MatchedStatements = append(rr.MatchedStatements, sim.matched(ref))
	}
	if len(sim.set.Boundary) > 0 {
		rr.PermissionsBoundaryDecisionDetail = &BoundaryDecision{AllowedByPermissionsBoundary: boundaryAllow && !boundaryDeny}
	}
	seenKeys := map[string]bool{}
	for _, k := range keySet.Explain(req).MissingValues {
		lk := strings.ToLower(k)
		if seenKeys[lk] {
			continue
		}
		seenKeys[lk] = true
		if w, ok := sim.spelling[lk]; ok {
			k = w
		}
		rr.MissingContextValues = append(rr.MissingContextValues, k)
	}
	return rr
}

// matched locates a statement in its document.
func (sim *simulation) matched(ref *policy.StatementRef) MatchedStatement {
	src := sim.sources[ref.Policy]
	if src == nil {
		return MatchedStatement{SourcePolicyID: ref.Policy.Name, SourcePolicyType: SourceNone}
	}
	if !src.scanned {
		src.spans, src.scanned = statementSpans(src.text), true
	}
	m := MatchedStatement{SourcePolicyID: src.id, SourcePolicyType: src.typ}
	if ref.Index < len(src.spans) {
		sp := src.spans[ref.Index]
		m.StartPosition, m.EndPosition = positionAfter(src.text, sp.open), positionAfter(src.text, sp.close)
	}
	return m
}

// sourceDoc is one stored policy of a simulated entity.
type sourceDoc struct {
	id, typ string
	text    string
	name    string // compile cache name (as the Authorizer names it)
	builtin *policy.Policy
}

// principalSource is the policies of a simulated user, group or role.
type principalSource struct {
	caller   policy.Caller
	identity []sourceDoc
	boundary *sourceDoc
}

func (s *Service) sourcePolicy(d sourceDoc) (*policy.Policy, error) {
	if d.builtin != nil {
		return d.builtin, nil
	}
	return s.compile(d.name, d.text)
}

// policySource gathers the identity policies and boundary of the user,
// group or role sourceARN names, in the order of the IAM console: inline
// policies by name, then attached policies in attachment order; a user's
// own before its groups'.
func (s *Service) policySource(tx store.Tx, sourceARN string) (*principalSource, error) {
	kind, name, ok := s.entityOf(sourceARN)
	if !ok {
		return nil, invalidInput("ARN %s is not valid.", sourceARN)
	}
	src := &principalSource{}
	inline := func(owner, typ string, docs map[string]string) {
		for _, n := range sortedKeys(docs) {
			src.identity = append(src.identity, sourceDoc{id: n, typ: typ, text: docs[n], name: owner + " inline policy " + n})
		}
	}
	managed := func(arns []string) error {
		for _, a := range arns {
			d, ok, err := s.managedSource(tx, a)
			if err != nil {
				return err
			}
			if ok {
				src.identity = append(src.identity, d)
			}
		}
		return nil
	}
	boundary := func(a string) error {
		if a == "" {
			return nil
		}
		d, ok, err := s.managedSource(tx, a)
		if err != nil || !ok {
			return err
		}
		src.boundary = &d
		return nil
	}
	mismatch := func(have string) error {
		if have != sourceARN {
			return noSuchEntity("The %s with name %s cannot be found.", kind, name)
		}
		return nil
	}
	switch kind {
	case "user":
		u, err := loadHolder[User](tx, userHolder, name)
		if err != nil {
			return nil, err
		}
		if err := mismatch(u.ARN); err != nil {
			return nil, err
		}
		src.caller = s.userCaller(u.ARN, u.Name)
		inline("user "+u.Name, SourceUser, u.InlinePolicies)
		if err := managed(u.AttachedPolicies); err != nil {
			return nil, err
		}
		for _, gname := range u.Groups {
			g, found, err := get[Group](tx, kindGroup, nameKey(gname))
			if err != nil {
				return nil, err
			}
			if !found {
				continue
			}
			inline("group "+g.Name, SourceGroup, g.InlinePolicies)
			if err := managed(g.AttachedPolicies); err != nil {
				return nil, err
			}
		}
		if err := boundary(u.Boundary); err != nil {
			return nil, err
		}
	case "group":
		g, err := loadHolder[Group](tx, groupHolder, name)
		if err != nil {
			return nil, err
		}
		if err := mismatch(g.ARN); err != nil {
			return nil, err
		}
		src.caller = policy.Caller{Kind: policy.Unspecified}
		inline("group "+g.Name, SourceGroup, g.InlinePolicies)
		if err := managed(g.AttachedPolicies); err != nil {
			return nil, err
		}
	case "role":
		r, err := loadHolder[Role](tx, roleHolder, name)
		if err != nil {
			return nil, err
		}
		if err := mismatch(r.ARN); err != nil {
			return nil, err
		}
		src.caller = s.roleCaller(r.ARN, r.Name)
		inline("role "+r.Name, SourceRole, r.InlinePolicies)
		if err := managed(r.AttachedPolicies); err != nil {
			return nil, err
		}
		if err := boundary(r.Boundary); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// managedSource reads the default version of a managed policy; ok is false
// when it no longer exists.
func (s *Service) managedSource(tx store.Tx, policyARN string) (sourceDoc, bool, error) {
	if strings.HasPrefix(policyARN, "arn:aws:iam::aws:policy/") {
		m, ok := policy.Builtin(policyARN)
		if !ok {
			return sourceDoc{}, false, nil
		}
		return sourceDoc{id: m.ARN, typ: SourceAWSManaged, text: m.Document, builtin: m.Policy}, true, nil
	}
	mp, found, err := get[ManagedPolicy](tx, kindPolicy, policyARN)
	if err != nil || !found {
		return sourceDoc{}, false, err
	}
	typ := SourceUserManaged
	if mp.AWS {
		typ = SourceAWSManaged
	}
	return sourceDoc{id: mp.ARN, typ: typ, text: mp.Default(), name: mp.ARN}, true, nil
}

// entityOf reads a user, group or role ARN of this account.
func (s *Service) entityOf(entityARN string) (kind, name string, ok bool) {
	a, err := arn.Parse(entityARN)
	if err != nil || a.Service != "iam" || a.Partition != s.partition || a.AccountID != s.account {
		return "", "", false
	}
	kind, _, _ = strings.Cut(a.Resource, "/")
	switch kind {
	case "user", "group", "role":
	default:
		return "", "", false
	}
	name = a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	return kind, name, name != ""
}

func (s *Service) userCaller(userARN, name string) policy.Caller {
	return policy.Caller{ARN: userARN, Kind: policy.User, Partition: s.partition, Account: s.account, Name: name}
}

// roleCaller simulates a role as a session of it, which is how a role
// makes requests.
func (s *Service) roleCaller(roleARN, name string) policy.Caller {
	return policy.Caller{
		ARN: roleARN, Kind: policy.AssumedRole, Partition: s.partition, Account: s.account, Name: name,
		Session: "simulated", RoleARN: "arn:" + s.partition + ":iam::" + s.account + ":role/" + name,
	}
}

// simulatedCaller reads CallerArn: a user, group or role ARN, not an
// assumed role, federated user or service (IAM API Reference,
// SimulatePrincipalPolicy: CallerArn).
func (s *Service) simulatedCaller(callerARN string) (policy.Caller, error) {
	kind, name, ok := s.entityOf(callerARN)
	if !ok {
		return policy.Caller{}, invalidInput("Invalid CallerArn %s: it must be the ARN of an IAM user, group or role.", callerARN)
	}
	switch kind {
	case "user":
		return s.userCaller(callerARN, name), nil
	case "role":
		return s.roleCaller(callerARN, name), nil
	}
	return policy.Caller{Kind: policy.Unspecified}, nil
}

// GetContextKeysForPrincipalPolicy lists the context keys that the
// identity policies of a user (with its groups'), group or role and
// extraDocs use, in order of appearance, each once.
func (s *Service) GetContextKeysForPrincipalPolicy(ctx context.Context, entityARN string, extraDocs []string) ([]string, error) {
	var docs []string
	err := s.view(ctx, func(tx store.Tx) error {
		src, err := s.policySource(tx, entityARN)
		if err != nil {
			return err
		}
		for _, d := range src.identity {
			docs = append(docs, d.text)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return contextKeys(docs, extraDocs)
}

// GetContextKeysForCustomPolicy lists the context keys that docs use — in
// Condition blocks and as policy variables — in order of appearance, each
// once.
func (s *Service) GetContextKeysForCustomPolicy(docs []string) ([]string, error) {
	return contextKeys(nil, docs)
}

// contextKeys lists the keys of stored documents (already valid) and of
// input documents (InvalidInput when they do not parse).
func contextKeys(stored, input []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	addKey := func(k string) {
		if lk := strings.ToLower(k); !seen[lk] {
			seen[lk] = true
			out = append(out, k)
		}
	}
	add := func(d *policy.Document) {
		vars := d.UsesVariables()
		addVars := func(values []string) {
			if !vars {
				return
			}
			for _, v := range values {
				for _, k := range variableKeys(v) {
					addKey(k)
				}
			}
		}
		for _, st := range d.Statements {
			addVars(st.Resource)
			addVars(st.NotResource)
			for _, op := range st.Condition {
				for _, k := range op.Keys {
					addKey(k.Key)
					addVars(k.Values)
				}
			}
		}
	}
	for _, doc := range stored {
		if d, err := policy.Parse([]byte(doc)); err == nil {
			add(d)
		}
	}
	for i, doc := range input {
		p, err := loadInputPolicy("PolicyInputList."+strconv.Itoa(i+1), doc)
		if err != nil {
			return nil, err
		}
		add(p.Doc)
	}
	return out, nil
}

// variableKeys returns the keys of the policy variables in s, as written:
// ${key} and ${key, 'default'}; ${*}, ${?} and ${$} are characters, not
// keys (IAM User Guide, "IAM policy elements: Variables and tags").
func variableKeys(s string) []string {
	var keys []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return keys
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return keys
		}
		body := s[i+2 : i+2+end]
		s = s[i+2+end+1:]
		switch body {
		case "*", "?", "$":
			continue
		}
		key, _, _ := strings.Cut(body, ",")
		key = strings.TrimSpace(key)
		if key != "" && !strings.ContainsAny(key, " ${}'") {
			keys = append(keys, key)
		}
	}
}

// jsonSpan is the byte offsets of a statement's opening and closing braces.
type jsonSpan struct{ open, close int }

// positionAfter is the position AWS reports for the brace at byte offset
// off: the 1-based line, and the 1-based column of the character after it.
// The AWS CLI's simulate-custom-policy example shows it: the statement of
// {"Version":"2012-10-17","Statement":{...}} starts at column 38, its "{"
// being the 37th character, and ends at the document's length, 167, its
// "}" being the 166th.
func positionAfter(doc string, off int) Position {
	line := int32(1 + strings.Count(doc[:off], "\n"))
	start := strings.LastIndexByte(doc[:off], '\n') + 1
	return Position{Line: line, Column: int32(utf8.RuneCountInString(doc[start:off]) + 2)}
}

// statementSpans finds the braces of each statement of a document, in
// order: the Statement object, or each object of the Statement array. It
// returns nil for a document it cannot read (positions are then left
// zero).
func statementSpans(doc string) []jsonSpan {
	sc := jsonScanner{s: doc}
	sc.space()
	if !sc.at('{') {
		return nil
	}
	sc.i++
	for {
		sc.space()
		key, ok := sc.str()
		if !ok {
			return nil
		}
		sc.space()
		if !sc.at(':') {
			return nil
		}
		sc.i++
		sc.space()
		if key == "Statement" {
			return sc.statements()
		}
		if _, _, ok := sc.skip(); !ok {
			return nil
		}
		sc.space()
		if !sc.at(',') {
			return nil
		}
		sc.i++
	}
}

// jsonScanner walks a JSON text that is known to be valid, keeping offsets.
type jsonScanner struct {
	s string
	i int
}

func (sc *jsonScanner) at(c byte) bool { return sc.i < len(sc.s) && sc.s[sc.i] == c }

func (sc *jsonScanner) space() {
	for sc.i < len(sc.s) && strings.IndexByte(" \t\r\n", sc.s[sc.i]) >= 0 {
		sc.i++
	}
}

func (sc *jsonScanner) statements() []jsonSpan {
	if sc.at('{') {
		open, close, ok := sc.skip()
		if !ok {
			return nil
		}
		return []jsonSpan{{open, close}}
	}
	if !sc.at('[') {
		return nil
	}
	sc.i++
	var out []jsonSpan
	for {
		sc.space()
		if sc.at(']') {
			return out
		}
		open, close, ok := sc.skip()
		if !ok {
			return nil
		}
		out = append(out, jsonSpan{open, close})
		sc.space()
		if sc.at(',') {
			sc.i++
		}
	}
}

// str reads a string and returns it decoded.
func (sc *jsonScanner) str() (string, bool) {
	start, end, ok := sc.skipString()
	if !ok {
		return "", false
	}
	var v string
	if json.Unmarshal([]byte(sc.s[start:end+1]), &v) != nil {
		return "", false
	}
	return v, true
}

func (sc *jsonScanner) skipString() (start, end int, ok bool) {
	if !sc.at('"') {
		return 0, 0, false
	}
	start = sc.i
	for sc.i++; sc.i < len(sc.s); sc.i++ {
		switch sc.s[sc.i] {
		case '\\':
			sc.i++
		case '"':
			end = sc.i
			sc.i++
			return start, end, true
		}
	}
	return 0, 0, false
}

// skip passes over one value and returns the offsets of its first and last
// bytes.
func (sc *jsonScanner) skip() (start, end int, ok bool) {
	if sc.i >= len(sc.s) {
		return 0, 0, false
	}
	start = sc.i
	switch sc.s[sc.i] {
	case '"':
		return sc.skipString()
	case '{', '[':
		depth := 0
		for sc.i < len(sc.s) {
			switch sc.s[sc.i] {
			case '"':
				if _, _, ok := sc.skipString(); !ok {
					return 0, 0, false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					end = sc.i
					sc.i++
					return start, end, true
				}
			}
			sc.i++
		}
		return 0, 0, false
	}
	for sc.i < len(sc.s) && strings.IndexByte(",]} \t\r\n", sc.s[sc.i]) < 0 {
		sc.i++
	}
	return start, sc.i - 1, sc.i > start
}
