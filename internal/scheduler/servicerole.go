package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"batchd/internal/batch"
	"batchd/internal/iam"
)

// authorized reports whether the scheduler may dispatch to c: it names an
// executor batchd has, and its service role, assumed as
// batch.amazonaws.com, may run tasks and write the job log group. A
// refusal turns c INVALID with the denied action in statusReason (AWS
// Batch User Guide, "INVALID compute environment"). A pass is trusted for
// allowedTTL while the role stays the same.
func (s *Scheduler) authorized(ctx context.Context, c *ceView) bool {
	now := s.cfg.Now()
	if at, ok := s.allowed[c.name()]; ok && now.Sub(at) < allowedTTL && !now.Before(at) {
		if sess := s.sessions[c.name()]; sess != nil && sess.role == deref(c.detail.ServiceRole) {
			return true
		}
	}
	delete(s.allowed, c.name())
	if !s.checkServiceRole(ctx, c) {
		return false
	}
	s.allowed[c.name()] = now
	return true
}

// serviceChecks are the actions the service role must allow: what AWS
// Batch does with it to run a job and ship its output (ecs:RunTask on the
// job's task definition, logs:CreateLogStream and logs:PutLogEvents in
// /aws/batch/job).
func (s *Scheduler) serviceChecks() []iam.Check {
	ra := s.cfg.Region + ":" + s.cfg.AccountID
	group := "arn:" + s.cfg.Partition + ":logs:" + ra + ":log-group:" + defaultLogGroup
	return []iam.Check{
		{Action: "ecs:RunTask", Resource: "arn:" + s.cfg.Partition + ":ecs:" + ra + ":task-definition/*"},
		{Action: "logs:CreateLogStream", Resource: group},
		{Action: "logs:PutLogEvents", Resource: group + ":log-stream:*"},
	}
}

func (s *Scheduler) checkServiceRole(ctx context.Context, c *ceView) bool {
	name := c.name()
	if ex := s.executorName(c.detail); s.cfg.Executors[ex] == nil {
		if why, ok := s.cfg.Unavailable[ex]; ok {
			s.invalidate(ctx, c, fmt.Sprintf("CLIENT_ERROR - The %s executor is unavailable: %s", ex, why))
			return false
		}
		var have []string
		for k := range s.cfg.Executors {
			have = append(have, k)
		}
		sort.Strings(have)
		s.invalidate(ctx, c, fmt.Sprintf("CLIENT_ERROR - The tag %s names no executor of this batchd: %q (it has: %s).", executorTag, ex, strings.Join(have, ", ")))
		return false
	}
	role := deref(c.detail.ServiceRole)
	now := s.cfg.Now()
	sess := s.sessions[name]
	if sess == nil || sess.role != role || now.Sub(sess.made) >= sessionTTL {
		delete(s.sessions, name)
		p, err := s.cfg.IAM.ServiceSession(ctx, role, serviceName, serviceSessionName)
		if err != nil {
			var ie *iam.Error
			if !errors.As(err, &ie) {
				s.log.Error("scheduler: service role session", "computeEnvironment", name, "role", role, "err", err)
				return false
			}
			// AWS: "CLIENT_ERROR - User: batch.amazonaws.com is not
			// authorized to perform: sts:AssumeRole on resource: <role>";
			// a role that does not exist cannot be assumed either.
			s.invalidate(ctx, c, "CLIENT_ERROR - User: "+serviceName+" is not authorized to perform: sts:AssumeRole on resource: "+role)
			return false
		}
		sess = &ceSession{role: role, principal: p, made: now}
		s.sessions[name] = sess
	}
	for _, chk := range s.serviceChecks() {
		v, err := s.cfg.IAM.Authorize(ctx, sess.principal, iam.Env{Region: s.cfg.Region, Secure: true}, chk)
		if err != nil {
			s.log.Error("scheduler: authorizing the service role", "computeEnvironment", name, "action", chk.Action, "err", err)
			return false
		}
		if !v.Allowed() {
			s.invalidate(ctx, c, "CLIENT_ERROR - "+v.Decision.Message(v.Request))
			return false
		}
	}
	return true
}

// invalidate turns a compute environment INVALID with reason.
func (s *Scheduler) invalidate(ctx context.Context, c *ceView, reason string) {
	c.detail.Status, c.detail.StatusReason = batch.CEStatusInvalid, &reason
	delete(s.sessions, c.name())
	delete(s.allowed, c.name())
	s.log.Warn("scheduler: compute environment INVALID", "computeEnvironment", c.name(), "reason", reason)
	if err := s.cfg.Batch.SetComputeEnvironmentStatus(ctx, c.name(), batch.CEStatusInvalid, reason); err != nil {
		s.log.Error("scheduler: recording an INVALID compute environment", "computeEnvironment", c.name(), "err", err)
	}
}

// authorizeLogGroup asks whether the service session may write stream in
// a log group other than /aws/batch/job (a job's awslogs-group), creating
// the group too when create is set.
func (s *Scheduler) authorizeLogGroup(ctx context.Context, p *iam.Principal, group, stream string, create bool) error {
	arn := "arn:" + s.cfg.Partition + ":logs:" + s.cfg.Region + ":" + s.cfg.AccountID + ":log-group:" + group
	checks := []iam.Check{
		{Action: "logs:CreateLogStream", Resource: arn},
		{Action: "logs:PutLogEvents", Resource: arn + ":log-stream:" + stream},
	}
	if create {
		checks = append([]iam.Check{{Action: "logs:CreateLogGroup", Resource: arn}}, checks...)
	}
	for _, chk := range checks {
		v, err := s.cfg.IAM.Authorize(ctx, p, iam.Env{Region: s.cfg.Region, Secure: true}, chk)
		if err != nil {
			return err
		}
		if !v.Allowed() {
			return errors.New("AccessDeniedException: " + v.Decision.Message(v.Request))
		}
	}
	return nil
}
