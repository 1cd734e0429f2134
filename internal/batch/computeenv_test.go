package batch

import (
	"reflect"
	"strings"
	"testing"
)

func TestCreateComputeEnvironmentValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*CreateComputeEnvironmentRequest)
		want string
	}{
		{"name missing", func(r *CreateComputeEnvironmentRequest) { r.ComputeEnvironmentName = "" },
			execPrefix + "computeEnvironmentName is required."},
		{"name with dot", func(r *CreateComputeEnvironmentRequest) { r.ComputeEnvironmentName = "a.b" },
			execPrefix + "Compute environment name should match valid pattern"},
		{"name too long", func(r *CreateComputeEnvironmentRequest) { r.ComputeEnvironmentName = strings.Repeat("a", 129) },
			execPrefix + "Compute environment name should match valid pattern"},
		{"type missing", func(r *CreateComputeEnvironmentRequest) { r.Type = "" },
			execPrefix + "type is required."},
		{"type bad", func(r *CreateComputeEnvironmentRequest) { r.Type = "SELF" },
			execPrefix + "type must satisfy enum value set: [MANAGED, UNMANAGED]."},
		{"state bad", func(r *CreateComputeEnvironmentRequest) { r.State = "ON" },
			execPrefix + "state must satisfy enum value set: [ENABLED, DISABLED]."},
		{"managed without computeResources", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources = nil },
			execPrefix + "computeResources is required."},
		{"managed with unmanagedvCpus", func(r *CreateComputeEnvironmentRequest) { r.UnmanagedvCpus = ptrTo(int32(4)) },
			execPrefix + "unmanagedvCpus is not applicable for managed Compute Environments"},
		{"resource type missing", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources.Type = "" },
			execPrefix + "computeResources.type is required."},
		{"resource type bad", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources.Type = "GPU" },
			execPrefix + "computeResources.type must satisfy enum value set: [EC2, SPOT, FARGATE, FARGATE_SPOT]."},
		{"maxvCpus missing", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources.MaxvCpus = nil },
			execPrefix + "computeResources.maxvCpus is required."},
		{"maxvCpus negative", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources.MaxvCpus = ptrTo(int32(-1)) },
			execPrefix + "computeResources.maxvCpus must be greater than or equal to 0."},
		{"instance role missing", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources.InstanceRole = nil },
			execPrefix + "Instance role is required."},
		{"minvCpus missing", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources.MinvCpus = nil },
			execPrefix + "Resource minvCpus is required."},
		{"minvCpus negative", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources.MinvCpus = ptrTo(int32(-1)) },
			execPrefix + "computeResources.minvCpus must be greater than or equal to 0."},
		{"minvCpus above maxvCpus", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources.MinvCpus = ptrTo(int32(17)) },
			execPrefix + "computeResources.minvCpus must be less than or equal to maxvCpus."},
		{"desiredvCpus above maxvCpus", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources.DesiredvCpus = ptrTo(int32(32)) },
			execPrefix + "desiredvCpus should be between minvCpus and maxvCpus."},
		{"desiredvCpus below minvCpus", func(r *CreateComputeEnvironmentRequest) {
			r.ComputeResources.MinvCpus = ptrTo(int32(4))
			r.ComputeResources.DesiredvCpus = ptrTo(int32(2))
		}, execPrefix + "desiredvCpus should be between minvCpus and maxvCpus."},
		{"spot without fleet role", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources.Type = CRTypeSpot },
			"ComputeResources.spotIamFleetRole cannot not be null or empty"},
		{"spot bid above 100", func(r *CreateComputeEnvironmentRequest) {
			r.ComputeResources.Type = CRTypeSpot
			r.ComputeResources.AllocationStrategy = CRAllocationStrategySpotCapacityOptimized
			r.ComputeResources.BidPercentage = ptrTo(int32(101))
		}, execPrefix + "computeResources.bidPercentage must be between 0 and 100."},
		{"bid on EC2", func(r *CreateComputeEnvironmentRequest) { r.ComputeResources.BidPercentage = ptrTo(int32(50)) },
			execPrefix + "bidPercentage is only applicable for SPOT compute resources."},
		{"spot fleet role missing in IAM", func(r *CreateComputeEnvironmentRequest) {
			r.ComputeResources.Type = CRTypeSpot
			r.ComputeResources.SpotIamFleetRole = ptrTo("missing-fleet-role")
		}, execPrefix + "Role arn:aws:iam::123456789012:role/missing-fleet-role does not exist."},
		{"service role missing in IAM", func(r *CreateComputeEnvironmentRequest) { r.ServiceRole = ptrTo(testMissingRole) },
			execPrefix + "Role " + testMissingRole + " does not exist."},
		{"service role name missing in IAM", func(r *CreateComputeEnvironmentRequest) { r.ServiceRole = ptrTo("missingRole") },
			execPrefix + "Role arn:aws:iam::123456789012:role/missingRole does not exist."},
		{"tag key reserved", func(r *CreateComputeEnvironmentRequest) { r.Tags = map[string]string{"aws:x": "y"} },
			execPrefix + "Tag keys starting with 'aws:' are reserved for use by AWS."},
		{"eks without namespace", func(r *CreateComputeEnvironmentRequest) {
			r.EksConfiguration = &EksConfiguration{EksClusterArn: "arn:aws:eks:us-east-1:123456789012:cluster/c"}
		}, execPrefix + "eksConfiguration.kubernetesNamespace is required."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newTestService(t)
			in := ec2CERequest("ce")
			c.edit(in)
			_, err := s.CreateComputeEnvironment(t.Context(), in)
			wantClientError(t, err, c.want)
			out, err := s.DescribeComputeEnvironments(t.Context(), &DescribeComputeEnvironmentsRequest{})
			if err != nil || len(out.ComputeEnvironments) != 0 {
				t.Fatalf("after a refused create: %v, %d environments", err, len(out.ComputeEnvironments))
			}
		})
	}
}

func TestCreateFargateComputeEnvironmentValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(*ComputeResource)
		want string
	}{
		{"minvCpus", func(cr *ComputeResource) { cr.MinvCpus = ptrTo(int32(0)) }, execPrefix + "minvCpus is not applicable for Fargate."},
		{"desiredvCpus", func(cr *ComputeResource) { cr.DesiredvCpus = ptrTo(int32(0)) }, execPrefix + "desiredvCpus is not applicable for Fargate."},
		{"instanceTypes", func(cr *ComputeResource) { cr.InstanceTypes = []string{"m5.large"} }, execPrefix + "instanceTypes is not applicable for Fargate."},
		{"instanceRole", func(cr *ComputeResource) { cr.InstanceRole = ptrTo("ecsInstanceRole") }, execPrefix + "instanceRole is not applicable for Fargate."},
		{"tags", func(cr *ComputeResource) { cr.Tags = map[string]string{"a": "b"} }, execPrefix + "tags is not applicable for Fargate."},
		{"no security group", func(cr *ComputeResource) { cr.SecurityGroupIds = nil }, execPrefix + "computeResources.securityGroupIds is required."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newTestService(t)
			in := fargateCERequest("f")
			c.edit(in.ComputeResources)
			_, err := s.CreateComputeEnvironment(t.Context(), in)
			wantClientError(t, err, c.want)
		})
	}
	t.Run("eks on fargate", func(t *testing.T) {
		t.Parallel()
		s := newTestService(t)
		in := fargateCERequest("f")
		in.EksConfiguration = &EksConfiguration{EksClusterArn: "arn:aws:eks:us-east-1:123456789012:cluster/c", KubernetesNamespace: "batch"}
		_, err := s.CreateComputeEnvironment(t.Context(), in)
		wantClientError(t, err, execPrefix+"FARGATE is not applicable for Amazon EKS compute environments.")
	})
}

func TestCreateComputeEnvironmentDetails(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	in := ec2CERequest("ec2")
	in.Tags = map[string]string{"team": "a"}
	out, err := s.CreateComputeEnvironment(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	wantARN := "arn:aws:batch:us-east-1:123456789012:compute-environment/ec2"
	if *out.ComputeEnvironmentName != "ec2" || *out.ComputeEnvironmentArn != wantARN {
		t.Fatalf("response = %s %s", *out.ComputeEnvironmentName, *out.ComputeEnvironmentArn)
	}
	if n := s.roles.(*fakeRoles).ensured; n != 1 {
		t.Errorf("EnsureServiceLinkedRole called %d times, want 1", n)
	}
	d, err := s.DescribeComputeEnvironments(t.Context(), &DescribeComputeEnvironmentsRequest{ComputeEnvironments: []string{"ec2"}})
	if err != nil || len(d.ComputeEnvironments) != 1 {
		t.Fatalf("describe: %v %+v", err, d)
	}
	ce := d.ComputeEnvironments[0]
	if ce.Status != CEStatusValid || *ce.StatusReason != "ComputeEnvironment Healthy" || ce.State != CEStateEnabled {
		t.Errorf("status %s %q state %s", ce.Status, *ce.StatusReason, ce.State)
	}
	if *ce.ServiceRole != testSLR {
		t.Errorf("serviceRole = %s, want the service-linked role", *ce.ServiceRole)
	}
	if ce.Uuid == nil || len(*ce.Uuid) != 36 {
		t.Errorf("uuid = %v", ce.Uuid)
	}
	if want := "arn:aws:ecs:us-east-1:123456789012:cluster/ec2_Batch_" + *ce.Uuid; *ce.EcsClusterArn != want {
		t.Errorf("ecsClusterArn = %s, want %s", *ce.EcsClusterArn, want)
	}
	cr := ce.ComputeResources
	if *cr.DesiredvCpus != 0 || *cr.InstanceRole != "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole" {
		t.Errorf("desired %d, instanceRole %s", *cr.DesiredvCpus, *cr.InstanceRole)
	}
	if !reflect.DeepEqual(cr.Ec2Configuration, []Ec2Configuration{{ImageType: "ECS_AL2023"}}) || !reflect.DeepEqual(cr.Subnets, []string{"subnet-1"}) {
		t.Errorf("ec2Configuration %+v subnets %v", cr.Ec2Configuration, cr.Subnets)
	}
	if ce.ContainerOrchestrationType != OrchestrationTypeEcs || ce.Tags["team"] != "a" {
		t.Errorf("orchestration %s tags %v", ce.ContainerOrchestrationType, ce.Tags)
	}

	// A named service role is kept as its ARN; unmanaged, Fargate and EKS
	// environments are accepted.
	in = ec2CERequest("named")
	in.ServiceRole = ptrTo("batch-service")
	if _, err := s.CreateComputeEnvironment(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	um := &CreateComputeEnvironmentRequest{ComputeEnvironmentName: "um", Type: CETypeUnmanaged, UnmanagedvCpus: ptrTo(int32(4)), State: CEStateDisabled}
	if _, err := s.CreateComputeEnvironment(t.Context(), um); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateComputeEnvironment(t.Context(), fargateCERequest("fg")); err != nil {
		t.Fatal(err)
	}
	eks := ec2CERequest("eks")
	eks.EksConfiguration = &EksConfiguration{EksClusterArn: "arn:aws:eks:us-east-1:123456789012:cluster/c", KubernetesNamespace: "batch"}
	if _, err := s.CreateComputeEnvironment(t.Context(), eks); err != nil {
		t.Fatal(err)
	}
	d, err = s.DescribeComputeEnvironments(t.Context(), &DescribeComputeEnvironmentsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ComputeEnvironmentDetail{}
	var names []string
	for _, ce := range d.ComputeEnvironments {
		got[ce.ComputeEnvironmentName] = ce
		names = append(names, ce.ComputeEnvironmentName)
	}
	if want := []string{"ec2", "eks", "fg", "named", "um"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("names = %v, want %v", names, want)
	}
	if *got["named"].ServiceRole != testRole {
		t.Errorf("named serviceRole = %s", *got["named"].ServiceRole)
	}
	if u := got["um"]; u.ComputeResources != nil || *u.UnmanagedvCpus != 4 || u.State != CEStateDisabled {
		t.Errorf("unmanaged = %+v", u)
	}
	if f := got["fg"]; f.UpdatePolicy != nil || f.ComputeResources.Ec2Configuration != nil {
		t.Errorf("fargate = %+v", f)
	}
	if e := got["eks"]; e.ContainerOrchestrationType != OrchestrationTypeEks || e.EcsClusterArn != nil || e.ComputeResources.Ec2Configuration[0].ImageType != "EKS_AL2023" {
		t.Errorf("eks = %+v", e)
	}
}

func TestCreateComputeEnvironmentDuplicateAndQuota(t *testing.T) {
	t.Parallel()
	s := newTestServiceLimits(t, Limits{ComputeEnvironments: 2})
	createTestCE(t, s, "a")
	_, err := s.CreateComputeEnvironment(t.Context(), ec2CERequest("a"))
	wantClientError(t, err, "Object already exists")
	createTestCE(t, s, "b")
	_, err = s.CreateComputeEnvironment(t.Context(), ec2CERequest("c"))
	wantClientError(t, err, execPrefix+"The maximum number of compute environments (2) has been reached.")
}

func TestUpdateComputeEnvironment(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	arn := createTestCE(t, s, "ce")
	out, err := s.UpdateComputeEnvironment(t.Context(), &UpdateComputeEnvironmentRequest{
		ComputeEnvironment: arn,
		State:              CEStateDisabled,
		ComputeResources:   &ComputeResourceUpdate{MaxvCpus: ptrTo(int32(4)), MinvCpus: ptrTo(int32(2)), Subnets: []string{"subnet-2"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if *out.ComputeEnvironmentArn != arn || *out.ComputeEnvironmentName != "ce" {
		t.Fatalf("response %+v", out)
	}
	d, _ := s.DescribeComputeEnvironments(t.Context(), &DescribeComputeEnvironmentsRequest{ComputeEnvironments: []string{"ce"}})
	ce := d.ComputeEnvironments[0]
	cr := ce.ComputeResources
	if ce.State != CEStateDisabled || *cr.MaxvCpus != 4 || *cr.MinvCpus != 2 || *cr.DesiredvCpus != 2 || cr.Subnets[0] != "subnet-2" || cr.SecurityGroupIds[0] != "sg-1" {
		t.Fatalf("after update: state %s, cr %+v", ce.State, cr)
	}

	cases := []struct {
		name string
		in   UpdateComputeEnvironmentRequest
		want string
	}{
		{"unknown", UpdateComputeEnvironmentRequest{ComputeEnvironment: "nope"},
			"arn:aws:batch:us-east-1:123456789012:compute-environment/nope does not exist"},
		{"unknown ARN", UpdateComputeEnvironmentRequest{ComputeEnvironment: "arn:aws:batch:us-west-2:123456789012:compute-environment/ce"},
			"arn:aws:batch:us-west-2:123456789012:compute-environment/ce does not exist"},
		{"state", UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", State: "OFF"},
			execPrefix + "state must satisfy enum value set: [ENABLED, DISABLED]."},
		{"desired above max", UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{DesiredvCpus: ptrTo(int32(5))}},
			execPrefix + "desiredvCpus should be between minvCpus and maxvCpus."},
		{"min above max", UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{MinvCpus: ptrTo(int32(5))}},
			execPrefix + "computeResources.minvCpus must be less than or equal to maxvCpus."},
		{"to fargate", UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", ComputeResources: &ComputeResourceUpdate{Type: CRTypeFargate}},
			execPrefix + "computeResources.type cannot be changed between EC2 and Fargate."},
		{"missing role", UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", ServiceRole: ptrTo(testMissingRole)},
			execPrefix + "Role " + testMissingRole + " does not exist."},
		{"slr to regular role", UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", ServiceRole: ptrTo(testRole)},
			execPrefix + "serviceRole cannot be changed between the Batch service-linked role and a regular IAM role."},
		{"unmanagedvCpus on managed", UpdateComputeEnvironmentRequest{ComputeEnvironment: "ce", UnmanagedvCpus: ptrTo(int32(1))},
			execPrefix + "unmanagedvCpus is not applicable for managed Compute Environments"},
	}
	for _, c := range cases {
		_, err := s.UpdateComputeEnvironment(t.Context(), &c.in)
		t.Run(c.name, func(t *testing.T) { wantClientError(t, err, c.want) })
	}

	if _, err := s.CreateComputeEnvironment(t.Context(), fargateCERequest("fg")); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateComputeEnvironment(t.Context(), &UpdateComputeEnvironmentRequest{ComputeEnvironment: "fg", ComputeResources: &ComputeResourceUpdate{DesiredvCpus: ptrTo(int32(1))}})
	wantClientError(t, err, execPrefix+"desiredvCpus is not applicable for Fargate.")
	if _, err := s.UpdateComputeEnvironment(t.Context(), &UpdateComputeEnvironmentRequest{ComputeEnvironment: "fg", ComputeResources: &ComputeResourceUpdate{MaxvCpus: ptrTo(int32(64))}}); err != nil {
		t.Fatal(err)
	}
}

func TestDeleteComputeEnvironment(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	ce := createTestCE(t, s, "ce")
	createTestQueue(t, s, "q", ce)

	_, err := s.DeleteComputeEnvironment(t.Context(), &DeleteComputeEnvironmentRequest{ComputeEnvironment: "nope"})
	wantClientError(t, err, "arn:aws:batch:us-east-1:123456789012:compute-environment/nope does not exist")

	_, err = s.DeleteComputeEnvironment(t.Context(), &DeleteComputeEnvironmentRequest{ComputeEnvironment: "ce"})
	wantClientError(t, err, "Cannot delete, found existing JobQueue relationship.")

	// Still referenced once the queue is disabled.
	if _, err := s.UpdateJobQueue(t.Context(), &UpdateJobQueueRequest{JobQueue: "q", State: JQStateDisabled}); err != nil {
		t.Fatal(err)
	}
	_, err = s.DeleteComputeEnvironment(t.Context(), &DeleteComputeEnvironmentRequest{ComputeEnvironment: ce})
	wantClientError(t, err, "Cannot delete, found existing JobQueue relationship.")

	if _, err := s.DeleteJobQueue(t.Context(), &DeleteJobQueueRequest{JobQueue: "q"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.DeleteComputeEnvironment(t.Context(), &DeleteComputeEnvironmentRequest{ComputeEnvironment: ce})
	wantClientError(t, err, "Compute environment must be in DISABLED state before deletion")

	if _, err := s.UpdateComputeEnvironment(t.Context(), &UpdateComputeEnvironmentRequest{ComputeEnvironment: ce, State: CEStateDisabled}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteComputeEnvironment(t.Context(), &DeleteComputeEnvironmentRequest{ComputeEnvironment: ce}); err != nil {
		t.Fatal(err)
	}
	d, err := s.DescribeComputeEnvironments(t.Context(), &DescribeComputeEnvironmentsRequest{ComputeEnvironments: []string{"ce"}})
	if err != nil || len(d.ComputeEnvironments) != 0 {
		t.Fatalf("after delete: %v %+v", err, d.ComputeEnvironments)
	}
	// The name is free again.
	createTestCE(t, s, "ce")
}

func TestDescribeComputeEnvironmentsPages(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	for _, n := range []string{"e", "c", "a", "d", "b"} {
		createTestCE(t, s, n)
	}
	var names []string
	var token *string
	pages := 0
	for {
		out, err := s.DescribeComputeEnvironments(t.Context(), &DescribeComputeEnvironmentsRequest{MaxResults: ptrTo(int32(2)), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, ce := range out.ComputeEnvironments {
			names = append(names, ce.ComputeEnvironmentName)
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if want := []string{"a", "b", "c", "d", "e"}; !reflect.DeepEqual(names, want) || pages != 3 {
		t.Fatalf("names %v in %d pages", names, pages)
	}

	out, err := s.DescribeComputeEnvironments(t.Context(), &DescribeComputeEnvironmentsRequest{
		ComputeEnvironments: []string{"d", "arn:aws:batch:us-east-1:123456789012:compute-environment/a", "zz", "d", "arn:aws:batch:us-east-1:999999999999:compute-environment/b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ComputeEnvironments) != 2 || out.ComputeEnvironments[0].ComputeEnvironmentName != "a" || out.ComputeEnvironments[1].ComputeEnvironmentName != "d" {
		t.Fatalf("by name: %+v", out.ComputeEnvironments)
	}

	cases := []struct {
		name string
		in   DescribeComputeEnvironmentsRequest
		want string
	}{
		{"names and maxResults", DescribeComputeEnvironmentsRequest{ComputeEnvironments: []string{"a"}, MaxResults: ptrTo(int32(1))},
			execPrefix + "ComputeEnvironments and MaxResults cannot both be set"},
		{"too many names", DescribeComputeEnvironmentsRequest{ComputeEnvironments: make([]string, 101)},
			execPrefix + "computeEnvironments must have length less than or equal to 100."},
		{"maxResults 0", DescribeComputeEnvironmentsRequest{MaxResults: ptrTo(int32(0))}, execPrefix + "maxResults must be between 1 and 100."},
		{"maxResults 101", DescribeComputeEnvironmentsRequest{MaxResults: ptrTo(int32(101))}, execPrefix + "maxResults must be between 1 and 100."},
		{"bad token", DescribeComputeEnvironmentsRequest{NextToken: ptrTo("!!")}, execPrefix + "nextToken is not valid."},
	}
	for _, c := range cases {
		_, err := s.DescribeComputeEnvironments(t.Context(), &c.in)
		t.Run(c.name, func(t *testing.T) { wantClientError(t, err, c.want) })
	}
}

func TestUpdateUnmanagedComputeEnvironment(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	if _, err := s.CreateComputeEnvironment(t.Context(), &CreateComputeEnvironmentRequest{ComputeEnvironmentName: "um", Type: CETypeUnmanaged, ServiceRole: ptrTo(testRole)}); err != nil {
		t.Fatal(err)
	}
	_, err := s.UpdateComputeEnvironment(t.Context(), &UpdateComputeEnvironmentRequest{ComputeEnvironment: "um", ComputeResources: &ComputeResourceUpdate{MaxvCpus: ptrTo(int32(1))}})
	wantClientError(t, err, execPrefix+"computeResources is not applicable for UNMANAGED compute environments.")
	_, err = s.UpdateComputeEnvironment(t.Context(), &UpdateComputeEnvironmentRequest{ComputeEnvironment: "um", UnmanagedvCpus: ptrTo(int32(-1))})
	wantClientError(t, err, execPrefix+"unmanagedvCpus must be greater than or equal to 0.")
	_, err = s.UpdateComputeEnvironment(t.Context(), &UpdateComputeEnvironmentRequest{ComputeEnvironment: "um", ServiceRole: ptrTo(testSLR)})
	wantClientError(t, err, execPrefix+"serviceRole cannot be changed between the Batch service-linked role and a regular IAM role.")
	if _, err := s.UpdateComputeEnvironment(t.Context(), &UpdateComputeEnvironmentRequest{ComputeEnvironment: "um", UnmanagedvCpus: ptrTo(int32(8)), ServiceRole: ptrTo("service-role/other")}); err != nil {
		t.Fatal(err)
	}
	d, _ := s.DescribeComputeEnvironments(t.Context(), &DescribeComputeEnvironmentsRequest{ComputeEnvironments: []string{"um"}})
	if ce := d.ComputeEnvironments[0]; *ce.UnmanagedvCpus != 8 || *ce.ServiceRole != "arn:aws:iam::123456789012:role/service-role/other" {
		t.Fatalf("after update: %+v", ce)
	}
}

// TestNamePatterns: the resource-name and share-identifier checks accept
// exactly what AWS's patterns do ([A-Za-z0-9_-]{1,128};
// [A-Za-z0-9]{1,255}\*?).
func TestNamePatterns(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	for name, want := range map[string]bool{"a": true, "A-b_9": true, long(128): true, long(129): false, "": false, "a b": false, "a.b": false, "é": false} {
		if got := validResourceName(name); got != want {
			t.Errorf("validResourceName(%q) = %v, want %v", name, got, want)
		}
	}
	for id, want := range map[string]bool{"a": true, "A9": true, "ab*": true, long(255): true, long(255) + "*": true, long(256): false, "": false, "*": false, "a-b": false, "a**": false, "a*b": false} {
		if got := validShareIdentifier(id); got != want {
			t.Errorf("validShareIdentifier(%q) = %v, want %v", id, got, want)
		}
	}
}
