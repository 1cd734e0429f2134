package batch

// Test helpers shared by the package's tests: a Service on memstore with a
// fixed clock and fake IAM roles, and fixtures that create resources.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"batchd/internal/store/memstore"
)

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	// testSLR is the service-linked role the fake Roles hands out.
	testSLR = "arn:aws:iam::123456789012:role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"
	// testRole is a role that exists; testMissingRole one that does not.
	testRole        = "arn:aws:iam::123456789012:role/batch-service"
	testMissingRole = "arn:aws:iam::123456789012:role/missing-role"
)

// testNow is the fixed clock of test services.
var testNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// fakeRoles accepts every role ARN under arn:aws:iam::123456789012:role/
// whose name does not start with "missing".
type fakeRoles struct {
	ensured int // calls of EnsureServiceLinkedRole
}

func (f *fakeRoles) RoleExists(_ context.Context, arn string) bool {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::"+testAccount+":role/")
	if !ok || rest == "" {
		return false
	}
	name := rest[strings.LastIndex(rest, "/")+1:]
	return name != "" && !strings.HasPrefix(name, "missing")
}

func (f *fakeRoles) EnsureServiceLinkedRole(context.Context) (string, error) {
	f.ensured++
	return testSLR, nil
}

// newTestService returns a Service on an empty memstore with the default
// limits, a fixed clock (testNow) and fakeRoles.
func newTestService(t testing.TB) *Service {
	t.Helper()
	return newTestServiceLimits(t, Limits{})
}

// newTestServiceLimits is newTestService with the given limits (zero
// fields take the defaults).
func newTestServiceLimits(t testing.TB, l Limits) *Service {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	return New(Config{
		Store:     st,
		Roles:     &fakeRoles{},
		AccountID: testAccount,
		Region:    testRegion,
		Now:       func() time.Time { return testNow },
		Limits:    l,
	})
}

// wantClientError fails the test unless err is a ClientException with
// exactly the message msg.
func wantClientError(t testing.TB, err error, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want ClientException %q", err, msg)
	}
	if e.Code != "ClientException" || e.Message != msg {
		t.Fatalf("error = %s: %q, want ClientException: %q", e.Code, e.Message, msg)
	}
}

// ec2CERequest is a valid request for a managed EC2 compute environment.
func ec2CERequest(name string) *CreateComputeEnvironmentRequest {
	return &CreateComputeEnvironmentRequest{
		ComputeEnvironmentName: name,
		Type:                   CETypeManaged,
		ComputeResources: &ComputeResource{
			Type:             CRTypeEc2,
			MinvCpus:         ptrTo(int32(0)),
			MaxvCpus:         ptrTo(int32(16)),
			InstanceTypes:    []string{"optimal"},
			Subnets:          []string{"subnet-1"},
			SecurityGroupIds: []string{"sg-1"},
			InstanceRole:     ptrTo("ecsInstanceRole"),
		},
	}
}

// fargateCERequest is a valid request for a managed Fargate compute
// environment.
func fargateCERequest(name string) *CreateComputeEnvironmentRequest {
	return &CreateComputeEnvironmentRequest{
		ComputeEnvironmentName: name,
		Type:                   CETypeManaged,
		ComputeResources: &ComputeResource{
			Type:             CRTypeFargate,
			MaxvCpus:         ptrTo(int32(8)),
			Subnets:          []string{"subnet-1"},
			SecurityGroupIds: []string{"sg-1"},
		},
	}
}

// createTestCE creates a managed EC2 compute environment and returns its
// ARN.
func createTestCE(t testing.TB, s *Service, name string) string {
	t.Helper()
	out, err := s.CreateComputeEnvironment(t.Context(), ec2CERequest(name))
	if err != nil {
		t.Fatalf("CreateComputeEnvironment %s: %v", name, err)
	}
	return *out.ComputeEnvironmentArn
}

// createTestQueue creates an ENABLED job queue of priority 1 on the given
// compute environments (names or ARNs, in order) and returns its ARN.
func createTestQueue(t testing.TB, s *Service, name string, ces ...string) string {
	t.Helper()
	in := &CreateJobQueueRequest{JobQueueName: name, Priority: ptrTo(int32(1))}
	for i, ce := range ces {
		in.ComputeEnvironmentOrder = append(in.ComputeEnvironmentOrder, ComputeEnvironmentOrder{Order: ptrTo(int32(i + 1)), ComputeEnvironment: ce})
	}
	out, err := s.CreateJobQueue(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateJobQueue %s: %v", name, err)
	}
	return out.JobQueueArn
}

// containerJDRequest is a valid request for an EC2 container job
// definition.
func containerJDRequest(name string) *RegisterJobDefinitionRequest {
	return &RegisterJobDefinitionRequest{
		JobDefinitionName: name,
		Type:              JobDefinitionTypeContainer,
		ContainerProperties: &ContainerProperties{
			Image:   ptrTo("busybox"),
			Command: []string{"echo", "hello"},
			ResourceRequirements: []ResourceRequirement{
				{Type: ResourceTypeVcpu, Value: "1"},
				{Type: ResourceTypeMemory, Value: "512"},
			},
		},
	}
}

// registerTestJD registers a revision of an EC2 container job definition
// and returns its ARN.
func registerTestJD(t testing.TB, s *Service, name string) string {
	t.Helper()
	out, err := s.RegisterJobDefinition(t.Context(), containerJDRequest(name))
	if err != nil {
		t.Fatalf("RegisterJobDefinition %s: %v", name, err)
	}
	return out.JobDefinitionArn
}

// createTestSP creates a scheduling policy with an empty fair-share policy
// and returns its ARN.
func createTestSP(t testing.TB, s *Service, name string) string {
	t.Helper()
	out, err := s.CreateSchedulingPolicy(t.Context(), &CreateSchedulingPolicyRequest{Name: name, FairsharePolicy: &FairsharePolicy{}})
	if err != nil {
		t.Fatalf("CreateSchedulingPolicy %s: %v", name, err)
	}
	return out.Arn
}
