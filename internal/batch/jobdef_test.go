package batch

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"batchd/internal/store"
)

func TestRegisterJobDefinitionValidation(t *testing.T) {
	t.Parallel()
	fargate := func(r *RegisterJobDefinitionRequest) {
		r.PlatformCapabilities = []string{PlatformCapabilityFargate}
		r.ContainerProperties.ResourceRequirements = []ResourceRequirement{{Type: ResourceTypeVcpu, Value: "0.25"}, {Type: ResourceTypeMemory, Value: "512"}}
	}
	cases := []struct {
		name string
		edit func(*RegisterJobDefinitionRequest)
		want string
	}{
		{"name missing", func(r *RegisterJobDefinitionRequest) { r.JobDefinitionName = "" }, execPrefix + "jobDefinitionName is required."},
		{"name bad", func(r *RegisterJobDefinitionRequest) { r.JobDefinitionName = "a:b" }, execPrefix + "Job definition name should match valid pattern"},
		{"type missing", func(r *RegisterJobDefinitionRequest) { r.Type = "" }, execPrefix + "type is required."},
		{"type bad", func(r *RegisterJobDefinitionRequest) { r.Type = "array" }, execPrefix + "type must satisfy enum value set: [container, multinode]."},
		{"platform bad", func(r *RegisterJobDefinitionRequest) { r.PlatformCapabilities = []string{"LAMBDA"} },
			execPrefix + "platformCapabilities[0] must satisfy enum value set: [EC2, FARGATE]."},
		{"no properties", func(r *RegisterJobDefinitionRequest) { r.ContainerProperties = nil },
			execPrefix + "One of containerProperties, ecsProperties or eksProperties is required for a container job definition."},
		{"two properties", func(r *RegisterJobDefinitionRequest) {
			r.EksProperties = &EksProperties{PodProperties: &EksPodProperties{Containers: []EksContainer{{Image: "x"}}}}
		}, execPrefix + "Only one of containerProperties, ecsProperties or eksProperties can be specified."},
		{"node properties on container", func(r *RegisterJobDefinitionRequest) { r.NodeProperties = &NodeProperties{} },
			execPrefix + "nodeProperties is only applicable for multinode job definitions."},
		{"image missing", func(r *RegisterJobDefinitionRequest) { r.ContainerProperties.Image = nil }, execPrefix + "containerProperties.image is required."},
		{"vcpu missing", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties.ResourceRequirements = r.ContainerProperties.ResourceRequirements[1:]
		},
			execPrefix + "vCPU is not provided."},
		{"memory missing", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties.ResourceRequirements = r.ContainerProperties.ResourceRequirements[:1]
		},
			execPrefix + "Memory is not provided."},
		{"vcpus and VCPU", func(r *RegisterJobDefinitionRequest) { r.ContainerProperties.Vcpus = ptrTo(int32(1)) },
			execPrefix + "containerProperties.vcpus and resourceRequirements VCPU cannot both be specified."},
		{"memory and MEMORY", func(r *RegisterJobDefinitionRequest) { r.ContainerProperties.Memory = ptrTo(int32(512)) },
			execPrefix + "containerProperties.memory and resourceRequirements MEMORY cannot both be specified."},
		{"duplicate requirement", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties.ResourceRequirements = append(r.ContainerProperties.ResourceRequirements, ResourceRequirement{Type: ResourceTypeVcpu, Value: "2"})
		}, execPrefix + "containerProperties.resourceRequirements has more than one VCPU."},
		{"requirement type bad", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties.ResourceRequirements[0].Type = "CPU"
		}, execPrefix + "containerProperties.resourceRequirements[0].type must satisfy enum value set: [GPU, VCPU, MEMORY]."},
		{"EC2 fractional vcpu", func(r *RegisterJobDefinitionRequest) { r.ContainerProperties.ResourceRequirements[0].Value = "0.5" },
			execPrefix + "containerProperties.resourceRequirements VCPU must be a whole number of at least 1."},
		{"VCPU 1e300", func(r *RegisterJobDefinitionRequest) { r.ContainerProperties.ResourceRequirements[0].Value = "1e300" },
			execPrefix + `containerProperties.resourceRequirements[0].value "1e300": VCPU must be a decimal number.`},
		{"MEMORY NaN", func(r *RegisterJobDefinitionRequest) { r.ContainerProperties.ResourceRequirements[1].Value = "NaN" },
			execPrefix + `containerProperties.resourceRequirements[1].value "NaN": MEMORY must be a decimal number.`},
		{"VCPU beyond any host", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties.ResourceRequirements[0].Value = "99999999"
		},
			execPrefix + `containerProperties.resourceRequirements[0].value "99999999": VCPU must be more than 0 and at most 1048576.`},
		{"EC2 vcpus zero", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties.ResourceRequirements = r.ContainerProperties.ResourceRequirements[1:]
			r.ContainerProperties.Vcpus = ptrTo(int32(0))
		}, execPrefix + "containerProperties.vcpus must be at least 1."},
		{"memory below 4 MiB", func(r *RegisterJobDefinitionRequest) { r.ContainerProperties.ResourceRequirements[1].Value = "3" },
			execPrefix + "containerProperties.resourceRequirements MEMORY must be a whole number of at least 4 MiB."},
		{"legacy memory below 4 MiB", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties.ResourceRequirements = r.ContainerProperties.ResourceRequirements[:1]
			r.ContainerProperties.Memory = ptrTo(int32(2))
		}, execPrefix + "containerProperties.memory must be at least 4 MiB."},
		{"GPU zero", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties.ResourceRequirements = append(r.ContainerProperties.ResourceRequirements, ResourceRequirement{Type: ResourceTypeGpu, Value: "0"})
		}, execPrefix + "containerProperties.resourceRequirements GPU must be a whole number of at least 1."},
		{"network configuration on EC2", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties.NetworkConfiguration = &NetworkConfiguration{AssignPublicIp: AssignPublicIpEnabled}
		}, execPrefix + "networkConfiguration not applicable for EC2."},
		{"fargate vcpu bad", func(r *RegisterJobDefinitionRequest) {
			fargate(r)
			r.ContainerProperties.ResourceRequirements[0].Value = "3"
		}, execPrefix + "containerProperties.resourceRequirements VCPU value 3 is not supported for Fargate; use 0.25, 0.5, 1, 2, 4, 8 or 16."},
		{"fargate memory bad", func(r *RegisterJobDefinitionRequest) {
			fargate(r)
			r.ContainerProperties.ResourceRequirements[1].Value = "4096"
		}, execPrefix + "containerProperties.resourceRequirements MEMORY value 4096 is not supported for Fargate with 0.25 vCPU."},
		{"fargate vcpus field", func(r *RegisterJobDefinitionRequest) {
			fargate(r)
			r.ContainerProperties.ResourceRequirements = r.ContainerProperties.ResourceRequirements[1:]
			r.ContainerProperties.Vcpus = ptrTo(int32(1))
		}, execPrefix + "vcpus is not applicable for Fargate."},
		{"fargate GPU", func(r *RegisterJobDefinitionRequest) {
			fargate(r)
			r.ContainerProperties.ResourceRequirements = append(r.ContainerProperties.ResourceRequirements, ResourceRequirement{Type: ResourceTypeGpu, Value: "1"})
		}, execPrefix + "GPU is not applicable for Fargate."},
		{"fargate privileged", func(r *RegisterJobDefinitionRequest) {
			fargate(r)
			r.ContainerProperties.Privileged = ptrTo(true)
		}, execPrefix + "privileged is not applicable for Fargate."},
		{"fargate ulimits", func(r *RegisterJobDefinitionRequest) {
			fargate(r)
			r.ContainerProperties.Ulimits = []Ulimit{{Name: "nofile", SoftLimit: ptrTo(int32(1)), HardLimit: ptrTo(int32(1))}}
		}, execPrefix + "ulimits is not applicable for Fargate."},
		{"fargate vcpu missing", func(r *RegisterJobDefinitionRequest) {
			fargate(r)
			r.ContainerProperties.ResourceRequirements = r.ContainerProperties.ResourceRequirements[1:]
		}, execPrefix + "vCPU is not provided."},
		{"reserved environment", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties.Environment = []KeyValuePair{{Name: ptrTo("A"), Value: ptrTo("1")}, {Name: ptrTo("AWS_BATCH_X"), Value: ptrTo("1")}}
		}, execPrefix + "containerProperties.environment[1].name cannot start with AWS_BATCH."},
		{"job role missing", func(r *RegisterJobDefinitionRequest) { r.ContainerProperties.JobRoleArn = ptrTo(testMissingRole) },
			execPrefix + "Role " + testMissingRole + " does not exist."},
		{"execution role missing", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties.ExecutionRoleArn = ptrTo("arn:aws:iam::999999999999:role/other")
		}, execPrefix + "Role arn:aws:iam::999999999999:role/other does not exist."},
		{"retry without attempts", func(r *RegisterJobDefinitionRequest) { r.RetryStrategy = &RetryStrategy{} },
			execPrefix + "RetryAttempts must be provided with retry strategy"},
		{"retry attempts 0", func(r *RegisterJobDefinitionRequest) { r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(0))} },
			execPrefix + "retryStrategy.attempts must be between 1 and 10."},
		{"retry attempts 11", func(r *RegisterJobDefinitionRequest) { r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(11))} },
			execPrefix + "retryStrategy.attempts must be between 1 and 10."},
		{"evaluateOnExit too many", func(r *RegisterJobDefinitionRequest) {
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2)), EvaluateOnExit: make([]EvaluateOnExit, 6)}
		}, execPrefix + "retryStrategy.evaluateOnExit must have length less than or equal to 5."},
		{"evaluateOnExit action missing", func(r *RegisterJobDefinitionRequest) {
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2)), EvaluateOnExit: []EvaluateOnExit{{OnExitCode: ptrTo("1")}}}
		}, execPrefix + "retryStrategy.evaluateOnExit[0].action is required."},
		{"evaluateOnExit action bad", func(r *RegisterJobDefinitionRequest) {
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2)), EvaluateOnExit: []EvaluateOnExit{{Action: "retry"}, {Action: "IGNORE"}}}
		}, execPrefix + "retryStrategy.evaluateOnExit[1].action must satisfy enum value set: [RETRY, EXIT]."},
		{"onExitCode bad", func(r *RegisterJobDefinitionRequest) {
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2)), EvaluateOnExit: []EvaluateOnExit{{Action: "EXIT", OnExitCode: ptrTo("1*2")}}}
		}, execPrefix + `retryStrategy.evaluateOnExit[0].onExitCode must satisfy regular expression pattern: ^[0-9]*\*?$`},
		{"onReason bad", func(r *RegisterJobDefinitionRequest) {
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2)), EvaluateOnExit: []EvaluateOnExit{{Action: "EXIT", OnReason: ptrTo("Out-of-memory*")}}}
		}, execPrefix + `retryStrategy.evaluateOnExit[0].onReason must satisfy regular expression pattern: ^[A-Za-z0-9.:\s]*\*?$`},
		{"onStatusReason too long", func(r *RegisterJobDefinitionRequest) {
			r.RetryStrategy = &RetryStrategy{Attempts: ptrTo(int32(2)), EvaluateOnExit: []EvaluateOnExit{{Action: "EXIT", OnStatusReason: ptrTo(strings.Repeat("a", 513))}}}
		}, execPrefix + "retryStrategy.evaluateOnExit[0].onStatusReason must have length less than or equal to 512."},
		{"timeout too short", func(r *RegisterJobDefinitionRequest) {
			r.Timeout = &JobTimeout{AttemptDurationSeconds: ptrTo(int32(59))}
		},
			execPrefix + "timeout.attemptDurationSeconds must be at least 60 seconds."},
		{"scheduling priority", func(r *RegisterJobDefinitionRequest) { r.SchedulingPriority = ptrTo(int32(10000)) },
			execPrefix + "schedulingPriority must be between 0 and 9999."},
		{"multinode on fargate", func(r *RegisterJobDefinitionRequest) {
			r.Type = JobDefinitionTypeMultinode
			r.PlatformCapabilities = []string{PlatformCapabilityFargate}
		}, execPrefix + "Fargate does not support MNP jobs"},
		{"multinode with container", func(r *RegisterJobDefinitionRequest) { r.Type = JobDefinitionTypeMultinode },
			execPrefix + "containerProperties, ecsProperties and eksProperties are not applicable for multinode job definitions; use nodeProperties."},
		{"multinode main node", func(r *RegisterJobDefinitionRequest) {
			r.Type = JobDefinitionTypeMultinode
			r.NodeProperties = &NodeProperties{NumNodes: ptrTo(int32(2)), MainNode: ptrTo(int32(2)), NodeRangeProperties: []NodeRangeProperty{{TargetNodes: "0:", Container: r.ContainerProperties}}}
			r.ContainerProperties = nil
		}, execPrefix + "nodeProperties.mainNode must be between 0 and numNodes - 1."},
		{"multinode range image", func(r *RegisterJobDefinitionRequest) {
			r.Type = JobDefinitionTypeMultinode
			r.NodeProperties = &NodeProperties{NumNodes: ptrTo(int32(2)), MainNode: ptrTo(int32(0)), NodeRangeProperties: []NodeRangeProperty{{TargetNodes: "0:", Container: &ContainerProperties{}}}}
			r.ContainerProperties = nil
		}, execPrefix + "nodeProperties.nodeRangeProperties[0].container.image is required."},
		{"eks without image", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties = nil
			r.EksProperties = &EksProperties{PodProperties: &EksPodProperties{Containers: []EksContainer{{}}}}
		}, execPrefix + "eksProperties.podProperties.containers[0].image is required."},
		{"ecs two tasks", func(r *RegisterJobDefinitionRequest) {
			r.ContainerProperties = nil
			r.EcsProperties = &EcsProperties{TaskProperties: make([]EcsTaskProperties, 2)}
		}, execPrefix + "ecsProperties.taskProperties must have exactly one element."},
		{"consumable resources", func(r *RegisterJobDefinitionRequest) {
			r.ConsumableResourceProperties = &ConsumableResourceProperties{ConsumableResourceList: []ConsumableResourceRequirement{{ConsumableResource: ptrTo("x")}}}
		}, execPrefix + "consumableResourceProperties is not supported."},
		{"tags", func(r *RegisterJobDefinitionRequest) { r.Tags = map[string]string{"k": "v\x00"} },
			execPrefix + `tags[k] must satisfy regular expression pattern: ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newTestService(t)
			in := containerJDRequest("jd")
			c.edit(in)
			_, err := s.RegisterJobDefinition(t.Context(), in)
			wantClientError(t, err, c.want)
			out, err := s.DescribeJobDefinitions(t.Context(), &DescribeJobDefinitionsRequest{})
			if err != nil || len(out.JobDefinitions) != 0 {
				t.Fatalf("after a refused registration: %v %+v", err, out.JobDefinitions)
			}
		})
	}
}

func TestRegisterJobDefinitionKinds(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	valid := map[string]*RegisterJobDefinitionRequest{
		"legacy": {JobDefinitionName: "legacy", Type: JobDefinitionTypeContainer, ContainerProperties: &ContainerProperties{Image: ptrTo("x"), Vcpus: ptrTo(int32(2)), Memory: ptrTo(int32(4))}},
		"fargate": {JobDefinitionName: "fargate", Type: JobDefinitionTypeContainer, PlatformCapabilities: []string{PlatformCapabilityFargate},
			ContainerProperties: &ContainerProperties{Image: ptrTo("x"), ExecutionRoleArn: ptrTo(testRole), NetworkConfiguration: &NetworkConfiguration{AssignPublicIp: AssignPublicIpEnabled},
				ResourceRequirements: []ResourceRequirement{{Type: ResourceTypeVcpu, Value: "16"}, {Type: ResourceTypeMemory, Value: "122880"}}}},
		"eks": {JobDefinitionName: "eks", Type: JobDefinitionTypeContainer, EksProperties: &EksProperties{PodProperties: &EksPodProperties{Containers: []EksContainer{{Image: "x"}}}}},
		"ecs": {JobDefinitionName: "ecs", Type: JobDefinitionTypeContainer, EcsProperties: &EcsProperties{TaskProperties: []EcsTaskProperties{{TaskRoleArn: ptrTo(testRole), Containers: []TaskContainerProperties{{Image: "x"}}}}}},
		"mnp": {JobDefinitionName: "mnp", Type: JobDefinitionTypeMultinode, NodeProperties: &NodeProperties{NumNodes: ptrTo(int32(2)), MainNode: ptrTo(int32(0)),
			NodeRangeProperties: []NodeRangeProperty{{TargetNodes: "0:1", Container: &ContainerProperties{Image: ptrTo("x"), Vcpus: ptrTo(int32(1)), Memory: ptrTo(int32(64))}}}}},
		"retry": {JobDefinitionName: "retry", Type: JobDefinitionTypeContainer, ContainerProperties: containerJDRequest("x").ContainerProperties,
			RetryStrategy: &RetryStrategy{Attempts: ptrTo(int32(10)), EvaluateOnExit: []EvaluateOnExit{{Action: "retry", OnStatusReason: ptrTo("Host EC2*"), OnExitCode: ptrTo("13*")}}},
			Timeout:       &JobTimeout{AttemptDurationSeconds: ptrTo(int32(60))}, SchedulingPriority: ptrTo(int32(9999)), Parameters: map[string]string{"p": "v"}},
	}
	for name, in := range valid {
		if _, err := s.RegisterJobDefinition(t.Context(), in); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	out, err := s.DescribeJobDefinitions(t.Context(), &DescribeJobDefinitionsRequest{JobDefinitions: []string{"eks", "legacy"}})
	if err != nil || len(out.JobDefinitions) != 2 {
		t.Fatalf("describe: %v %+v", err, out)
	}
	eks, legacy := out.JobDefinitions[0], out.JobDefinitions[1]
	if eks.ContainerOrchestrationType != OrchestrationTypeEks || eks.PlatformCapabilities != nil {
		t.Errorf("eks = %+v", eks)
	}
	if legacy.ContainerOrchestrationType != OrchestrationTypeEcs || len(legacy.PlatformCapabilities) != 1 || legacy.PlatformCapabilities[0] != PlatformCapabilityEc2 || *legacy.Status != "ACTIVE" {
		t.Errorf("legacy = %+v", legacy)
	}
}

func TestJobDefinitionSizeLimit(t *testing.T) {
	t.Parallel()
	s := newTestServiceLimits(t, Limits{JobDefinitionBytes: 1024})
	in := containerJDRequest("big")
	in.Parameters = map[string]string{"p": strings.Repeat("x", 1024)}
	_, err := s.RegisterJobDefinition(t.Context(), in)
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Message, execPrefix+"Job definition size ") || !strings.HasSuffix(e.Message, " exceeds the maximum of 1024 bytes.") {
		t.Fatalf("error = %v", err)
	}
	registerTestJD(t, s, "small")
}

func TestJobDefinitionRevisions(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	for i := 1; i <= 3; i++ {
		if got, want := registerTestJD(t, s, "jd"), fmt.Sprintf("arn:aws:batch:us-east-1:123456789012:job-definition/jd:%d", i); got != want {
			t.Fatalf("revision %d ARN = %s, want %s", i, got, want)
		}
	}
	registerTestJD(t, s, "other")

	resolve := func(ref string) (int32, error) {
		var rev int32
		err := s.store.View(t.Context(), func(tx store.Tx) error {
			jd, err := s.resolveJobDefinition(tx, ref)
			if err == nil {
				rev = *jd.Revision
			}
			return err
		})
		return rev, err
	}
	for ref, want := range map[string]int32{
		"jd": 3, "jd:2": 2, "arn:aws:batch:us-east-1:123456789012:job-definition/jd": 3, "arn:aws:batch:us-east-1:123456789012:job-definition/jd:1": 1,
	} {
		if rev, err := resolve(ref); err != nil || rev != want {
			t.Errorf("resolve(%s) = %d, %v; want %d", ref, rev, err, want)
		}
	}

	// Deregister 3 and 2: the name resolves to 1; explicit revisions still
	// resolve (the caller checks status); revision numbers are not reused.
	for _, ref := range []string{"jd:3", "arn:aws:batch:us-east-1:123456789012:job-definition/jd:2", "jd:2"} {
		if _, err := s.DeregisterJobDefinition(t.Context(), &DeregisterJobDefinitionRequest{JobDefinition: ref}); err != nil {
			t.Fatalf("deregister %s: %v", ref, err)
		}
	}
	if rev, err := resolve("jd"); err != nil || rev != 1 {
		t.Errorf("resolve(jd) after deregistering = %d, %v", rev, err)
	}
	if rev, err := resolve("jd:3"); err != nil || rev != 3 {
		t.Errorf("resolve(jd:3) = %d, %v", rev, err)
	}
	if got := registerTestJD(t, s, "jd"); !strings.HasSuffix(got, "/jd:4") {
		t.Errorf("next revision = %s", got)
	}
	for _, ref := range []string{"jd:1", "jd:4"} {
		if _, err := s.DeregisterJobDefinition(t.Context(), &DeregisterJobDefinitionRequest{JobDefinition: ref}); err != nil {
			t.Fatal(err)
		}
	}
	for _, ref := range []string{"jd", "nope", "nope:1", "jd:9", "arn:aws:batch:us-east-1:999999999999:job-definition/jd:1", "jd:x"} {
		if _, err := resolve(ref); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("resolve(%s) error = %v, want store.ErrNotFound", ref, err)
		}
	}
	unv, rev, found, err := s.JobDefinitionARNs(t.Context(), "other")
	if err != nil || !found || unv != "arn:aws:batch:us-east-1:123456789012:job-definition/other" || rev != unv+":1" {
		t.Errorf("JobDefinitionARNs = %s %s %v %v", unv, rev, found, err)
	}
	if _, _, found, err := s.JobDefinitionARNs(t.Context(), "jd"); found || err != nil {
		t.Errorf("JobDefinitionARNs(jd) = %v, %v", found, err)
	}

	cases := []struct {
		ref, want string
	}{
		{"", execPrefix + "jobDefinition is required."},
		{"jd", execPrefix + "jobDefinition must be name:revision or the ARN of a revision."},
		{"jd:9", "arn:aws:batch:us-east-1:123456789012:job-definition/jd:9 does not exist"},
		{"arn:aws:batch:us-east-1:999999999999:job-definition/jd:1", "arn:aws:batch:us-east-1:999999999999:job-definition/jd:1 does not exist"},
	}
	for _, c := range cases {
		_, err := s.DeregisterJobDefinition(t.Context(), &DeregisterJobDefinitionRequest{JobDefinition: c.ref})
		t.Run("deregister "+c.ref, func(t *testing.T) { wantClientError(t, err, c.want) })
	}
}

func TestDescribeJobDefinitions(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	for _, n := range []string{"b", "a", "b", "c", "b", "a"} {
		registerTestJD(t, s, n)
	}
	if _, err := s.DeregisterJobDefinition(t.Context(), &DeregisterJobDefinitionRequest{JobDefinition: "b:2"}); err != nil {
		t.Fatal(err)
	}
	ids := func(jds []JobDefinition) string {
		var out []string
		for _, jd := range jds {
			out = append(out, fmt.Sprintf("%s:%d", jd.JobDefinitionName, *jd.Revision))
		}
		return strings.Join(out, " ")
	}
	all := func(in DescribeJobDefinitionsRequest) (string, int) {
		t.Helper()
		var got []JobDefinition
		pages := 0
		for {
			out, err := s.DescribeJobDefinitions(t.Context(), &in)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			got = append(got, out.JobDefinitions...)
			if in.NextToken = out.NextToken; in.NextToken == nil {
				return ids(got), pages
			}
		}
	}
	cases := []struct {
		name      string
		in        DescribeJobDefinitionsRequest
		want      string
		wantPages int
	}{
		{"all", DescribeJobDefinitionsRequest{}, "a:2 a:1 b:3 b:2 b:1 c:1", 1},
		{"pages of 2", DescribeJobDefinitionsRequest{MaxResults: ptrTo(int32(2))}, "a:2 a:1 b:3 b:2 b:1 c:1", 3},
		{"pages of 4", DescribeJobDefinitionsRequest{MaxResults: ptrTo(int32(4))}, "a:2 a:1 b:3 b:2 b:1 c:1", 2},
		{"ACTIVE in pages of 1", DescribeJobDefinitionsRequest{MaxResults: ptrTo(int32(1)), Status: ptrTo("ACTIVE")}, "a:2 a:1 b:3 b:1 c:1", 5},
		{"INACTIVE", DescribeJobDefinitionsRequest{Status: ptrTo("INACTIVE")}, "b:2", 1},
		{"by name", DescribeJobDefinitionsRequest{JobDefinitionName: ptrTo("b"), MaxResults: ptrTo(int32(2))}, "b:3 b:2 b:1", 2},
		{"unknown name", DescribeJobDefinitionsRequest{JobDefinitionName: ptrTo("z")}, "", 1},
		{"listed", DescribeJobDefinitionsRequest{JobDefinitions: []string{"c", "b:2", "arn:aws:batch:us-east-1:123456789012:job-definition/a:1", "z", "b:2", "b:9"}}, "a:1 b:2 c:1", 1},
		{"listed ACTIVE", DescribeJobDefinitionsRequest{JobDefinitions: []string{"b"}, Status: ptrTo("ACTIVE")}, "b:3 b:1", 1},
	}
	for _, c := range cases {
		got, pages := all(c.in)
		t.Run(c.name, func(t *testing.T) {
			if got != c.want || pages != c.wantPages {
				t.Errorf("got %q in %d pages, want %q in %d", got, pages, c.want, c.wantPages)
			}
		})
	}
	errCases := []struct {
		name string
		in   DescribeJobDefinitionsRequest
		want string
	}{
		{"list and maxResults", DescribeJobDefinitionsRequest{JobDefinitions: []string{"a"}, MaxResults: ptrTo(int32(1))}, execPrefix + "JobDefinitions and MaxResults cannot both be set"},
		{"too many", DescribeJobDefinitionsRequest{JobDefinitions: make([]string, 101)}, execPrefix + "jobDefinitions must have length less than or equal to 100."},
		{"maxResults", DescribeJobDefinitionsRequest{MaxResults: ptrTo(int32(0))}, execPrefix + "maxResults must be between 1 and 100."},
		{"token", DescribeJobDefinitionsRequest{NextToken: ptrTo("e30")}, execPrefix + "nextToken is not valid."},
	}
	for _, c := range errCases {
		_, err := s.DescribeJobDefinitions(t.Context(), &c.in)
		t.Run(c.name, func(t *testing.T) { wantClientError(t, err, c.want) })
	}
}
