package console

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds each page's template, parsed with the layout.
var pages = func() map[string]*template.Template {
	funcs := template.FuncMap{
		"ms": func(v int64) string {
			if v == 0 {
				return "—"
			}
			return time.UnixMilli(v).UTC().Format("2006-01-02 15:04:05.000 UTC")
		},
		"json": func(v any) string {
			b, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				return ""
			}
			return string(b)
		},
		"terminal": func(status string) bool { return status == "SUCCEEDED" || status == "FAILED" },
		"lower":    strings.ToLower,
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		out[base] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return out
}()

// jobStatuses are AWS Batch's job states, in their order.
var jobStatuses = []string{"SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"}

func (c *Console) routes() {
	m := http.NewServeMux()
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /console/signin", c.signinPage)
	m.HandleFunc("POST /console/signin", c.signin)
	m.HandleFunc("POST /console/signout", c.signedIn(c.signout))
	m.HandleFunc("GET /console/{$}", c.signedIn(c.dashboard))
	m.HandleFunc("GET /console/queues/{name}", c.signedIn(c.queue))
	m.HandleFunc("POST /console/queues/{name}/state", c.signedIn(c.queueState))
	m.HandleFunc("GET /console/jobs/{id}", c.signedIn(c.job))
	m.HandleFunc("GET /console/jobs/{id}/follow", c.signedIn(c.follow))
	m.HandleFunc("POST /console/jobs/{id}/cancel", c.signedIn(c.stopJob("CancelJob")))
	m.HandleFunc("POST /console/jobs/{id}/terminate", c.signedIn(c.stopJob("TerminateJob")))
	m.HandleFunc("GET /console/job-definitions", c.signedIn(c.jobDefinitions))
	m.HandleFunc("GET /console/job-definitions/{name}", c.signedIn(c.jobDefinition))
	m.HandleFunc("GET /console/submit", c.signedIn(c.submitPage))
	m.HandleFunc("POST /console/submit", c.signedIn(c.submit))
	m.HandleFunc("GET /console/compute-environments", c.signedIn(c.computeEnvironments))
	m.HandleFunc("GET /console/scheduling-policies", c.signedIn(c.schedulingPolicies))
	m.HandleFunc("GET /console/audit", c.signedIn(c.audit))
	m.HandleFunc("GET /console/password", c.signedIn(c.passwordPage))
	m.HandleFunc("POST /console/password", c.signedIn(c.password))
	c.mux = m
}

// view is what every page template gets.
type view struct {
	Title   string
	Session *Session
	Account string
	Region  string
	Error   *apiError
	Notice  string
	Data    any
}

func (c *Console) render(w http.ResponseWriter, status int, name string, v view) {
	v.Account, v.Region = c.cfg.AccountID, c.cfg.Region
	t := pages[name]
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		c.log.Error("console: rendering a page", "page", name, "err", err)
		http.Error(w, "An internal error occurred.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	// A client gone away is nothing to report.
	_, _ = w.Write([]byte(b.String()))
}

// fail renders a call's error: AWS's code and message, and, for a
// denial the user may decode, why.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *Session, title string, err error) {
	e := c.describe(r, s, err)
	c.render(w, e.Status, "error", view{Title: title, Session: s, Error: &e})
}

// --- sign-in

type signinData struct {
	Next, CSRF, User string
	Root             bool
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	if s, err := c.current(r); err == nil && s != nil {
		http.Redirect(w, r, "/console/", http.StatusFound)
		return
	}
	c.renderSignin(w, r, http.StatusOK, signinData{Next: r.URL.Query().Get("next")}, "")
}

func (c *Console) renderSignin(w http.ResponseWriter, r *http.Request, status int, d signinData, problem string) {
	d.CSRF = token()
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: d.CSRF, Path: cookiePath, MaxAge: 3600,
		HttpOnly: true, Secure: c.cfg.Secure, SameSite: http.SameSiteStrictMode})
	v := view{Title: "Sign in", Data: d}
	if problem != "" {
		v.Error = &apiError{Message: problem}
	}
	c.render(w, status, "signin", v)
}

func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	d := signinData{Next: r.PostFormValue("next"), User: r.PostFormValue("user"), Root: r.PostFormValue("kind") == "root"}
	ck, err := r.Cookie(signinCookie)
	if err != nil || !sameOrigin(r) || !equal(r.PostFormValue("csrf"), ck.Value) {
		c.renderSignin(w, r, http.StatusForbidden, d, "The sign-in form expired. Try again.")
		return
	}
	account, password := strings.TrimSpace(r.PostFormValue("account")), r.PostFormValue("password")
	env := c.env(r)
	who := d.User
	if d.Root {
		who = "root"
	}
	if wait, ok := c.throttled(who, env.SourceIP); ok {
		c.renderSignin(w, r, http.StatusTooManyRequests, d,
			fmt.Sprintf("Too many failed sign-in attempts. Try again in %d minutes.", int(wait.Minutes())+1))
		return
	}
	refused := func() {
		c.failed(who, env.SourceIP)
		c.cfg.API.ConsoleLogin(nil, c.cfg.AccountID, env, r.UserAgent(), errSignIn)
		c.renderSignin(w, r, http.StatusUnauthorized, d, "Your authentication information is incorrect. Please try again.")
	}
	if account != c.cfg.AccountID || password == "" || (!d.Root && d.User == "") {
		refused()
		return
	}
	s := &Session{Name: d.User}
	if d.Root {
		s.Name = "root"
		s.P, err = c.cfg.Identities.SignInRoot(r.Context(), password)
	} else {
		s.P, s.MustChange, err = c.cfg.Identities.SignIn(r.Context(), d.User, password)
	}
	if err != nil {
		var coded interface{ ErrorCode() string }
		if !errors.As(err, &coded) {
			c.log.Error("console: sign-in", "err", err)
			http.Error(w, "An internal error occurred.", http.StatusInternalServerError)
			return
		}
		refused()
		return
	}
	if err := c.startSession(w, r, s); err != nil {
		c.log.Error("console: keeping a session", "err", err)
		http.Error(w, "An internal error occurred.", http.StatusInternalServerError)
		return
	}
	c.cfg.API.ConsoleLogin(s.P, c.cfg.AccountID, env, r.UserAgent(), nil)
	http.SetCookie(w, &http.Cookie{Name: signinCookie, Value: "", Path: cookiePath, MaxAge: -1, HttpOnly: true, Secure: c.cfg.Secure, SameSite: http.SameSiteStrictMode})
	next := "/console/"
	if n := d.Next; strings.HasPrefix(n, "/console/") && !strings.HasPrefix(n, "//") && !strings.ContainsAny(n, "\\\r\n") {
		next = n
	}
	if s.MustChange {
		next = "/console/password"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

type signInError struct{}

func (signInError) Error() string { return "failed authentication" }

var errSignIn error = signInError{}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, s *Session) {
	c.endSession(w, r)
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

// --- password

func (c *Console) passwordPage(w http.ResponseWriter, r *http.Request, s *Session) {
	c.render(w, http.StatusOK, "password", view{Title: "Change password", Session: s})
}

func (c *Console) password(w http.ResponseWriter, r *http.Request, s *Session) {
	old, pw, again := r.PostFormValue("old"), r.PostFormValue("new"), r.PostFormValue("again")
	if pw != again {
		c.render(w, http.StatusBadRequest, "password", view{Title: "Change password", Session: s,
			Error: &apiError{Message: "The new passwords do not match."}})
		return
	}
	_, err := c.query(r, s, "iam", "ChangePassword", url.Values{"OldPassword": {old}, "NewPassword": {pw}})
	if err != nil {
		e := c.describe(r, s, err)
		c.render(w, e.Status, "password", view{Title: "Change password", Session: s, Error: &e})
		return
	}
	if s.MustChange {
		s.MustChange = false
		if err := c.sessions.Put(r.Context(), s.key, s); err != nil {
			c.log.Error("console: keeping a session", "err", err)
		}
	}
	c.render(w, http.StatusOK, "password", view{Title: "Change password", Session: s, Notice: "Your password has been changed."})
}

// --- dashboard and queues

type jobQueue struct {
	JobQueueName, JobQueueArn, State, Status, StatusReason, SchedulingPolicyArn string
	Priority                                                                    int
	ComputeEnvironmentOrder                                                     []struct {
		Order              int
		ComputeEnvironment string
	}
	Counts []statusCount `json:"-"`
}

type statusCount struct {
	Status string
	Count  int
	More   bool
}

type computeEnvironment struct {
	ComputeEnvironmentName, ComputeEnvironmentArn, Type, State, Status, StatusReason, ServiceRole string
	ComputeResources                                                                              *struct {
		Type               string
		MinvCpus, MaxvCpus int
		DesiredvCpus       int
		InstanceTypes      []string
	}
}

func (c *Console) queues(r *http.Request, s *Session) ([]jobQueue, error) {
	all, err := every[jobQueue](c, r, s, "DescribeJobQueues", "jobQueues", map[string]any{})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b jobQueue) int { return strings.Compare(a.JobQueueName, b.JobQueueName) })
	return all, nil
}

// maxListed bounds what a page lists of one Describe operation.
const maxListed = 1000

// every pages through a Batch Describe operation, the items in its
// output's member field, up to maxListed.
func every[T any](c *Console, r *http.Request, s *Session, operation, field string, in map[string]any) ([]T, error) {
	var all []T
	for {
		var out map[string]json.RawMessage
		if err := c.call(r, s, "batch", operation, in, &out); err != nil {
			return nil, err
		}
		var items []T
		var next string
		if raw, ok := out[field]; ok {
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, err
			}
		}
		if raw, ok := out["nextToken"]; ok {
			if err := json.Unmarshal(raw, &next); err != nil {
				return nil, err
			}
		}
		all = append(all, items...)
		if next == "" || len(all) >= maxListed {
			return all, nil
		}
		in["nextToken"] = next
	}
}

// countPage bounds the jobs counted per queue and status on the dashboard.
const countPage = 100

func (c *Console) dashboard(w http.ResponseWriter, r *http.Request, s *Session) {
	qs, err := c.queues(r, s)
	if err != nil {
		c.fail(w, r, s, "Dashboard", err)
		return
	}
	for i := range qs {
		for _, st := range jobStatuses {
			var out struct {
				JobSummaryList []json.RawMessage
				NextToken      string
			}
			in := map[string]any{"jobQueue": qs[i].JobQueueArn, "jobStatus": st, "maxResults": countPage}
			if err := c.call(r, s, "batch", "ListJobs", in, &out); err != nil {
				c.fail(w, r, s, "Dashboard", err)
				return
			}
			qs[i].Counts = append(qs[i].Counts, statusCount{Status: st, Count: len(out.JobSummaryList), More: out.NextToken != ""})
		}
	}
	var ces struct{ ComputeEnvironments []computeEnvironment }
	if err := c.call(r, s, "batch", "DescribeComputeEnvironments", map[string]any{}, &ces); err != nil {
		c.fail(w, r, s, "Dashboard", err)
		return
	}
	c.render(w, http.StatusOK, "dashboard", view{Title: "Dashboard", Session: s, Data: map[string]any{
		"Queues": qs, "Statuses": jobStatuses, "ComputeEnvironments": ces.ComputeEnvironments}})
}

type jobSummary struct {
	JobArn, JobID, JobName, Status, StatusReason, JobDefinition string
	CreatedAt, StartedAt, StoppedAt                             int64
	Container                                                   *struct {
		ExitCode *int
		Reason   string
	}
	ArrayProperties *struct {
		Size  int
		Index *int
	}
}

func (c *Console) queue(w http.ResponseWriter, r *http.Request, s *Session) {
	name := r.PathValue("name")
	q := r.URL.Query()
	status, jobName, after, before, next := q.Get("status"), q.Get("name"), q.Get("after"), q.Get("before"), q.Get("next")
	in := map[string]any{"jobQueue": name, "maxResults": 50}
	if next != "" {
		in["nextToken"] = next
	}
	var filters []map[string]any
	if jobName != "" {
		filters = append(filters, map[string]any{"name": "JOB_NAME", "values": []string{jobName}})
	}
	for _, f := range []struct{ field, name string }{{after, "AFTER_CREATED_AT"}, {before, "BEFORE_CREATED_AT"}} {
		if f.field == "" {
			continue
		}
		t, err := time.Parse("2006-01-02T15:04", f.field)
		if err != nil {
			c.render(w, http.StatusBadRequest, "error", view{Title: name, Session: s,
				Error: &apiError{Code: "ClientException", Message: "Times are written 2006-01-02T15:04 (UTC)."}})
			return
		}
		filters = append(filters, map[string]any{"name": f.name, "values": []string{strconv.FormatInt(t.UnixMilli(), 10)}})
	}
	if len(filters) > 0 {
		// AWS ignores jobStatus when filters are given; the status is
		// then applied to the page here.
		in["filters"] = filters
	} else if status != "" {
		in["jobStatus"] = status
	}
	if arrayID := q.Get("array"); arrayID != "" {
		delete(in, "jobQueue")
		delete(in, "filters")
		in["arrayJobId"] = arrayID
	}
	var out struct {
		JobSummaryList []jobSummary
		NextToken      string
	}
	if err := c.call(r, s, "batch", "ListJobs", in, &out); err != nil {
		c.fail(w, r, s, "Queue "+name, err)
		return
	}
	jobs := out.JobSummaryList
	if len(filters) > 0 && status != "" {
		jobs = slices.DeleteFunc(jobs, func(j jobSummary) bool { return j.Status != status })
	}
	var qd *jobQueue
	var described struct{ JobQueues []jobQueue }
	if err := c.call(r, s, "batch", "DescribeJobQueues", map[string]any{"jobQueues": []string{name}}, &described); err == nil && len(described.JobQueues) == 1 {
		qd = &described.JobQueues[0]
	}
	nextQ := url.Values{}
	for k, v := range q {
		nextQ[k] = v
	}
	nextQ.Set("next", out.NextToken)
	c.render(w, http.StatusOK, "queue", view{Title: "Queue " + name, Session: s, Notice: q.Get("notice"), Data: map[string]any{
		"Name": name, "Queue": qd, "Jobs": jobs, "Statuses": jobStatuses, "Status": status, "JobName": jobName,
		"After": after, "Before": before, "Array": q.Get("array"), "Next": out.NextToken, "NextQuery": nextQ.Encode()}})
}

func (c *Console) queueState(w http.ResponseWriter, r *http.Request, s *Session) {
	name, state := r.PathValue("name"), r.PostFormValue("state")
	if err := c.call(r, s, "batch", "UpdateJobQueue", map[string]any{"jobQueue": name, "state": state}, nil); err != nil {
		c.fail(w, r, s, "Queue "+name, err)
		return
	}
	http.Redirect(w, r, "/console/queues/"+url.PathEscape(name)+"?notice="+url.QueryEscape("Queue "+name+" is now "+state+"."), http.StatusSeeOther)
}

// --- jobs

type jobDetail struct {
	JobArn, JobID, JobName, JobQueue, Status, StatusReason, JobDefinition, ShareIdentifier string
	CreatedAt, StartedAt, StoppedAt                                                        int64
	IsCancelled, IsTerminated                                                              bool
	Parameters                                                                             map[string]string
	Tags                                                                                   map[string]string
	DependsOn                                                                              []struct{ JobID, Type string }
	Attempts                                                                               []struct {
		StartedAt, StoppedAt int64
		StatusReason         string
		Container            struct {
			ExitCode      *int
			Reason        string
			LogStreamName string
		}
	}
	ArrayProperties *struct {
		Size, Index   *int
		StatusSummary map[string]int
	}
	RetryStrategy *struct{ Attempts int }
	Timeout       *struct{ AttemptDurationSeconds int }
	Container     json.RawMessage
}

// containerLog is where a job's output goes: its log configuration's
// awslogs-group (else /aws/batch/job) and its stream.
type containerLog struct {
	LogStreamName    string
	LogConfiguration *struct {
		LogDriver string
		Options   map[string]string
	}
}

func (j *jobDetail) logLocation() (group, stream string) {
	var cl containerLog
	if len(j.Container) > 0 {
		// A container that does not decode just has no log to show.
		_ = json.Unmarshal(j.Container, &cl)
	}
	group = "/aws/batch/job"
	if cl.LogConfiguration != nil && cl.LogConfiguration.Options["awslogs-group"] != "" {
		group = cl.LogConfiguration.Options["awslogs-group"]
	}
	return group, cl.LogStreamName
}

// event is one point of a job's timeline.
type event struct {
	At   int64
	What string
}

func (j *jobDetail) timeline() []event {
	ev := []event{{j.CreatedAt, "SUBMITTED"}}
	for i, a := range j.Attempts {
		if a.StartedAt != 0 {
			ev = append(ev, event{a.StartedAt, fmt.Sprintf("attempt %d RUNNING", i+1)})
		}
		if a.StoppedAt != 0 {
			what := fmt.Sprintf("attempt %d ended", i+1)
			if a.Container.ExitCode != nil {
				what += fmt.Sprintf(" (exit code %d)", *a.Container.ExitCode)
			}
			if a.StatusReason != "" {
				what += ": " + a.StatusReason
			}
			ev = append(ev, event{a.StoppedAt, what})
		}
	}
	if len(j.Attempts) == 0 && j.StartedAt != 0 {
		ev = append(ev, event{j.StartedAt, "RUNNING"})
	}
	if j.StoppedAt != 0 {
		ev = append(ev, event{j.StoppedAt, j.Status})
	}
	slices.SortStableFunc(ev, func(a, b event) int { return int(a.At - b.At) })
	return ev
}

func (c *Console) describeJob(r *http.Request, s *Session, id string) (*jobDetail, error) {
	var out struct{ Jobs []jobDetail }
	if err := c.call(r, s, "batch", "DescribeJobs", map[string]any{"jobs": []string{id}}, &out); err != nil {
		return nil, err
	}
	if len(out.Jobs) == 0 {
		return nil, nil
	}
	return &out.Jobs[0], nil
}

func (c *Console) job(w http.ResponseWriter, r *http.Request, s *Session) {
	id := r.PathValue("id")
	j, err := c.describeJob(r, s, id)
	if err != nil {
		c.fail(w, r, s, "Job "+id, err)
		return
	}
	if j == nil {
		c.render(w, http.StatusNotFound, "error", view{Title: "Job " + id, Session: s,
			Error: &apiError{Code: "ClientException", Message: "Job " + id + " was not found."}})
		return
	}
	group, stream := j.logLocation()
	var container any
	if len(j.Container) > 0 {
		// Shown as it came; one that does not decode is not shown.
		_ = json.Unmarshal(j.Container, &container)
	}
	c.render(w, http.StatusOK, "job", view{Title: "Job " + j.JobName, Session: s, Notice: r.URL.Query().Get("notice"), Data: map[string]any{
		"Job": j, "Timeline": j.timeline(), "LogGroup": group, "LogStream": stream, "Container": container}})
}

// follow answers the job page's script: the job's status and the log
// events after next, as JSON.
func (c *Console) follow(w http.ResponseWriter, r *http.Request, s *Session) {
	id := r.PathValue("id")
	w.Header().Set("Content-Type", "application/json")
	j, err := c.describeJob(r, s, id)
	if err != nil || j == nil {
		status := http.StatusNotFound
		msg := "Job " + id + " was not found."
		if err != nil {
			e := c.describe(r, s, err)
			status, msg = e.Status, e.Code+": "+e.Message
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": msg}) // a client gone away is nothing to report
		return
	}
	resp := map[string]any{"status": j.Status, "statusReason": j.StatusReason, "events": []string{}}
	group, stream := j.logLocation()
	if stream != "" {
		in := map[string]any{"logGroupName": group, "logStreamName": stream, "startFromHead": true, "limit": 1000}
		if next := r.URL.Query().Get("next"); next != "" {
			in["nextToken"] = next
		}
		var out struct {
			Events []struct {
				Timestamp int64
				Message   string
			}
			NextForwardToken string
		}
		if err := c.call(r, s, "logs", "GetLogEvents", in, &out); err != nil {
			e := c.describe(r, s, err)
			resp["logError"] = e.Code + ": " + e.Message
		} else {
			lines := make([]string, len(out.Events))
			for i, e := range out.Events {
				lines[i] = e.Message
			}
			resp["events"], resp["next"] = lines, out.NextForwardToken
		}
	}
	_ = json.NewEncoder(w).Encode(resp) // a client gone away is nothing to report
}

func (c *Console) stopJob(operation string) page {
	return func(w http.ResponseWriter, r *http.Request, s *Session) {
		id := r.PathValue("id")
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if reason == "" {
			reason = "Stopped from the console by " + s.Name
		}
		if err := c.call(r, s, "batch", operation, map[string]any{"jobId": id, "reason": reason}, nil); err != nil {
			c.fail(w, r, s, "Job "+id, err)
			return
		}
		verb := map[string]string{"CancelJob": "Cancel", "TerminateJob": "Terminate"}[operation]
		http.Redirect(w, r, "/console/jobs/"+url.PathEscape(id)+"?notice="+url.QueryEscape(verb+" requested."), http.StatusSeeOther)
	}
}

// --- job definitions and submit

type jobDefinition struct {
	JobDefinitionName, JobDefinitionArn, Status, Type string
	Revision                                          int
	Parameters                                        map[string]string
	PlatformCapabilities                              []string
	ContainerProperties                               json.RawMessage
}

func (c *Console) definitions(r *http.Request, s *Session, in map[string]any) ([]jobDefinition, error) {
	all, err := every[jobDefinition](c, r, s, "DescribeJobDefinitions", "jobDefinitions", in)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b jobDefinition) int {
		if n := strings.Compare(a.JobDefinitionName, b.JobDefinitionName); n != 0 {
			return n
		}
		return b.Revision - a.Revision
	})
	return all, nil
}

func (c *Console) jobDefinitions(w http.ResponseWriter, r *http.Request, s *Session) {
	defs, err := c.definitions(r, s, map[string]any{"status": "ACTIVE"})
	if err != nil {
		c.fail(w, r, s, "Job definitions", err)
		return
	}
	// The newest revision of each name, with how many there are.
	type row struct {
		Latest    jobDefinition
		Revisions int
	}
	var rows []row
	for _, d := range defs {
		if len(rows) > 0 && rows[len(rows)-1].Latest.JobDefinitionName == d.JobDefinitionName {
			rows[len(rows)-1].Revisions++
			continue
		}
		rows = append(rows, row{Latest: d, Revisions: 1})
	}
	c.render(w, http.StatusOK, "jobdefs", view{Title: "Job definitions", Session: s, Data: rows})
}

func (c *Console) jobDefinition(w http.ResponseWriter, r *http.Request, s *Session) {
	name := r.PathValue("name")
	defs, err := c.definitions(r, s, map[string]any{"jobDefinitionName": name})
	if err != nil {
		c.fail(w, r, s, "Job definition "+name, err)
		return
	}
	type rev struct {
		jobDefinition
		Container any
	}
	revs := make([]rev, len(defs))
	for i, d := range defs {
		revs[i].jobDefinition = d
		if len(d.ContainerProperties) > 0 {
			// Shown as it came; one that does not decode is not shown.
			_ = json.Unmarshal(d.ContainerProperties, &revs[i].Container)
		}
	}
	c.render(w, http.StatusOK, "jobdef", view{Title: "Job definition " + name, Session: s, Data: map[string]any{"Name": name, "Revisions": revs}})
}

type submitData struct {
	Definition, JobName, JobQueue, Parameters, Command, Environment, VCPUs, Memory, Share, Priority string
	Queues                                                                                          []jobQueue
}

func (c *Console) submitPage(w http.ResponseWriter, r *http.Request, s *Session) {
	d := submitData{Definition: r.URL.Query().Get("definition")}
	c.renderSubmit(w, r, s, http.StatusOK, d, nil)
}

func (c *Console) renderSubmit(w http.ResponseWriter, r *http.Request, s *Session, status int, d submitData, e *apiError) {
	// The queues the user may see; none listed is no reason to refuse the
	// form (the name can be typed).
	if qs, err := c.queues(r, s); err == nil {
		d.Queues = qs
	}
	c.render(w, status, "submit", view{Title: "Submit a job", Session: s, Error: e, Data: d})
}

func (c *Console) submit(w http.ResponseWriter, r *http.Request, s *Session) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	d := submitData{Definition: r.PostFormValue("definition"), JobName: r.PostFormValue("jobName"), JobQueue: r.PostFormValue("jobQueue"),
		Parameters: r.PostFormValue("parameters"), Command: r.PostFormValue("command"), Environment: r.PostFormValue("environment"),
		VCPUs: r.PostFormValue("vcpus"), Memory: r.PostFormValue("memory"), Share: r.PostFormValue("share"), Priority: r.PostFormValue("priority")}
	in := map[string]any{"jobName": d.JobName, "jobQueue": d.JobQueue, "jobDefinition": d.Definition}
	bad := func(msg string) {
		c.renderSubmit(w, r, s, http.StatusBadRequest, d, &apiError{Code: "ClientException", Message: msg})
	}
	if sh := strings.TrimSpace(d.Share); sh != "" {
		in["shareIdentifier"] = sh
	}
	if p := strings.TrimSpace(d.Priority); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			bad("schedulingPriorityOverride: a whole number.")
			return
		}
		in["schedulingPriorityOverride"] = n
	}
	params, err := pairs(d.Parameters)
	if err != nil {
		bad("parameters: " + err.Error())
		return
	}
	if len(params) > 0 {
		in["parameters"] = params
	}
	overrides := map[string]any{}
	if cmd := strings.TrimSpace(d.Command); cmd != "" {
		var list []string
		if strings.HasPrefix(cmd, "[") {
			if err := json.Unmarshal([]byte(cmd), &list); err != nil {
				bad("command: a JSON array of strings, or words separated by spaces.")
				return
			}
		} else {
			list = strings.Fields(cmd)
		}
		overrides["command"] = list
	}
	env, err := pairs(d.Environment)
	if err != nil {
		bad("environment: " + err.Error())
		return
	}
	if len(env) > 0 {
		var list []map[string]string
		for _, k := range sortedKeys(env) {
			list = append(list, map[string]string{"name": k, "value": env[k]})
		}
		overrides["environment"] = list
	}
	var reqs []map[string]string
	if v := strings.TrimSpace(d.VCPUs); v != "" {
		reqs = append(reqs, map[string]string{"type": "VCPU", "value": v})
	}
	if v := strings.TrimSpace(d.Memory); v != "" {
		reqs = append(reqs, map[string]string{"type": "MEMORY", "value": v})
	}
	if len(reqs) > 0 {
		overrides["resourceRequirements"] = reqs
	}
	if len(overrides) > 0 {
		in["containerOverrides"] = overrides
	}
	var out struct{ JobID, JobName string }
	if err := c.call(r, s, "batch", "SubmitJob", in, &out); err != nil {
		e := c.describe(r, s, err)
		c.renderSubmit(w, r, s, e.Status, d, &e)
		return
	}
	http.Redirect(w, r, "/console/jobs/"+url.PathEscape(out.JobID)+"?notice="+url.QueryEscape("Job "+out.JobName+" submitted."), http.StatusSeeOther)
}

// pairs reads NAME=value lines.
func pairs(text string) (map[string]string, error) {
	out := map[string]string{}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("line %d is not NAME=value", n+1)
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// --- compute environments, scheduling policies, audit

func (c *Console) computeEnvironments(w http.ResponseWriter, r *http.Request, s *Session) {
	var out struct{ ComputeEnvironments []computeEnvironment }
	if err := c.call(r, s, "batch", "DescribeComputeEnvironments", map[string]any{}, &out); err != nil {
		c.fail(w, r, s, "Compute environments", err)
		return
	}
	c.render(w, http.StatusOK, "ces", view{Title: "Compute environments", Session: s, Data: out.ComputeEnvironments})
}

type schedulingPolicy struct {
	Name, Arn       string
	FairsharePolicy *struct {
		ShareDecaySeconds, ComputeReservation int
		ShareDistribution                     []struct {
			ShareIdentifier string
			WeightFactor    float64
		}
	}
	// Usage is each share's vCPUs in use, over the queues that use the
	// policy (GetJobQueueSnapshot's fair-share utilization).
	Usage  map[string]float64 `json:"-"`
	Queues []string           `json:"-"`
}

func (c *Console) schedulingPolicies(w http.ResponseWriter, r *http.Request, s *Session) {
	var list struct {
		SchedulingPolicies []struct{ Arn string }
	}
	if err := c.call(r, s, "batch", "ListSchedulingPolicies", map[string]any{}, &list); err != nil {
		c.fail(w, r, s, "Scheduling policies", err)
		return
	}
	var policies []schedulingPolicy
	if len(list.SchedulingPolicies) > 0 {
		arns := make([]string, len(list.SchedulingPolicies))
		for i, p := range list.SchedulingPolicies {
			arns[i] = p.Arn
		}
		var out struct{ SchedulingPolicies []schedulingPolicy }
		if err := c.call(r, s, "batch", "DescribeSchedulingPolicies", map[string]any{"arns": arns}, &out); err != nil {
			c.fail(w, r, s, "Scheduling policies", err)
			return
		}
		policies = out.SchedulingPolicies
	}
	// Usage comes from the queues' snapshots, where the user may read
	// them; a queue the user may not snapshot adds nothing.
	qs, qerr := c.queues(r, s)
	for i := range policies {
		p := &policies[i]
		p.Usage = map[string]float64{}
		if qerr != nil {
			continue
		}
		for _, q := range qs {
			if q.SchedulingPolicyArn != p.Arn {
				continue
			}
			p.Queues = append(p.Queues, q.JobQueueName)
			var snap struct {
				QueueUtilization *struct {
					FairshareUtilization *struct {
						TopCapacityUtilization []struct {
							ShareIdentifier string
							CapacityUsage   []struct {
								CapacityUnit string
								Quantity     float64
							}
						}
					}
				}
			}
			if c.call(r, s, "batch", "GetJobQueueSnapshot", map[string]any{"jobQueue": q.JobQueueArn}, &snap) != nil ||
				snap.QueueUtilization == nil || snap.QueueUtilization.FairshareUtilization == nil {
				continue
			}
			for _, u := range snap.QueueUtilization.FairshareUtilization.TopCapacityUtilization {
				for _, cu := range u.CapacityUsage {
					p.Usage[u.ShareIdentifier] += cu.Quantity
				}
			}
		}
	}
	c.render(w, http.StatusOK, "policies", view{Title: "Scheduling policies", Session: s, Data: policies})
}

// auditRecord is what the audit page shows of a record.
type auditRecord struct {
	EventTime, EventSource, EventName, SourceIPAddress, ErrorCode, ErrorMessage, EventType string
	UserIdentity                                                                           struct{ Type, Arn, UserName string }
	ResponseElements                                                                       map[string]any
	Decisions                                                                              []struct {
		Action, Resource, Decision string
		Reasons                    []string
	} `json:"batchdDecisions"`
}

func (c *Console) audit(w http.ResponseWriter, r *http.Request, s *Session) {
	recs, err := c.cfg.API.LookupEvents(r.Context(), s.P, c.env(r), userAgent, 200)
	if err != nil {
		c.fail(w, r, s, "Audit", err)
		return
	}
	out := make([]auditRecord, 0, len(recs))
	for _, raw := range recs {
		var rec auditRecord
		if json.Unmarshal(raw, &rec) == nil {
			out = append(out, rec)
		}
	}
	c.render(w, http.StatusOK, "audit", view{Title: "Audit", Session: s, Data: out})
}
