// Package scheduler owns dispatch: it turns RUNNABLE jobs into running
// attempts on an executor, acting only through the roles it was given, and
// records how each attempt ends (AWS Batch User Guide, "Job states", "Job
// scheduling", "Fair share scheduling policies", "Automated job retries",
// "Job timeouts", "Array jobs", "Jobs stuck in a RUNNABLE status").
//
// # Job states
//
// Package batch moves a job SUBMITTED → PENDING → RUNNABLE (dependencies,
// array children). From RUNNABLE on the job is the scheduler's:
//
//	RUNNABLE ──dispatch──▶ STARTING ──process started──▶ RUNNING ──exit──▶ SUCCEEDED | FAILED
//	   ▲                                                               │
//	   └──────────── a failed attempt with attempts left ◀─────────────┘
//
// An attempt is one dispatch: MarkStarting, the executor's Start,
// MarkRunning with the log stream, and MarkFinished with the attempt's
// container (exit code, reason, log stream, startedAt, stoppedAt). The
// executor prepares the attempt (its sandbox or container; the local
// executor forks and execs the job, stopped) while MarkStarting commits,
// and lets the job's code run only once it has (executor.Spec.Ready). RUNNING is recorded 20 ms after the process
// started (with the start's time); an attempt that ends sooner is recorded
// RUNNING and ended in one write. The attempt's capacity goes back as soon
// as its process ended; its last output and its end are written after, in
// one transaction (LogSink.AppendWith; the output alone first, should
// that write fail), which may share a group commit with the next
// attempt's MarkStarting. Its log
// stream is made by the first write of its output (100 ms after the start
// at the latest), not before the start. Exit 0
// is SUCCEEDED; any other end is FAILED unless retryStrategy gives another
// attempt: evaluateOnExit's first matching condition (onStatusReason,
// onReason, onExitCode: exact, or a prefix with a trailing '*') decides
// RETRY or EXIT, and with none matching the job is retried while attempts
// remain (batch.MarkFinished applies this). The job's statusReason is AWS's:
//
//   - "Essential container in task exited" when the process exited;
//   - "Task failed to start" when its command could not be started (the
//     container's reason is then "CannotStartContainerError: ...");
//   - "Job attempt duration exceeded timeout" when it ran longer than
//     timeout.attemptDurationSeconds: it gets SIGTERM, then SIGKILL after
//     30 seconds, and is not retried ("Job timeouts");
//   - TerminateJob's reason when it was terminated (SIGTERM, SIGKILL after
//     30 seconds; not retried);
//   - "Host EC2 (instance batchd) terminated." when batchd stopped (or
//     died) while the attempt ran. AWS gives "Host EC2 (instance i-...)
//     terminated." when the instance under a job goes away; batchd keeps
//     the form so that the retry rules written for that case
//     (onStatusReason "Host EC2*" → RETRY) apply to a batchd restart too.
//     The instance is Config.Instance ("batchd" alone on a store; the
//     replica's ID among replicas). At start, Run (RunAfter, on a replica
//     that takes the lead from another) ends every attempt a previous
//     batchd left STARTING or RUNNING that way, naming it, after removing
//     what those attempts left running on a shared engine
//     (executor.Reclaimer), before it dispatches anything, so that no job
//     runs twice at once. Run's context ended with ErrAbandon (the
//     replica lost the lead) kills its attempts at once.
//
// # Dispatch order
//
// Passes are driven by events: at once when Wake is called, when
// Batch.Runnable says jobs became RUNNABLE (the evaluator's, a retry, a
// dependency met) or when Batch.Changes says a compute environment, job
// queue or scheduling policy changed or a job was cancelled or terminated;
// when an attempt ends, at once, or, while the API serves requests
// (Config.APIBusy), 1 ms after the previous pass, so that one pass serves
// several and the requests keep their share of the CPUs; and, as a
// safety net and the clock of
// jobStateTimeLimitActions, every Tick (1 s) unwoken. A pass woken only
// by ends places from what the last read listed of each queue (up to 64
// jobs), since nothing could have come before them; so does one woken by
// jobs made RUNNABLE behind the last job a queue listed (Batch.Runnable
// says where they are: a backlog's new submissions), and one after which
// no queue has room reads nothing; any other wake-up has the next pass
// read again. Whatever woke it, a pass reads the queues and compute
// environments again when Batch.Generation says they were written since
// it last read them: Run takes one wake-up at a time, and a change a
// caller was told of counts for every pass after that. A pass
// reads the job queues that are VALID (DISABLED ones included),
// highest priority first (then by name); for each, its compute
// environments in their order, those ENABLED and VALID; and the queue's
// RUNNABLE jobs, oldest first (array children by index). Within a queue:
//
//   - without a scheduling policy, first in, first out: the job at the head
//     goes to the first compute environment with room for it; when none has
//     room the queue waits (later jobs do not pass it); lower-priority
//     queues are looked at next;
//   - with a fair-share policy, the share identifier with the least usage
//     goes first: usage is the larger of the share's running vCPUs and
//     their average decayed over shareDecaySeconds (0: running vCPUs only),
//     times its weightFactor (default 1; a lower weight gets more: 0.125
//     gets 8 times what 1 gets; a prefix entry "A*" weighs weightFactor
//     times the number of active shares it covers). Within a share, higher
//     schedulingPriority first, then oldest. computeReservation keeps
//     (computeReservation/100)^activeShares of the queue's vCPUs free for
//     share identifiers that are not active yet; a share is active while it
//     has RUNNABLE, STARTING or RUNNING jobs.
//
// A DISABLED queue takes no new jobs (SubmitJob refuses them) but
// dispatches those already in it ("jobs already in the queue can finish",
// API reference, JobQueueDetail state). A DISABLED or INVALID compute environment, and an
// INVALID queue, dispatch nothing new; what runs keeps running.
//
// # Capacity
//
// All compute environments run on this host. A MANAGED environment offers
// min(maxvCpus, host vCPUs), an UNMANAGED one the host's vCPUs; memory and
// GPUs are the host's. The host's vCPUs, memory and GPUs also bound the sum
// over all environments. A job needs what its container asks: the VCPU,
// MEMORY (MiB) and GPU resourceRequirements, else vcpus and memory (1 vCPU
// when it says nothing). A job at the head of its queue that no compute
// environment of the queue could ever hold waits with AWS's statusReason
// "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE - ..." (more vCPUs
// than maxvCpus) or "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT - ..." (more
// than the host has); with every environment INVALID, "ACTION_REQUIRED -
// CE(s) associated with the job queue are invalid.". A job that merely
// waits its turn shows no statusReason, as on AWS. The queue's
// jobStateTimeLimitActions cancel a job that has blocked the queue with
// the action's reason for maxTimeSeconds, with statusReason "Canceled by
// JobStateTimeLimit action due to reason: <reason>".
//
// # The service's own identity
//
// Before it dispatches to a compute environment the scheduler acts as
// batch.amazonaws.com with the environment's service role
// (iam.ServiceSession, session "aws-batch"; the role's trust policy must
// allow it) and authorizes, as that session, ecs:RunTask on
// arn:aws:ecs:REGION:ACCOUNT:task-definition/*, logs:CreateLogStream on
// the log group /aws/batch/job and logs:PutLogEvents on its streams. A
// refusal turns the environment INVALID with statusReason "CLIENT_ERROR - "
// and the AccessDenied message naming the action; nothing is dispatched to
// it until an update makes it VALID and the role passes. The session is
// made again every 10 seconds or when the role changes, and the policy
// decisions are asked again when they are a second old, so that a role
// that loses its permissions stops the dispatch within a second. A compute environment names its
// executor with the tag "batchd:executor" (default "local").
//
// # An attempt
//
// The executor gets the container's command as DescribeJobs shows it
// (overrides applied, Ref:: placeholders substituted), its environment
// (definition, overrides) with PATH and HOME, and AWS Batch's variables
// AWS_BATCH_JOB_ID, AWS_BATCH_JOB_ATTEMPT, AWS_BATCH_JQ_NAME,
// AWS_BATCH_CE_NAME and, for array children, AWS_BATCH_JOB_ARRAY_INDEX and
// AWS_BATCH_JOB_ARRAY_SIZE; AWS_REGION, AWS_DEFAULT_REGION and
// AWS_ENDPOINT_URL point the AWS SDKs at batchd. A job with jobRoleArn
// also gets AWS_CONTAINER_CREDENTIALS_FULL_URI and
// AWS_CONTAINER_AUTHORIZATION_TOKEN, the container credentials protocol
// the SDKs read, serving the role's credentials (assumed as
// ecs-tasks.amazonaws.com, session name the job ID with ':' as '-'); a job
// without one gets no credentials at all. Output goes, a line per event
// with its time, to CloudWatch Logs: log group /aws/batch/job (or the
// awslogs-group option of an awslogs logConfiguration), stream
// "<jobDefinitionName>/default/<attemptId>" (or "<awslogs-stream-prefix>/
// default/<attemptId>"), the stream DescribeJobs shows in
// container.logStreamName and attempts[].container.logStreamName.
//
// # Concurrency
//
// Run owns the scheduler's state: one goroutine runs the passes. A pass
// reads a view in one read transaction (Batch.ReadScheduling: the
// dispatchable queues with their RUNNABLE jobs; then, outside it, which
// compute environments' service roles may do the work, what runs), hands
// it to decide — a pure function, table-tested in plan_test.go — and
// carries out the plan it returns (attempts to start, why the head of a
// queue waits, time-limit cancellations) through batch.Service's
// transitions. Each attempt runs in a
// goroutine Run waits for before it returns; no store transaction is held
// across an executor call. Cancelling Run's context stops every attempt
// (SIGTERM, SIGKILL after the shutdown grace) and records it as above.
package scheduler
