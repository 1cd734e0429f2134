package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"batchd/internal/store"
)

// The ClientException messages of the job operations. Those marked
// "observed" are AWS Batch's words as its answers show them (in issue
// reports of AWS SDK users); the others are batchd's, in the same form,
// where no AWS answer could be found.
const (
	awsPrefix = "Error executing request, Exception : "

	msgJobName          = awsPrefix + "Job name should match valid pattern"                                                // observed
	msgJobSize          = awsPrefix + "Job size must be less than %d KiB, got %d KiB"                                      // observed
	msgDependsOnTooMany = awsPrefix + "Job cannot have more than %d dependencies"                                          // observed
	msgDescribeTooMany  = awsPrefix + "Maximum number of jobs supported is  %d ."                                          // observed (two spaces, as AWS)
	msgQueueNotFound    = "JobQueue %s not found."                                                                         // observed
	msgDefNameNotFound  = "JobDefinition name %s does not exist or is not in ACTIVE status"                                // observed
	msgDefNotFound      = "JobDefinition %s not found."                                                                    // observed (ARN form)
	msgShareRequired    = "shareIdentifier must be specified."                                                             // observed
	msgPriorityRequired = "Either schedulingPriority in job definition or schedulingPriorityOverride should be specified." // observed
	msgQueueDisabled    = awsPrefix + "JobQueue %s is not in ENABLED state."
	msgShareNotAllowed  = awsPrefix + "shareIdentifier can only be specified for a job queue with a fair share scheduling policy."
	msgPriorityRange    = awsPrefix + "schedulingPriorityOverride must be between 0 and 9999."
	msgArraySize        = awsPrefix + "Array size must be between 2 and 10000."
	msgTimeout          = awsPrefix + "Timeout attemptDurationSeconds must be at least 60 seconds."
	msgEnvReserved      = awsPrefix + "Environment variable %s cannot start with AWS_BATCH."
	// A Fargate definition on an EC2 queue or the reverse. Wording inferred:
	// no AWS text found (see checkPlatform).
	msgPlatform = awsPrefix + "Job definition %s with platformCapabilities %s can't be submitted to job queue %s, whose compute environments are of type %s."
	// The overrides' resource checks: AWS's wording not found; each names
	// the field.
	msgOverrideType     = awsPrefix + "containerOverrides.resourceRequirements[%d].type %q is not one of GPU, VCPU, MEMORY."
	msgOverrideTwice    = awsPrefix + "containerOverrides.resourceRequirements has more than one %s."
	msgOverrideValue    = awsPrefix + "containerOverrides.resourceRequirements[%d].value %q: %s %s."
	msgOverrideVcpus    = awsPrefix + "containerOverrides.vcpus must be at least 1."
	msgOverrideMemory   = awsPrefix + "containerOverrides.memory must be at least %d MiB."
	msgDepNoJobID       = awsPrefix + "Dependency of type %s must specify a jobId."
	msgDepNotFound      = awsPrefix + "Dependency job %s does not exist."
	msgSequentialJobID  = awsPrefix + "SEQUENTIAL dependency cannot specify a jobId."
	msgSequentialArray  = awsPrefix + "SEQUENTIAL dependency can only be specified for an array job."
	msgNToNArray        = awsPrefix + "N_TO_N dependency can only be specified for an array job."
	msgNToNSize         = awsPrefix + "N_TO_N dependency %s must be an array job of the same size."
	msgReasonRequired   = awsPrefix + "reason is required."
	msgReasonLength     = awsPrefix + "reason must have length less than or equal to 1024."
	msgListOneOf        = awsPrefix + "Exactly one of jobQueue, arrayJobId or multiNodeJobId must be specified."
	msgListOneFilter    = awsPrefix + "Only one filter can be used at a time."
	msgListFilterName   = awsPrefix + "Filter name %s is not supported."
	msgListFilterValues = awsPrefix + "Filter %s must have exactly one value."
	msgListFilterValue  = awsPrefix + "Value %s is not valid for filter %s."
	msgListDefARNStar   = awsPrefix + "Asterisk (*) isn't supported when the job definition ARN is used."
	msgListStatus       = awsPrefix + "jobStatus %s is not valid."
	msgListMaxResults   = awsPrefix + "maxResults must be at least 1."
	msgListNextToken    = awsPrefix + "nextToken is not valid."
)

// validJobName reports whether name is a job name AWS accepts: 1 to 128
// letters, digits, hyphens and underscores, the first a letter or digit
// (SubmitJob, jobName).
func validJobName(name string) bool {
	if len(name) == 0 || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '_') {
			return false
		}
	}
	return true
}

// SubmitJob submits a job to a queue from a job definition (AWS Batch API,
// SubmitJob). The job is stored SUBMITTED, durably, before SubmitJob
// returns; the evaluator (Advance, Run) moves it on.
//
// The queue and the definition are named by name, name:revision (the
// definition) or ARN; a definition without revision is its latest ACTIVE
// one. A queue with a scheduling policy needs shareIdentifier and a
// scheduling priority (the definition's or schedulingPriorityOverride);
// one without takes no shareIdentifier. dependsOn names up to
// Limits.DependsOn existing jobs; SEQUENTIAL (no jobId) and N_TO_N (an
// array job of the same size) are for array jobs only.
//
// One store Update per call, which writes four small entries: the job,
// its kindJobIdx and kindJobEval entries, and a kindDeps entry per
// dependency.
func (s *Service) SubmitJob(ctx context.Context, in *SubmitJobRequest) (*SubmitJobResponse, error) {
	if err := s.checkSubmit(in); err != nil {
		return nil, err
	}
	var out *SubmitJobResponse
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		if out, err = s.submitTx(tx, in); err != nil {
			return err
		}
		return tx.Notify(TopicJobs)
	})
	if err != nil {
		return nil, err
	}
	s.wakeEvaluator()
	return out, nil
}

// checkSubmit checks what needs no store.
func (s *Service) checkSubmit(in *SubmitJobRequest) error {
	if !validJobName(in.JobName) {
		return clientError(msgJobName)
	}
	if lim := s.limits.SubmitJobBytes; lim > 0 {
		if b, err := json.Marshal(in); err == nil && len(b) > lim {
			return clientError(msgJobSize, lim/1024, (len(b)+1023)/1024)
		}
	}
	if in.SchedulingPriorityOverride != nil && (*in.SchedulingPriorityOverride < 0 || *in.SchedulingPriorityOverride > 9999) {
		return clientError(msgPriorityRange)
	}
	size := int32(0)
	if in.ArrayProperties != nil && in.ArrayProperties.Size != nil {
		size = *in.ArrayProperties.Size
		if size < 2 || size > 10000 {
			return clientError(msgArraySize)
		}
	}
	if in.Timeout != nil && in.Timeout.AttemptDurationSeconds != nil && *in.Timeout.AttemptDurationSeconds < 60 {
		return clientError(msgTimeout)
	}
	// The retry strategy of a submission is the same RetryStrategy shape
	// as a definition's (API reference, SubmitJob retryStrategy: "When a
	// retry strategy is specified here, it overrides the retry strategy
	// defined in the job definition"): checked by the same rules, with
	// evaluateOnExit's action case-insensitive ("The values aren't case
	// sensitive", EvaluateOnExit).
	if err := checkRetryStrategy(in.RetryStrategy); err != nil {
		return err
	}
	if o := in.ContainerOverrides; o != nil {
		for _, e := range o.Environment {
			if strings.HasPrefix(deref(e.Name), "AWS_BATCH") {
				return clientError(msgEnvReserved, deref(e.Name))
			}
		}
		seen := map[string]bool{}
		for i, rr := range o.ResourceRequirements {
			switch rr.Type {
			case ResourceTypeVcpu, ResourceTypeMemory, ResourceTypeGpu:
			default:
				return clientError(msgOverrideType, i, rr.Type)
			}
			if seen[rr.Type] {
				return clientError(msgOverrideTwice, rr.Type)
			}
			seen[rr.Type] = true
			why := resourceValue(rr.Type, rr.Value)
			if m, err := strconv.Atoi(rr.Value); why == "" && rr.Type == ResourceTypeMemory && (err != nil || m < minMemoryMiB) {
				why = "must be at least " + strconv.Itoa(minMemoryMiB) + " MiB"
			}
			if why != "" {
				return clientError(msgOverrideValue, i, rr.Value, rr.Type, why)
			}
		}
		if o.Vcpus != nil && *o.Vcpus < 1 {
			return clientError(msgOverrideVcpus)
		}
		if o.Memory != nil && *o.Memory < minMemoryMiB {
			return clientError(msgOverrideMemory, minMemoryMiB)
		}
	}
	if len(in.DependsOn) > s.limits.DependsOn {
		return clientError(msgDependsOnTooMany, s.limits.DependsOn)
	}
	for _, d := range in.DependsOn {
		switch d.Type {
		case ArrayJobDependencySequential:
			if deref(d.JobId) != "" {
				return clientError(msgSequentialJobID)
			}
			if size == 0 {
				return clientError(msgSequentialArray)
			}
		case ArrayJobDependencyNToN:
			if deref(d.JobId) == "" {
				return clientError(msgDepNoJobID, d.Type)
			}
			if size == 0 {
				return clientError(msgNToNArray)
			}
		default:
			if deref(d.JobId) == "" {
				return clientError(msgDepNoJobID, "STANDARD")
			}
		}
	}
	return nil
}

// submitTx checks a submission against the store and, when it passes,
// writes it: the job document, its SUBMITTED entry in kindJobIdx, its
// kindJobEval entry and a kindDeps entry per dependency. It reads
// everything before it writes anything: an *Error means nothing was
// written.
func (s *Service) submitTx(tx store.Tx, in *SubmitJobRequest) (*SubmitJobResponse, error) {
	gen := s.gen.Load() // before anything is read (cache.go)
	q, err := s.cachedQueue(tx, gen, in.JobQueue)
	if err != nil {
		return nil, s.queueError(err, in.JobQueue)
	}
	if q.State != "" && q.State != JQStateEnabled {
		return nil, clientError(msgQueueDisabled, q.JobQueueArn)
	}
	def, err := s.cachedDefinition(tx, gen, in.JobDefinition)
	if err == nil && deref(def.Status) != "" && deref(def.Status) != "ACTIVE" {
		err = fmt.Errorf("job definition %q is %s: %w", in.JobDefinition, deref(def.Status), store.ErrNotFound)
	}
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if strings.HasPrefix(in.JobDefinition, "arn:") || strings.Contains(in.JobDefinition, ":") {
			return nil, clientError(msgDefNotFound, in.JobDefinition)
		}
		return nil, clientError(msgDefNameNotFound, in.JobDefinition)
	}
	if err := checkPlatform(q, def); err != nil {
		return nil, err
	}
	fair := deref(q.SchedulingPolicyArn) != ""
	switch {
	case fair && deref(in.ShareIdentifier) == "":
		return nil, clientError(msgShareRequired)
	case fair && in.SchedulingPriorityOverride == nil && def.SchedulingPriority == nil:
		return nil, clientError(msgPriorityRequired)
	case !fair && in.ShareIdentifier != nil:
		return nil, clientError(msgShareNotAllowed)
	}
	size := int32(0)
	if in.ArrayProperties != nil && in.ArrayProperties.Size != nil {
		size = *in.ArrayProperties.Size
	}
	t := s.newJobTx(tx)
	for _, d := range in.DependsOn {
		id := deref(d.JobId)
		if id == "" {
			continue // SEQUENTIAL
		}
		ok, depSize, err := t.exists(id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, clientError(msgDepNotFound, id)
		}
		if d.Type == ArrayJobDependencyNToN && depSize != size {
			return nil, clientError(msgNToNSize, id)
		}
	}

	// Checked: from here on only writes.
	r := &jobRecord{
		ID:            newJobID(),
		Status:        JobStatusSubmitted,
		CreatedAt:     t.now,
		Name:          in.JobName,
		Queue:         q.JobQueueName,
		Def:           def.JobDefinitionName,
		Rev:           deref(def.Revision),
		Share:         in.ShareIdentifier,
		Priority:      in.SchedulingPriorityOverride,
		Params:        in.Parameters,
		Overrides:     in.ContainerOverrides,
		Retry:         in.RetryStrategy,
		Timeout:       in.Timeout,
		Tags:          in.Tags,
		PropagateTags: in.PropagateTags,
		DependsOn:     in.DependsOn,
		Size:          size,
	}
	if r.Priority == nil && fair {
		if p := def.SchedulingPriority; p != nil {
			v := *p // def is shared through the cache (cache.go)
			r.Priority = &v
		}
	}
	t.create(r)
	if err := t.flush(); err != nil {
		return nil, err
	}
	if err := tx.Put(kindJobEval, pad20(r.CreatedAt)+"\x00"+r.ID, nil); err != nil {
		return nil, err
	}
	for _, d := range in.DependsOn {
		if id := deref(d.JobId); id != "" {
			if err := tx.Put(kindDeps, depsKey(id, r.ID), nil); err != nil {
				return nil, err
			}
		}
	}
	return &SubmitJobResponse{JobArn: ptrIf(s.JobARN(r.ID)), JobName: r.Name, JobId: r.ID}, nil
}

// exists reports whether a job exists, and its array size (0: no array
// job). An array child exists once its parent does, spawned or not.
func (t *jobTx) exists(id string) (bool, int32, error) {
	l, err := t.get(id)
	if err != nil {
		return false, 0, err
	}
	if l != nil {
		return true, l.rec.Size, nil
	}
	parent, index, ok := splitChildID(id)
	if !ok {
		return false, 0, nil
	}
	p, err := t.get(parent)
	if err != nil || p == nil {
		return false, 0, err
	}
	return index < p.rec.Size, 0, nil
}

// checkPlatform refuses a job whose definition cannot run on the queue's
// compute environments: a Fargate definition (platformCapabilities
// FARGATE) on a queue of EC2 or SPOT environments, or an EC2 one (EC2, the
// default when none is given) on a queue of FARGATE or FARGATE_SPOT ones.
// The API reference makes the two kinds disjoint: RegisterJobDefinition,
// platformCapabilities ("Jobs run on Fargate resources specify FARGATE");
// CreateJobQueue, computeEnvironmentOrder ("All of the compute
// environments must be either EC2 (EC2 or SPOT) or Fargate (FARGATE or
// FARGATE_SPOT); EC2 and Fargate compute environments can't be mixed");
// the User Guide, "Job queues on Fargate". AWS refuses such a submission with a
// ClientException; its wording was not found (searched: AWS docs, GitHub
// issues for "SubmitJob" with FARGATE/EC2 platformCapabilities and job
// queue, SDK and moto/localstack code; again docs, issues, code, moto
// 2026-12), so msgPlatform's wording is inferred.
func checkPlatform(q *JobQueueDetail, def *JobDefinition) error {
	if q.JobQueueType != JobQueueTypeEcs && q.JobQueueType != JobQueueTypeEcsFargate {
		return nil // EKS queues take EKS definitions; checked elsewhere or not at all
	}
	caps := def.PlatformCapabilities
	if len(caps) == 0 {
		caps = []string{PlatformCapabilityEc2}
	}
	onFargate := q.JobQueueType == JobQueueTypeEcsFargate
	want := PlatformCapabilityEc2
	ceType := "EC2 or SPOT"
	if onFargate {
		want, ceType = PlatformCapabilityFargate, "FARGATE or FARGATE_SPOT"
	}
	if slices.Contains(caps, want) {
		return nil
	}
	return clientError(msgPlatform, def.JobDefinitionArn, "["+strings.Join(caps, ", ")+"]", q.JobQueueArn, ceType)
}
