package server

import (
	"fmt"
	"strconv"
	"strings"

	"batchd/internal/batch"
)

// batchOps is AWS Batch's operation table (API Reference 2016-08-10;
// actions, resources and condition keys from "Actions, resources, and
// condition keys for AWS Batch", restated in shared/reference/batch-authz.md).
var batchOps = map[string]op{
	"CreateComputeEnvironment": jsonOp("batch:CreateComputeEnvironment",
		func(c *Call, in *batch.CreateComputeEnvironmentRequest) error {
			arn := c.batch().ComputeEnvironmentARN(in.ComputeEnvironmentName)
			if err := c.authorizeTagged("batch:CreateComputeEnvironment", arn, in.Tags, nil); err != nil {
				return err
			}
			if cr := in.ComputeResources; cr != nil && len(cr.Tags) > 0 {
				if err := c.Authorize("batch:SetCapacityTags", arn, withKeys(tagMapKeys(cr.Tags))); err != nil {
					return err
				}
			}
			if in.ServiceRole != nil {
				if err := c.passRole(*in.ServiceRole, "batch.amazonaws.com"); err != nil {
					return err
				}
			}
			if cr := in.ComputeResources; cr != nil && cr.InstanceRole != nil {
				if err := c.passRole(instanceProfileRole(c, *cr.InstanceRole), "ec2.amazonaws.com"); err != nil {
					return err
				}
			}
			// A SPOT environment's fleet role goes to Spot Fleet (the
			// authorization reference's spotfleet.amazonaws.com).
			if cr := in.ComputeResources; cr != nil && cr.SpotIamFleetRole != nil && *cr.SpotIamFleetRole != "" {
				if err := c.passRole(*cr.SpotIamFleetRole, "spotfleet.amazonaws.com"); err != nil {
					return err
				}
			}
			return nil
		},
		func(c *Call, in *batch.CreateComputeEnvironmentRequest) (any, error) {
			return c.batch().CreateComputeEnvironment(c.Ctx, in)
		}),
	"UpdateComputeEnvironment": jsonOp("batch:UpdateComputeEnvironment",
		func(c *Call, in *batch.UpdateComputeEnvironmentRequest) error {
			if err := c.authorizeExisting("batch:UpdateComputeEnvironment", c.batch().ComputeEnvironmentARNOf(in.ComputeEnvironment), nil); err != nil {
				return err
			}
			if in.ServiceRole != nil {
				if err := c.passRole(*in.ServiceRole, "batch.amazonaws.com"); err != nil {
					return err
				}
			}
			if cr := in.ComputeResources; cr != nil && cr.InstanceRole != nil {
				return c.passRole(instanceProfileRole(c, *cr.InstanceRole), "ec2.amazonaws.com")
			}
			return nil
		},
		func(c *Call, in *batch.UpdateComputeEnvironmentRequest) (any, error) {
			return c.batch().UpdateComputeEnvironment(c.Ctx, in)
		}),
	"DeleteComputeEnvironment": jsonOp("batch:DeleteComputeEnvironment",
		func(c *Call, in *batch.DeleteComputeEnvironmentRequest) error {
			return c.authorizeExisting("batch:DeleteComputeEnvironment", c.batch().ComputeEnvironmentARNOf(in.ComputeEnvironment), nil)
		},
		func(c *Call, in *batch.DeleteComputeEnvironmentRequest) (any, error) {
			return c.batch().DeleteComputeEnvironment(c.Ctx, in)
		}),
	"DescribeComputeEnvironments": jsonOp("batch:DescribeComputeEnvironments", nil,
		func(c *Call, in *batch.DescribeComputeEnvironmentsRequest) (any, error) {
			return c.batch().DescribeComputeEnvironments(c.Ctx, in)
		}),

	"CreateJobQueue": jsonOp("batch:CreateJobQueue",
		func(c *Call, in *batch.CreateJobQueueRequest) error {
			arn := c.batch().JobQueueARN(in.JobQueueName)
			if err := c.authorizeTagged("batch:CreateJobQueue", arn, in.Tags, nil); err != nil {
				return err
			}
			return c.authorizeQueueRefs("batch:CreateJobQueue", in.ComputeEnvironmentOrder, in.SchedulingPolicyArn, tagMapKeys(in.Tags))
		},
		func(c *Call, in *batch.CreateJobQueueRequest) (any, error) {
			return c.batch().CreateJobQueue(c.Ctx, in)
		}),
	"UpdateJobQueue": jsonOp("batch:UpdateJobQueue",
		func(c *Call, in *batch.UpdateJobQueueRequest) error {
			if err := c.authorizeExisting("batch:UpdateJobQueue", c.batch().JobQueueARNOf(in.JobQueue), nil); err != nil {
				return err
			}
			return c.authorizeQueueRefs("batch:UpdateJobQueue", in.ComputeEnvironmentOrder, in.SchedulingPolicyArn, nil)
		},
		func(c *Call, in *batch.UpdateJobQueueRequest) (any, error) {
			return c.batch().UpdateJobQueue(c.Ctx, in)
		}),
	"DeleteJobQueue": jsonOp("batch:DeleteJobQueue",
		func(c *Call, in *batch.DeleteJobQueueRequest) error {
			return c.authorizeExisting("batch:DeleteJobQueue", c.batch().JobQueueARNOf(in.JobQueue), nil)
		},
		func(c *Call, in *batch.DeleteJobQueueRequest) (any, error) {
			return c.batch().DeleteJobQueue(c.Ctx, in)
		}),
	"DescribeJobQueues": jsonOp("batch:DescribeJobQueues", nil,
		func(c *Call, in *batch.DescribeJobQueuesRequest) (any, error) {
			return c.batch().DescribeJobQueues(c.Ctx, in)
		}),
	"GetJobQueueSnapshot": jsonOp("batch:GetJobQueueSnapshot",
		func(c *Call, in *batch.GetJobQueueSnapshotRequest) error {
			return c.authorizeExisting("batch:GetJobQueueSnapshot", c.batch().JobQueueARNOf(in.JobQueue), nil)
		},
		func(c *Call, in *batch.GetJobQueueSnapshotRequest) (any, error) {
			return c.batch().GetJobQueueSnapshot(c.Ctx, in)
		}),

	"RegisterJobDefinition": jsonOp("batch:RegisterJobDefinition",
		func(c *Call, in *batch.RegisterJobDefinitionRequest) error {
			arn := c.batch().JobDefinitionNameARN(in.JobDefinitionName)
			if err := c.authorizeTagged("batch:RegisterJobDefinition", arn, in.Tags, jobDefinitionKeys(in)); err != nil {
				return err
			}
			for _, role := range jobDefinitionRoles(in) {
				if err := c.passRole(role, "ecs-tasks.amazonaws.com"); err != nil {
					return err
				}
			}
			return nil
		},
		func(c *Call, in *batch.RegisterJobDefinitionRequest) (any, error) {
			return c.batch().RegisterJobDefinition(c.Ctx, in)
		}),
	"DeregisterJobDefinition": jsonOp("batch:DeregisterJobDefinition",
		func(c *Call, in *batch.DeregisterJobDefinitionRequest) error {
			_, rev, found, err := c.batch().JobDefinitionARNs(c.Ctx, in.JobDefinition)
			if err != nil {
				return err
			}
			if !found {
				// AWS authorizes before it looks the definition up: an
				// unknown one is authorized on the ARN the reference
				// names, and the handler then reports it.
				rev = in.JobDefinition
				if !strings.HasPrefix(rev, "arn:") {
					rev = c.batch().JobDefinitionNameARN(rev)
				}
			}
			return c.authorizeExisting("batch:DeregisterJobDefinition", rev, nil)
		},
		func(c *Call, in *batch.DeregisterJobDefinitionRequest) (any, error) {
			return c.batch().DeregisterJobDefinition(c.Ctx, in)
		}),
	"DescribeJobDefinitions": jsonOp("batch:DescribeJobDefinitions", nil,
		func(c *Call, in *batch.DescribeJobDefinitionsRequest) (any, error) {
			return c.batch().DescribeJobDefinitions(c.Ctx, in)
		}),

	// SubmitJob is allowed when the job queue and the job definition are
	// each allowed, with the request's keys in each evaluation; an explicit
	// Deny of the new job (job/*) refuses it too, but no Allow of it is
	// needed. The User Guide's own SubmitJob examples ("Resource: Restrict
	// to a job queue", "Restrict to job definition prefix on job
	// submission", "Restrict job submission by resource tags on job
	// definition and job queue", "Accounting for job definition
	// revisions") allow on the queue and the definition alone: "you must
	// provide both job queue and job definition resource types". The
	// definition's ARN and tags follow the tagging page (batch.SubmitTargets).
	"SubmitJob": jsonOp("batch:SubmitJob",
		func(c *Call, in *batch.SubmitJobRequest) error {
			b := c.batch()
			keys := withKeys(tagMapKeys(in.Tags), submitJobKeys(in))
			targets, err := c.submitTargets(in.JobQueue, in.JobDefinition)
			if err != nil {
				return err
			}
			if err := c.Authorize("batch:SubmitJob", targets.QueueARN, withKeys(keys, batchTagKeys(targets.QueueTags))); err != nil {
				return err
			}
			if err := c.Authorize("batch:SubmitJob", targets.DefinitionARN, withKeys(keys, batchTagKeys(targets.DefinitionTags))); err != nil {
				return err
			}
			if err := c.authorizeUnlessDenied("batch:SubmitJob", b.JobARN("*"), keys); err != nil {
				return err
			}
			if len(in.Tags) > 0 {
				return c.Authorize("batch:TagResource", b.JobARN("*"), tagMapKeys(in.Tags))
			}
			return nil
		},
		func(c *Call, in *batch.SubmitJobRequest) (any, error) {
			// The job size quota is the domain's (batch.Limits.SubmitJobBytes).
			return c.batch().SubmitJob(c.Ctx, in)
		}),
	"DescribeJobs": jsonOp("batch:DescribeJobs", nil,
		func(c *Call, in *batch.DescribeJobsRequest) (any, error) { return c.batch().DescribeJobs(c.Ctx, in) }),
	"ListJobs": jsonOp("batch:ListJobs", nil,
		func(c *Call, in *batch.ListJobsRequest) (any, error) { return c.batch().ListJobs(c.Ctx, in) }),
	"CancelJob": jsonOp("batch:CancelJob",
		func(c *Call, in *batch.CancelJobRequest) error { return c.authorizeJob("batch:CancelJob", in.JobId) },
		func(c *Call, in *batch.CancelJobRequest) (any, error) { return c.batch().CancelJob(c.Ctx, in) }),
	"TerminateJob": jsonOp("batch:TerminateJob",
		func(c *Call, in *batch.TerminateJobRequest) error {
			return c.authorizeJob("batch:TerminateJob", in.JobId)
		},
		func(c *Call, in *batch.TerminateJobRequest) (any, error) { return c.batch().TerminateJob(c.Ctx, in) }),

	"CreateSchedulingPolicy": jsonOp("batch:CreateSchedulingPolicy",
		func(c *Call, in *batch.CreateSchedulingPolicyRequest) error {
			return c.authorizeTagged("batch:CreateSchedulingPolicy", c.batch().SchedulingPolicyARN(in.Name), in.Tags, nil)
		},
		func(c *Call, in *batch.CreateSchedulingPolicyRequest) (any, error) {
			return c.batch().CreateSchedulingPolicy(c.Ctx, in)
		}),
	"UpdateSchedulingPolicy": jsonOp("batch:UpdateSchedulingPolicy",
		func(c *Call, in *batch.UpdateSchedulingPolicyRequest) error {
			return c.authorizeExisting("batch:UpdateSchedulingPolicy", in.Arn, nil)
		},
		func(c *Call, in *batch.UpdateSchedulingPolicyRequest) (any, error) {
			return c.batch().UpdateSchedulingPolicy(c.Ctx, in)
		}),
	"DeleteSchedulingPolicy": jsonOp("batch:DeleteSchedulingPolicy",
		func(c *Call, in *batch.DeleteSchedulingPolicyRequest) error {
			return c.authorizeExisting("batch:DeleteSchedulingPolicy", in.Arn, nil)
		},
		func(c *Call, in *batch.DeleteSchedulingPolicyRequest) (any, error) {
			return c.batch().DeleteSchedulingPolicy(c.Ctx, in)
		}),
	"DescribeSchedulingPolicies": jsonOp("batch:DescribeSchedulingPolicies", nil,
		func(c *Call, in *batch.DescribeSchedulingPoliciesRequest) (any, error) {
			return c.batch().DescribeSchedulingPolicies(c.Ctx, in)
		}),
	"ListSchedulingPolicies": jsonOp("batch:ListSchedulingPolicies", nil,
		func(c *Call, in *batch.ListSchedulingPoliciesRequest) (any, error) {
			return c.batch().ListSchedulingPolicies(c.Ctx, in)
		}),

	"TagResource": jsonOp("batch:TagResource",
		func(c *Call, in *batch.TagResourceRequest) error {
			return c.authorizeExisting("batch:TagResource", in.ResourceArn, tagMapKeys(in.Tags))
		},
		func(c *Call, in *batch.TagResourceRequest) (any, error) { return c.batch().TagResource(c.Ctx, in) }),
	"UntagResource": jsonOp("batch:UntagResource",
		func(c *Call, in *batch.UntagResourceRequest) error {
			return c.authorizeExisting("batch:UntagResource", in.ResourceArn, map[string][]string{"aws:TagKeys": in.TagKeys})
		},
		func(c *Call, in *batch.UntagResourceRequest) (any, error) { return c.batch().UntagResource(c.Ctx, in) }),
	"ListTagsForResource": jsonOp("batch:ListTagsForResource",
		func(c *Call, in *batch.ListTagsForResourceRequest) error {
			return c.authorizeExisting("batch:ListTagsForResource", in.ResourceArn, nil)
		},
		func(c *Call, in *batch.ListTagsForResourceRequest) (any, error) {
			return c.batch().ListTagsForResource(c.Ctx, in)
		}),
}

func (c *Call) batch() *batch.Service { return c.srv.cfg.Batch }

// submitJobKeys are SubmitJob's own condition keys: batch:ShareIdentifier
// and, from an EKS override, batch:EKSImage and batch:EKSNamespace.
func submitJobKeys(in *batch.SubmitJobRequest) map[string][]string {
	keys := map[string][]string{}
	if in.ShareIdentifier != nil {
		keys["batch:ShareIdentifier"] = []string{*in.ShareIdentifier}
	}
	if o := in.EksPropertiesOverride; o != nil && o.PodProperties != nil {
		for _, ct := range o.PodProperties.Containers {
			if ct.Image != nil {
				keys["batch:EKSImage"] = append(keys["batch:EKSImage"], *ct.Image)
			}
		}
		if md := o.PodProperties.Metadata; md != nil && md.Namespace != nil {
			keys["batch:EKSNamespace"] = []string{*md.Namespace}
		}
	}
	return keys
}

// tagMapKeys is aws:RequestTag/K and aws:TagKeys for tags given on a create
// or tag call.
func tagMapKeys(tags map[string]string) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	m := map[string][]string{}
	var keys []string
	for k, v := range tags {
		m["aws:RequestTag/"+k] = []string{v}
		keys = append(keys, k)
	}
	m["aws:TagKeys"] = keys
	return m
}

// authorizeTagged authorizes a create on arn with its request tags and
// extra keys; a create with tags is also authorized for batch:TagResource,
// as AWS does.
func (c *Call) authorizeTagged(action, arn string, tags map[string]string, extra map[string][]string) error {
	if err := c.Authorize(action, arn, withKeys(tagMapKeys(tags), extra)); err != nil {
		return err
	}
	if len(tags) > 0 {
		return c.Authorize("batch:TagResource", arn, tagMapKeys(tags))
	}
	return nil
}

// authorizeExisting authorizes action on an existing resource with its
// tags as aws:ResourceTag/K.
func (c *Call) authorizeExisting(action, arn string, extra map[string][]string) error {
	tags, err := c.resourceTags(arn)
	if err != nil {
		// Never a decision on partial context: a Deny conditioned on a
		// tag must hold when the tags cannot be read.
		return fmt.Errorf("reading the tags of %s: %w", arn, err)
	}
	return c.Authorize(action, arn, withKeys(extra, batchTagKeys(tags)))
}

// batchTagKeys is aws:ResourceTag/K for a Batch resource's tags.
func batchTagKeys(tags map[string]string) map[string][]string {
	m := make(map[string][]string, len(tags))
	for k, v := range tags {
		m["aws:ResourceTag/"+k] = []string{v}
	}
	return m
}

// authorizeJob authorizes action on a job by ID, with its tags.
func (c *Call) authorizeJob(action, jobID string) error {
	tags, err := c.jobTags(jobID)
	if err != nil {
		return fmt.Errorf("reading the tags of job %s: %w", jobID, err)
	}
	return c.Authorize(action, c.batch().JobARN(jobID), batchTagKeys(tags))
}

// authorizeQueueRefs authorizes a queue's create or update on the compute
// environments and the scheduling policy it names.
func (c *Call) authorizeQueueRefs(action string, order []batch.ComputeEnvironmentOrder, policyARN *string, requestKeys map[string][]string) error {
	for _, o := range order {
		if err := c.authorizeExisting(action, c.batch().ComputeEnvironmentARNOf(o.ComputeEnvironment), requestKeys); err != nil {
			return err
		}
	}
	if policyARN != nil {
		return c.authorizeExisting(action, *policyARN, requestKeys)
	}
	return nil
}

// passRole authorizes iam:PassRole on a role a request hands to a service
// (IAM User Guide, "Granting a user permissions to pass a role").
func (c *Call) passRole(role, service string) error {
	arn := role
	if !strings.HasPrefix(role, "arn:") {
		// A name may carry its path, "/foo/bar" (API Reference,
		// serviceRole): the role is arn:...:role/foo/bar, as Batch
		// records it.
		arn = c.iamARN("role/" + strings.TrimPrefix(role, "/"))
	}
	return c.Authorize("iam:PassRole", arn, map[string][]string{"iam:PassedToService": {service}})
}

// instanceProfileRole is the role behind an instance profile named by name
// or ARN (a compute environment's instanceRole), or the profile's own ARN
// when it has none.
func instanceProfileRole(c *Call, profile string) string {
	name := profile[strings.LastIndexByte(profile, '/')+1:]
	d, err := c.srv.cfg.IAM.GetInstanceProfile(c.Ctx, name)
	if err != nil {
		c.lookupFailed(err)
		return profile
	}
	if len(d.Roles) > 0 {
		return d.Roles[0].ARN
	}
	return profile
}

// jobDefinitionRoles are the IAM roles a job definition hands to ECS
// tasks: jobRoleArn and executionRoleArn of its container, of each node
// range's container, and taskRoleArn and executionRoleArn of each
// ecsProperties task — every role the domain checks exists.
func jobDefinitionRoles(in *batch.RegisterJobDefinitionRequest) []string {
	var out []string
	add := func(roles ...*string) {
		for _, r := range roles {
			if r != nil && *r != "" {
				out = append(out, *r)
			}
		}
	}
	ecs := func(p *batch.EcsProperties) {
		if p != nil {
			for _, t := range p.TaskProperties {
				add(t.TaskRoleArn, t.ExecutionRoleArn)
			}
		}
	}
	if cp := in.ContainerProperties; cp != nil {
		add(cp.JobRoleArn, cp.ExecutionRoleArn)
	}
	ecs(in.EcsProperties)
	if np := in.NodeProperties; np != nil {
		for _, nr := range np.NodeRangeProperties {
			if nr.Container != nil {
				add(nr.Container.JobRoleArn, nr.Container.ExecutionRoleArn)
			}
			ecs(nr.EcsProperties)
		}
	}
	return out
}

// jobDefinitionKeys are the condition keys RegisterJobDefinition sets from
// the definition (batch:User, batch:Privileged, batch:Image, batch:LogDriver,
// batch:AWSLogs*, batch:EKS*).
func jobDefinitionKeys(in *batch.RegisterJobDefinitionRequest) map[string][]string {
	m := map[string][]string{}
	add := func(k, v string) { m[k] = append(m[k], v) }
	if cp := in.ContainerProperties; cp != nil {
		if cp.Image != nil {
			add("batch:Image", *cp.Image)
		}
		if cp.User != nil {
			add("batch:User", *cp.User)
		}
		add("batch:Privileged", strconv.FormatBool(cp.Privileged != nil && *cp.Privileged))
		if lc := cp.LogConfiguration; lc != nil {
			add("batch:LogDriver", lc.LogDriver)
			for opt, key := range map[string]string{"awslogs-group": "batch:AWSLogsGroup", "awslogs-region": "batch:AWSLogsRegion", "awslogs-stream-prefix": "batch:AWSLogsStreamPrefix", "awslogs-create-group": "batch:AWSLogsCreateGroup"} {
				if v, ok := lc.Options[opt]; ok {
					add(key, v)
				}
			}
		}
	}
	if ep := in.EksProperties; ep != nil && ep.PodProperties != nil {
		pp := ep.PodProperties
		if pp.ServiceAccountName != nil {
			add("batch:EKSServiceAccountName", *pp.ServiceAccountName)
		}
		if pp.Metadata != nil && pp.Metadata.Namespace != nil {
			add("batch:EKSNamespace", *pp.Metadata.Namespace)
		}
		for _, ct := range pp.Containers {
			add("batch:EKSImage", ct.Image)
			if sc := ct.SecurityContext; sc != nil {
				add("batch:EKSPrivileged", strconv.FormatBool(sc.Privileged != nil && *sc.Privileged))
				if sc.RunAsUser != nil {
					add("batch:EKSRunAsUser", strconv.FormatInt(*sc.RunAsUser, 10))
				}
				if sc.RunAsGroup != nil {
					add("batch:EKSRunAsGroup", strconv.FormatInt(*sc.RunAsGroup, 10))
				}
			}
		}
	}
	return m
}
