package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/chromedp"
)

// chromium finds a Chromium or Chrome to drive: BATCHD_CHROMIUM, else the
// first of the usual names on PATH. Without one the browser tests skip,
// except under CI=true, where they fail.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("BATCHD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found (install Debian's chromium, or set BATCHD_CHROMIUM)")
	}
	t.Skip("no Chromium found (install Debian's chromium, or set BATCHD_CHROMIUM)")
	return ""
}

// browser starts a headless Chromium with a profile of its own.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		// The tests run as root in CI, where Chromium's own sandbox
		// cannot start.
		chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-gpu", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// The first action starts the browser, on a context without a
	// deadline: the browser lives as long as that context.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("starting Chromium: %v", err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	return tctx
}

// loginUser makes an IAM user with inline policies and a console password.
func loginUser(t *testing.T, admin *iam.Client, name, password string, policies ...string) {
	t.Helper()
	newUser(t, admin, name, policies...)
	if _, err := admin.CreateLoginProfile(context.Background(), &iam.CreateLoginProfileInput{
		UserName: aws.String(name), Password: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
}

// signIn fills and sends the sign-in form, then waits for the element
// then selects (#signed-in-as once signed in).
func signIn(ctx context.Context, base, user, password, then string) error {
	return chromedp.Do(ctx,
		chromedp.Navigate(base+"/console/"),
		chromedp.WaitVisible(chromedp.CSS("#signin-form")),
		chromedp.SetValue(chromedp.CSS("#user"), user),
		chromedp.SetValue(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS(then)),
	)
}

const (
	consoleBatchUser = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["batch:*","logs:GetLogEvents","logs:DescribeLogStreams","iam:ChangePassword","sts:DecodeAuthorizationMessage"],"Resource":"*"}]}`
	consoleNoBatch = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["sts:DecodeAuthorizationMessage"],"Resource":"*"}]}`
)

// In a real browser: a user signs in, submits a job from a definition,
// watches it wait RUNNABLE behind a job that holds the host, then run to
// SUCCEEDED with its log; a user without Batch permissions sees AWS's
// denial and why, not the data; sign-out ends the session.
func TestConsoleInBrowser(t *testing.T) {
	ctx := browser(t)
	ts := startJobServer(t, func(c *Config) { c.HostVCPUs = 2 })
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	queue(t, c, "q", "ce", nil)
	admin := ts.iam(ts.Root)
	loginUser(t, admin, "alice", "Alice-console-1", consoleBatchUser)
	loginUser(t, admin, "bob", "Bob-console-1", consoleNoBatch)
	call(c.RegisterJobDefinition(context.Background(), shellDef("hello", `echo "hello from $WHO"`))).ok(t)
	blocker := shellDef("blocker", "sleep 60")
	blocker.ContainerProperties.ResourceRequirements[0].Value = aws.String("2")
	call(c.RegisterJobDefinition(context.Background(), blocker)).ok(t)
	held := call(c.SubmitJob(context.Background(), &batch.SubmitJobInput{JobName: aws.String("held"), JobQueue: aws.String("q"), JobDefinition: aws.String("blocker")})).ok(t)
	waitJob(t, c, aws.ToString(held.JobId), batchtypes.JobStatusRunning, 30*time.Second)

	// A wrong password is refused in AWS's words.
	if err := signIn(ctx, ts.URL, "alice", "not-her-password", "#error-message"); err != nil {
		t.Fatal(err)
	}
	var msg string
	msg = text(t, ctx, "#error-message")
	if !strings.Contains(msg, "Your authentication information is incorrect") {
		t.Fatalf("wrong password: %q", msg)
	}

	if err := signIn(ctx, ts.URL, "alice", "Alice-console-1", "#signed-in-as"); err != nil {
		t.Fatal(err)
	}
	var dash string
	dash = text(t, ctx, "#queues")
	if !strings.Contains(dash, "q") || !strings.Contains(dash, "ENABLED") {
		t.Fatalf("dashboard queues: %q", dash)
	}

	// Submit from the definition, with an environment override.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/console/submit?definition=hello"),
		chromedp.WaitVisible(chromedp.CSS("#submit-form")),
		chromedp.SetValue(chromedp.CSS("#jobName"), "from-console"),
		chromedp.SetValue(chromedp.CSS("#jobQueue"), "q"),
		chromedp.SetValue(chromedp.CSS("#environment"), "WHO=the console"),
		chromedp.Click(chromedp.CSS("#submit")),
		chromedp.WaitVisible(chromedp.CSS("#job-status")),
	); err != nil {
		t.Fatal(err)
	}
	var jobID string
	jobID = text(t, ctx, "#job-id")
	// It waits: the host's 2 vCPUs are held.
	seen := watchStatus(t, ctx, "RUNNABLE", 30*time.Second)
	if !slices.Contains(seen, "RUNNABLE") {
		t.Fatalf("statuses seen %v, want RUNNABLE", seen)
	}
	call(c.TerminateJob(context.Background(), &batch.TerminateJobInput{JobId: held.JobId, Reason: aws.String("make room")})).ok(t)
	seen = append(seen, watchStatus(t, ctx, "SUCCEEDED", 60*time.Second)...)
	if i, j := slices.Index(seen, "RUNNABLE"), slices.Index(seen, "SUCCEEDED"); i < 0 || j < i {
		t.Fatalf("statuses seen %v, want RUNNABLE then SUCCEEDED", seen)
	}
	// The page follows the log by itself.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var log string
		log = text(t, ctx, "#log")
		if strings.Contains(log, "hello from the console") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("log shown: %q", log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if j := describeJob(t, c, strings.TrimSpace(jobID)); j.Status != batchtypes.JobStatusSucceeded || aws.ToString(j.JobName) != "from-console" {
		t.Fatalf("the API says %s %s", aws.ToString(j.JobName), j.Status)
	}

	// Disable the queue from its page.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/console/queues/q"),
		chromedp.Click(chromedp.CSS("#disable-queue")),
		chromedp.WaitVisible(chromedp.CSS("#enable-queue")),
	); err != nil {
		t.Fatal(err)
	}
	out := call(c.DescribeJobQueues(context.Background(), &batch.DescribeJobQueuesInput{JobQueues: []string{"q"}})).ok(t)
	if out.JobQueues[0].State != batchtypes.JQStateDisabled {
		t.Fatalf("queue state %s, want DISABLED", out.JobQueues[0].State)
	}

	// Sign-out ends the session: the dashboard asks to sign in again.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#signout")),
		chromedp.WaitVisible(chromedp.CSS("#signin-form")),
		chromedp.Navigate(ts.URL+"/console/"),
		chromedp.WaitVisible(chromedp.CSS("#signin-form")),
	); err != nil {
		t.Fatal(err)
	}

	// Bob may not list queues: he sees the denial and why, not the data.
	if err := signIn(ctx, ts.URL, "bob", "Bob-console-1", "#signed-in-as"); err != nil {
		t.Fatal(err)
	}
	code, msg, why, body := text(t, ctx, "#error-code"), text(t, ctx, "#error-message"), text(t, ctx, "#error-why"), text(t, ctx, "main")
	if code != "AccessDeniedException" || !strings.Contains(msg, "is not authorized to perform: batch:DescribeJobQueues") ||
		!strings.Contains(msg, "user/bob") {
		t.Fatalf("bob's dashboard: %s: %s", code, msg)
	}
	if !strings.Contains(why, `"allowed": false`) || !strings.Contains(why, "batch:DescribeJobQueues") {
		t.Fatalf("why: %s", why)
	}
	if strings.Contains(body, "from-console") || regexp.MustCompile(`\bENABLED\b|\bDISABLED\b`).MatchString(body) {
		t.Fatalf("bob sees data: %s", body)
	}
}

// text is the visible text of the first element sel selects.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// watchStatus reads the job page's status (which its script updates)
// until it is want, and returns the statuses it saw, in order.
func watchStatus(t *testing.T, ctx context.Context, want string, limit time.Duration) []string {
	t.Helper()
	var seen []string
	deadline := time.Now().Add(limit)
	for {
		var s string
		s = text(t, ctx, "#job-status")
		if len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
		if s == want {
			return seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("job status %v after %v, want %s", seen, limit, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// consoleClient is a cookie-keeping HTTP client that does not follow
// redirects, for the console's HTTP-level checks.
func consoleClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var hiddenInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formToken GETs page and returns its form's CSRF token.
func formToken(t *testing.T, hc *http.Client, page string) string {
	t.Helper()
	code, body := getPage(t, hc, page)
	m := hiddenInput.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s (%d) has no CSRF token: %s", page, code, body)
	}
	return m[1]
}

func postForm(t *testing.T, hc *http.Client, page string, form url.Values, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, page, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// The console's locks, over plain HTTP: its cookies' attributes, forms
// without the session's CSRF token or from another origin refused, the
// root's sign-in with the password set from the command line, throttled
// failures, an open redirect refused, and every sign-in in the audit
// trail as ConsoleLogin without the password.
func TestConsoleSessionLocks(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "root-password")
	if err := os.WriteFile(pwFile, []byte("Root-Passw0rd!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startJobServer(t, func(c *Config) { c.RootPasswordFile = pwFile })
	base := ts.URL + "/console"
	admin := ts.iam(ts.Root)
	loginUser(t, admin, "carol", "Carol-console-1", consoleBatchUser)

	hc := consoleClient(t)
	// Unauthenticated pages send the browser to sign in.
	res, err := hc.Get(base + "/queues/q")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/console/signin?next=") {
		t.Fatalf("signed out: %d %s", res.StatusCode, loc)
	}
	// A sign-in without the form's token is refused.
	res, _ = postForm(t, hc, base+"/signin", url.Values{"account": {"123456789012"}, "user": {"carol"}, "password": {"Carol-console-1"}}, nil)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without a token: %d", res.StatusCode)
	}
	// The root signs in with the password from --root-password-file; a
	// "next" off the console is not followed.
	tok := formToken(t, hc, base+"/signin")
	res, _ = postForm(t, hc, base+"/signin", url.Values{"csrf": {tok}, "kind": {"root"}, "account": {"123456789012"},
		"password": {"Root-Passw0rd!"}, "next": {"//evil.example/"}}, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/" {
		t.Fatalf("root sign-in: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	var sessionCookie *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "batchd-console" {
			sessionCookie = ck
		}
	}
	if sessionCookie == nil || !sessionCookie.HttpOnly || sessionCookie.SameSite != http.SameSiteStrictMode || sessionCookie.Path != "/console/" || sessionCookie.Expires.IsZero() {
		t.Fatalf("session cookie %+v", sessionCookie)
	}
	// Forms need the session's token, from this origin.
	unmanagedCE(t, ts.batch(ts.Root), "ce")
	queue(t, ts.batch(ts.Root), "q", "ce", nil)
	res, _ = postForm(t, hc, base+"/queues/q/state", url.Values{"state": {"DISABLED"}}, nil)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("form without token: %d", res.StatusCode)
	}
	tok = formToken(t, hc, base+"/queues/q")
	res, _ = postForm(t, hc, base+"/queues/q/state", url.Values{"state": {"DISABLED"}, "csrf": {tok}}, http.Header{"Origin": {"http://evil.example"}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin form: %d", res.StatusCode)
	}
	if q := call(ts.batch(ts.Root).DescribeJobQueues(context.Background(), &batch.DescribeJobQueuesInput{JobQueues: []string{"q"}})).ok(t); q.JobQueues[0].State != batchtypes.JQStateEnabled {
		t.Fatal("a refused form changed the queue")
	}
	res, _ = postForm(t, hc, base+"/queues/q/state", url.Values{"state": {"DISABLED"}, "csrf": {tok}}, http.Header{"Origin": {ts.URL}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("good form: %d", res.StatusCode)
	}
	if q := call(ts.batch(ts.Root).DescribeJobQueues(context.Background(), &batch.DescribeJobQueuesInput{JobQueues: []string{"q"}})).ok(t); q.JobQueues[0].State != batchtypes.JQStateDisabled {
		t.Fatal("the form did not disable the queue")
	}

	// Five failures for a user name throttle it, even with the right
	// password after.
	other := consoleClient(t)
	for range 5 {
		tok := formToken(t, other, base+"/signin")
		res, _ := postForm(t, other, base+"/signin", url.Values{"csrf": {tok}, "account": {"123456789012"}, "user": {"carol"}, "password": {"Wrong-pass-1"}}, nil)
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", res.StatusCode)
		}
	}
	tok = formToken(t, other, base+"/signin")
	res, body := postForm(t, other, base+"/signin", url.Values{"csrf": {tok}, "account": {"123456789012"}, "user": {"carol"}, "password": {"Carol-console-1"}}, nil)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-in attempts") {
		t.Fatalf("throttled sign-in: %d", res.StatusCode)
	}

	// The audit trail has the sign-ins, never a password.
	var logins []map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		logins = nil
		b, err := os.ReadFile(filepath.Join(ts.DataDir, "audit.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"Root-Passw0rd!", "Carol-console-1", "Wrong-pass-1"} {
			if strings.Contains(string(b), p) {
				t.Fatalf("the audit trail holds a password")
			}
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) == nil && rec["eventName"] == "ConsoleLogin" {
				logins = append(logins, rec)
			}
		}
		if len(logins) >= 6 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var ok, failed int
	for _, rec := range logins {
		if rec["eventSource"] != "signin.amazonaws.com" || rec["eventType"] != "AwsConsoleSignIn" {
			t.Fatalf("ConsoleLogin record %v", rec)
		}
		switch rec["responseElements"].(map[string]any)["ConsoleLogin"] {
		case "Success":
			ok++
		case "Failure":
			failed++
		}
	}
	if ok != 1 || failed != 5 {
		t.Fatalf("ConsoleLogin records: %d Success, %d Failure; want 1 and 5", ok, failed)
	}
}

// consoleSignIn signs hc in as user (or the root, user "") and fails the
// test otherwise.
func consoleSignIn(t *testing.T, hc *http.Client, base, user, password string) {
	t.Helper()
	tok := formToken(t, hc, base+"/signin")
	form := url.Values{"csrf": {tok}, "account": {"123456789012"}, "user": {user}, "password": {password}}
	if user == "" {
		form.Set("kind", "root")
	}
	res, body := postForm(t, hc, base+"/signin", form, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in of %q: %d %s", user, res.StatusCode, body)
	}
}

func getPage(t *testing.T, hc *http.Client, page string) (int, string) {
	t.Helper()
	res, err := hc.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// Every page renders what the API gives the signed-in user: definitions
// with their revisions, compute environments, a fair-share policy with
// its shares' usage, a queue's jobs by name filter, a submit with
// parameters, and the audit trail, which a user without
// cloudtrail:LookupEvents is refused in AWS's words.
func TestConsolePages(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "root-password")
	if err := os.WriteFile(pwFile, []byte("Root-Passw0rd!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startJobServer(t, func(c *Config) { c.RootPasswordFile = pwFile; c.HostVCPUs = 4 })
	base := ts.URL + "/console"
	ctx := context.Background()
	c := ts.batch(ts.Root)
	unmanagedCE(t, c, "ce")
	sp := call(c.CreateSchedulingPolicy(ctx, &batch.CreateSchedulingPolicyInput{Name: aws.String("fair"), FairsharePolicy: &batchtypes.FairsharePolicy{
		ShareDistribution: []batchtypes.ShareAttributes{{ShareIdentifier: aws.String("teamA"), WeightFactor: aws.Float32(0.5)}}}})).ok(t)
	call(c.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: aws.String("fq"), Priority: aws.Int32(1), SchedulingPolicyArn: sp.Arn,
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce")}}})).ok(t)
	register(t, c, shellDef("echoer", "echo Ref::word"))
	def := shellDef("echoer", "echo second Ref::word")
	def.Parameters = map[string]string{"word": "default"}
	register(t, c, def)
	long := submit(t, c, &batch.SubmitJobInput{JobName: aws.String("long-one"), JobQueue: aws.String("fq"), JobDefinition: aws.String("echoer"),
		ShareIdentifier: aws.String("teamA"), SchedulingPriorityOverride: aws.Int32(1),
		ContainerOverrides: &batchtypes.ContainerOverrides{Command: []string{"sleep", "60"}}})
	waitJob(t, c, long, batchtypes.JobStatusRunning, 30*time.Second)

	hc := consoleClient(t)
	consoleSignIn(t, hc, base, "", "Root-Passw0rd!")
	for _, tc := range []struct{ page, want string }{
		{"/job-definitions", `<td>2</td><td>2</td>`}, // latest revision 2, two revisions
		{"/job-definitions/echoer", "Revision 1"},
		{"/compute-environments", "UNMANAGED"},
		{"/scheduling-policies", `<tr data-share="teamA"><td>teamA</td><td>1</td></tr>`},
		{"/queues/fq?status=RUNNING", "long-one"},
		{"/queues/fq?name=long*", "long-one"},
		{"/jobs/" + long, "teamA"},
		{"/", `data-status="RUNNING"><a href="/console/queues/fq?status=RUNNING">1</a>`},
	} {
		code, body := getPage(t, hc, base+tc.page)
		if code != http.StatusOK || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want %q in\n%s", tc.page, code, tc.want, body)
		}
	}
	if _, body := getPage(t, hc, base+"/queues/fq?name=nomatch*"); strings.Contains(body, "long-one") {
		t.Error("the name filter let another job through")
	}

	// Submit with a parameter: the job runs with it.
	tok := formToken(t, hc, base+"/submit?definition=echoer")
	res, body := postForm(t, hc, base+"/submit", url.Values{"csrf": {tok}, "definition": {"echoer:2"}, "jobName": {"with-param"},
		"jobQueue": {"fq"}, "parameters": {"word=console"}, "share": {"teamA"}, "priority": {"1"}}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.StatusCode, body)
	}
	id := strings.TrimPrefix(strings.SplitN(res.Header.Get("Location"), "?", 2)[0], "/console/jobs/")
	j := describeJob(t, c, id)
	if aws.ToString(j.JobName) != "with-param" || j.Parameters["word"] != "console" {
		t.Fatalf("submitted %s with parameters %v", aws.ToString(j.JobName), j.Parameters)
	}
	res, body = postForm(t, hc, base+"/submit", url.Values{"csrf": {tok}, "definition": {"echoer"}, "jobName": {"bad name!"}, "jobQueue": {"fq"}}, nil)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "ClientException") {
		t.Fatalf("bad submit: %d %s", res.StatusCode, body)
	}

	// The audit page: the root sees the sign-in; dave may not look.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := getPage(t, hc, base+"/audit")
		if code == http.StatusOK && strings.Contains(body, "signin.amazonaws.com ConsoleLogin") && strings.Contains(body, "batch.amazonaws.com SubmitJob") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit page: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	loginUser(t, ts.iam(ts.Root), "dave", "Dave-console-1", consoleBatchUser)
	dave := consoleClient(t)
	consoleSignIn(t, dave, base, "dave", "Dave-console-1")
	code, body := getPage(t, dave, base+"/audit")
	if code != http.StatusForbidden || !strings.Contains(body, "is not authorized to perform: cloudtrail:LookupEvents") {
		t.Fatalf("dave's audit page: %d %s", code, body)
	}
	call(c.TerminateJob(ctx, &batch.TerminateJobInput{JobId: aws.String(long), Reason: aws.String("done")})).ok(t)
}

// A console session outlives a restart of batchd: it is kept in the store
// (by its token's hash), not in the process.
func TestConsoleSessionSurvivesRestart(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "root-password")
	if err := os.WriteFile(pwFile, []byte("Root-Passw0rd!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The same store across the restart: this test's own SQLite file,
	// whatever BATCHD_TEST_STORE says.
	edit := func(c *Config) { c.RootPasswordFile = pwFile; c.Store = "sqlite:" + filepath.Join(dir, "batchd.db") }
	ts := startServerWith(t, dir, edit)
	hc := consoleClient(t)
	consoleSignIn(t, hc, ts.URL+"/console", "", "Root-Passw0rd!")
	ts.stop()
	ts = startServerWith(t, dir, edit)
	code, body := getPage(t, hc, ts.URL+"/console/")
	if code != http.StatusOK || !strings.Contains(body, `id="signed-in-as">root<`) {
		t.Fatalf("after a restart: %d %s", code, body)
	}
	b, err := os.ReadFile(filepath.Join(dir, "batchd.db"))
	if err != nil {
		t.Fatal(err)
	}
	if wal, err := os.ReadFile(filepath.Join(dir, "batchd.db-wal")); err == nil {
		b = append(b, wal...)
	}
	if !strings.Contains(string(b), "console.session") {
		t.Fatal("no console session in the database")
	}
	for _, ck := range hc.Jar.Cookies(mustURL(t, ts.URL+"/console/")) {
		if ck.Name == "batchd-console" && strings.Contains(string(b), ck.Value) {
			t.Fatal("the session's token is in the database")
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
