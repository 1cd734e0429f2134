package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"batchd/internal/batch"
	"batchd/internal/iam"
	"batchd/internal/iam/policy"
	"batchd/internal/server"
	"batchd/internal/store/memstore"
)

func policyMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, policyUsage)
		return 2
	}
	switch args[0] {
	case "validate":
		return policyValidate(args[1:], stdout, stderr)
	case "simulate":
		return policySimulate(args[1:], stdout, stderr)
	case "eval":
		fs := flag.NewFlagSet("batchd policy eval", flag.ContinueOnError)
		if ok, code := parseFlags(fs, "batchd policy eval < cases.jsonl > decisions.jsonl", policyEvalNotes, args[1:], stdout, stderr); !ok {
			return code
		}
		if err := policy.NewEvaluator().Stream(ctx, stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "batchd policy eval: %v\n", err)
			return 1
		}
		return 0
	case "builtins":
		fs := flag.NewFlagSet("batchd policy builtins", flag.ContinueOnError)
		if ok, code := parseFlags(fs, "batchd policy builtins", "Lists the built-in AWS managed policies, usable as aws:NAME.", args[1:], stdout, stderr); !ok {
			return code
		}
		for _, m := range policy.Builtins() {
			fmt.Fprintf(stdout, "%-40s %s\n", "aws:"+m.Name, m.ARN)
		}
		return 0
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, policyUsage)
		return 0
	}
	fmt.Fprintf(stderr, "batchd policy: unknown subcommand %q\n\n%s", args[0], policyUsage)
	return 2
}

const policyUsage = `Usage:
  batchd policy validate [--kind KIND] [--json] FILE...
  batchd policy simulate --policy FILE|aws:NAME... --action A --resource R [flags]
  batchd policy simulate --policy FILE|aws:NAME... --request OPERATION --input JSON [flags]
  batchd policy eval  < cases.jsonl > decisions.jsonl
  batchd policy builtins

Run "batchd policy SUBCOMMAND --help" for the flags of each. The policy
commands read no environment variables: every value is a flag.
`

const policyEvalNotes = `Reads evaluation cases, one JSON object a line, and writes a decision for
each, one JSON object a line, in order.`

const policyNoEnv = "The policy commands read no environment variables: every value is a flag."

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func policyValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batchd policy validate", flag.ContinueOnError)
	kind := fs.String("kind", "managed", "where the policy is used: managed, inline-user, inline-group, inline-role, boundary, session, resource, trust")
	asJSON := fs.Bool("json", false, "print findings as JSON")
	if ok, code := parseFlags(fs, "batchd policy validate [--kind KIND] [--json] FILE...", "Validates policy documents (FILE, or a built-in aws:NAME) as IAM Access Analyzer does; exit 1 on an error finding.\n"+policyNoEnv, args, stdout, stderr); !ok {
		return code
	}
	k, err := policy.ParseDocKind(*kind)
	if err != nil {
		fmt.Fprintf(stderr, "batchd policy validate: %v\n", err)
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "batchd policy validate: name at least one policy FILE (or aws:NAME)")
		return 2
	}
	type fileFindings struct {
		File     string           `json:"file"`
		Findings []policy.Finding `json:"findings"`
	}
	var all []fileFindings
	failed := false
	for _, name := range fs.Args() {
		data, err := readPolicy(name)
		if err != nil {
			fmt.Fprintf(stderr, "batchd policy validate: %v\n", err)
			return 1
		}
		fsn := policy.Validate(data, k)
		if fsn == nil {
			fsn = []policy.Finding{}
		}
		failed = failed || policy.HasErrors(fsn)
		all = append(all, fileFindings{name, fsn})
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(all)
	} else {
		for _, f := range all {
			if len(f.Findings) == 0 {
				fmt.Fprintf(stdout, "%s: no findings\n", f.File)
				continue
			}
			for _, x := range f.Findings {
				fmt.Fprintf(stdout, "%s: %s %s at %s: %s\n", f.File, x.Severity, x.Code, x.Path, x.Message)
			}
		}
	}
	if failed {
		return 1
	}
	return 0
}

// readPolicy reads a policy file, or a built-in managed policy named
// aws:NAME.
func readPolicy(name string) ([]byte, error) {
	if isBuiltinName(name) {
		m, ok := policy.Builtin(name)
		if !ok {
			return nil, fmt.Errorf("%s: no such built-in managed policy (see: batchd policy builtins)", name)
		}
		return []byte(m.Document), nil
	}
	return os.ReadFile(name)
}

func isBuiltinName(name string) bool {
	return strings.HasPrefix(name, "aws:") || strings.HasPrefix(name, "arn:aws:iam::aws:policy/")
}

// loadPolicy compiles a policy file, or returns a built-in managed policy.
func loadPolicy(name string) (*policy.Policy, error) {
	if isBuiltinName(name) {
		m, ok := policy.Builtin(name)
		if !ok {
			return nil, fmt.Errorf("%s: no such built-in managed policy (see: batchd policy builtins)", name)
		}
		return m.Policy, nil
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	p, err := policy.Load(name, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

func policySimulate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("batchd policy simulate", flag.ContinueOnError)
	var policies, boundaries, sessions, ctxArgs listFlag
	fs.Var(&policies, "policy", "identity-based policy FILE or built-in aws:NAME (repeatable)")
	fs.Var(&boundaries, "boundary", "permissions boundary FILE or aws:NAME")
	fs.Var(&sessions, "session-policy", "session policy FILE or aws:NAME (repeatable)")
	resourcePolicy := fs.String("resource-policy", "", "resource-based policy FILE")
	action := fs.String("action", "", "action, e.g. batch:SubmitJob (required)")
	resource := fs.String("resource", "", "resource ARN, or * (required)")
	principal := fs.String("principal", "", "caller ARN: user, assumed-role session, federated user or account root")
	fs.Var(&ctxArgs, "context", "context key=value (repeat a key for a multivalued key)")
	asJSON := fs.Bool("json", false, "print the decision as JSON")
	operation := fs.String("request", "", "simulate a whole Batch API request, e.g. SubmitJob: every check the server makes for it (with --input)")
	input := fs.String("input", "", "the request's input as JSON, as the API takes it, or @FILE (with --request)")
	var tagArgs listFlag
	fs.Var(&tagArgs, "resource-tag", "ARN=KEY=VALUE: a tag of a resource the request touches (repeatable; with --request)")
	region := fs.String("region", "us-east-1", "the region of the request's resources (with --request)")
	account := fs.String("account", "", "the account of the request's resources (with --request; default: the principal's)")
	synopsis := "batchd policy simulate --policy FILE|aws:NAME... --action A --resource R [flags]\n  batchd policy simulate --policy FILE|aws:NAME... --request OPERATION --input JSON [flags]"
	if ok, code := parseFlags(fs, synopsis, "Evaluates a request against policies as AWS does and explains the decision.\n"+policyNoEnv, args, stdout, stderr); !ok {
		return code
	}
	policies = append(policies, fs.Args()...)
	if *operation == "" && (*action == "" || *resource == "") {
		fmt.Fprintln(stderr, "batchd policy simulate: --action and --resource are required (or --request OPERATION with --input)")
		return 2
	}
	if *operation != "" && (*action != "" || *resource != "") {
		fmt.Fprintln(stderr, "batchd policy simulate: --request replaces --action and --resource")
		return 2
	}
	set := &policy.Set{}
	for _, group := range []struct {
		names []string
		dst   *[]*policy.Policy
	}{{policies, &set.Identity}, {boundaries, &set.Boundary}, {sessions, &set.Session}} {
		for _, n := range group.names {
			p, err := loadPolicy(n)
			if err != nil {
				fmt.Fprintf(stderr, "batchd policy simulate: %v\n", err)
				return 1
			}
			*group.dst = append(*group.dst, p)
		}
	}
	if *resourcePolicy != "" {
		p, err := loadPolicy(*resourcePolicy)
		if err == nil {
			err = p.AsResourcePolicy()
		}
		if err != nil {
			fmt.Fprintf(stderr, "batchd policy simulate: %s: %v\n", *resourcePolicy, err)
			return 1
		}
		set.Resource = p
	}
	caller, err := policy.ParseCaller(*principal)
	if err != nil {
		fmt.Fprintf(stderr, "batchd policy simulate: --principal: %v\n", err)
		return 2
	}
	ctx := policy.NewContext()
	multi := map[string][]string{}
	var order []string
	for _, kv := range ctxArgs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			fmt.Fprintf(stderr, "batchd policy simulate: --context %q: want key=value\n", kv)
			return 2
		}
		if _, seen := multi[k]; !seen {
			order = append(order, k)
		}
		multi[k] = append(multi[k], v)
	}
	for _, k := range order {
		ctx.Set(k, multi[k]...)
	}
	if *operation != "" {
		acct := *account
		if acct == "" {
			acct = caller.Account
		}
		if acct == "" {
			fmt.Fprintln(stderr, "batchd policy simulate: --request needs --principal or --account")
			return 2
		}
		tags, err := parseResourceTags(tagArgs)
		if err != nil {
			fmt.Fprintf(stderr, "batchd policy simulate: %v\n", err)
			return 2
		}
		body := []byte(*input)
		if name, ok := strings.CutPrefix(*input, "@"); ok {
			if body, err = os.ReadFile(name); err != nil {
				fmt.Fprintf(stderr, "batchd policy simulate: %v\n", err)
				return 1
			}
		}
		if !ctx.Has("aws:RequestedRegion") {
			ctx.Set("aws:RequestedRegion", *region)
		}
		caller.FillContext(ctx)
		return simulateRequest(set, caller, ctx, *operation, body, tags, acct, *region, *asJSON, stdout, stderr)
	}
	caller.FillContext(ctx)
	req := &policy.Request{Caller: caller, Action: *action, Resource: *resource, Context: ctx}
	e := set.Explain(req)
	if *asJSON {
		type match struct {
			PolicyType string `json:"policyType"`
			Policy     string `json:"policy"`
			Statement  int    `json:"statementIndex"`
			Sid        string `json:"sid,omitempty"`
			Effect     string `json:"effect"`
		}
		out := struct {
			Decision      policy.Outcome `json:"decision"`
			Reasons       []string       `json:"reasons"`
			Message       string         `json:"message,omitempty"`
			Matched       []match        `json:"matchedStatements"`
			MissingValues []string       `json:"missingContextValues"`
		}{Decision: e.Outcome, Reasons: e.Reasons(), Message: e.Message(req), Matched: []match{}, MissingValues: e.MissingValues}
		if out.MissingValues == nil {
			out.MissingValues = []string{}
		}
		for _, m := range e.Matched {
			out.Matched = append(out.Matched, match{m.Type.String(), m.Statement.Policy.Name, m.Statement.Index, m.Statement.Sid, string(m.Statement.Effect)})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "Decision: %s\n", e.Outcome)
	for _, r := range e.Reasons() {
		fmt.Fprintf(stdout, "  - %s\n", r)
	}
	if msg := e.Message(req); msg != "" {
		fmt.Fprintf(stdout, "AccessDenied: %s\n", msg)
	}
	if len(e.Matched) > 0 {
		fmt.Fprintln(stdout, "Matching statements:")
		for _, m := range e.Matched {
			fmt.Fprintf(stdout, "  - %s %s (%s)\n", m.Statement.Effect, m.Statement, m.Type)
		}
	}
	if len(e.MissingValues) > 0 {
		fmt.Fprintf(stdout, "Context keys the policies ask for but the request lacks: %s\n", strings.Join(e.MissingValues, ", "))
	}
	return 0
}

// parseResourceTags reads --resource-tag ARN=KEY=VALUE flags.
func parseResourceTags(args []string) (map[string]map[string]string, error) {
	tags := map[string]map[string]string{}
	for _, a := range args {
		arn, kv, ok := strings.Cut(a, "=")
		k, v, ok2 := strings.Cut(kv, "=")
		if !ok || !ok2 || !strings.HasPrefix(arn, "arn:") || k == "" {
			return nil, fmt.Errorf("--resource-tag %q: want ARN=KEY=VALUE", a)
		}
		if tags[arn] == nil {
			tags[arn] = map[string]string{}
		}
		tags[arn][k] = v
	}
	return tags, nil
}

// simulateRequest authorizes a whole Batch request through the server's own
// authorization code (server.Simulate) with the given policies, and prints
// every check it makes and the one that denies.
func simulateRequest(set *policy.Set, caller policy.Caller, base *policy.Context, operation string, input []byte, tags map[string]map[string]string, account, region string, asJSON bool, stdout, stderr io.Writer) int {
	decide := func(chk iam.Check) (*iam.Verdict, error) {
		ctx := base.Clone()
		for k, v := range chk.Keys {
			ctx.Set(k, v...)
		}
		req := &policy.Request{Caller: caller, Action: chk.Action, Resource: chk.Resource, Context: ctx}
		return &iam.Verdict{Decision: set.Evaluate(req), Request: req}, nil
	}
	// A server over an empty store: the request's resources are taken to
	// exist as it names them, with the tags given.
	st := memstore.New()
	srv := server.New(server.Config{
		IAM:    iam.New(iam.Config{Store: st, AccountID: account, Region: region}),
		Batch:  batch.New(batch.Config{Store: st, AccountID: account, Region: region}),
		Region: region,
	})
	steps, err := srv.Simulate(context.Background(), server.SimulateRequest{Operation: operation, Input: input, Decide: decide, Tags: tags})
	if err != nil {
		fmt.Fprintf(stderr, "batchd policy simulate: %v\n", err)
		return 1
	}
	decision, denied := policy.Allowed, -1
	for i := range steps {
		if steps[i].Denies() {
			decision, denied = steps[i].Verdict.Outcome, i
			break
		}
	}
	if asJSON {
		type step struct {
			Action       string              `json:"action"`
			Resource     string              `json:"resource"`
			Keys         map[string][]string `json:"contextKeys,omitempty"`
			Decision     policy.Outcome      `json:"decision"`
			ExplicitOnly bool                `json:"explicitDenyOnly,omitempty"`
			Reasons      []string            `json:"reasons"`
		}
		out := struct {
			Operation string         `json:"operation"`
			Decision  policy.Outcome `json:"decision"`
			DeniedBy  *int           `json:"deniedByStep,omitempty"`
			Message   string         `json:"message,omitempty"`
			Steps     []step         `json:"steps"`
		}{Operation: operation, Decision: decision, Steps: []step{}}
		if denied >= 0 {
			out.DeniedBy = &denied
			v := steps[denied].Verdict
			out.Message = v.Message(v.Request)
		}
		for _, s := range steps {
			out.Steps = append(out.Steps, step{s.Action, s.Resource, s.Keys, s.Verdict.Outcome, s.ExplicitOnly, s.Verdict.Reasons()})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "Decision: %s\n", decision)
	for i, s := range steps {
		mark := "  "
		if i == denied {
			mark = "->"
		}
		note := ""
		if s.ExplicitOnly {
			note = " (only an explicit Deny refuses; no Allow is needed)"
		}
		fmt.Fprintf(stdout, "%s %d. %s on %s: %s%s\n", mark, i+1, s.Action, s.Resource, s.Verdict.Outcome, note)
		if len(s.Keys) > 0 {
			var kv []string
			for k, v := range s.Keys {
				kv = append(kv, k+"="+strings.Join(v, ","))
			}
			sort.Strings(kv)
			fmt.Fprintf(stdout, "       with %s\n", strings.Join(kv, " "))
		}
		for _, r := range s.Verdict.Reasons() {
			fmt.Fprintf(stdout, "       - %s\n", r)
		}
	}
	if denied >= 0 {
		v := steps[denied].Verdict
		fmt.Fprintf(stdout, "AccessDeniedException: %s\n", v.Message(v.Request))
	}
	return 0
}
