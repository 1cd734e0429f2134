package batch

import (
	"reflect"
	"strings"
	"testing"
)

func TestCreateSchedulingPolicyValidation(t *testing.T) {
	t.Parallel()
	share := func(id string, w float64) ShareAttributes {
		return ShareAttributes{ShareIdentifier: id, WeightFactor: ptrTo(w)}
	}
	cases := []struct {
		name string
		edit func(*CreateSchedulingPolicyRequest)
		want string
	}{
		{"name missing", func(r *CreateSchedulingPolicyRequest) { r.Name = "" }, execPrefix + "name is required."},
		{"name bad", func(r *CreateSchedulingPolicyRequest) { r.Name = "fair/share" }, execPrefix + "Scheduling policy name should match a valid pattern."},
		{"decay negative", func(r *CreateSchedulingPolicyRequest) { r.FairsharePolicy.ShareDecaySeconds = ptrTo(int32(-1)) },
			execPrefix + "fairsharePolicy.shareDecaySeconds must be between 0 and 604800."},
		{"decay above a week", func(r *CreateSchedulingPolicyRequest) { r.FairsharePolicy.ShareDecaySeconds = ptrTo(int32(604801)) },
			execPrefix + "fairsharePolicy.shareDecaySeconds must be between 0 and 604800."},
		{"reservation 100", func(r *CreateSchedulingPolicyRequest) { r.FairsharePolicy.ComputeReservation = ptrTo(int32(100)) },
			execPrefix + "fairsharePolicy.computeReservation must be between 0 and 99."},
		{"too many shares", func(r *CreateSchedulingPolicyRequest) {
			r.FairsharePolicy.ShareDistribution = make([]ShareAttributes, 501)
		}, execPrefix + "ShareDistribution size cannot be greater than 500."},
		{"identifier missing", func(r *CreateSchedulingPolicyRequest) {
			r.FairsharePolicy.ShareDistribution = append(r.FairsharePolicy.ShareDistribution, ShareAttributes{})
		}, execPrefix + "fairsharePolicy.shareDistribution[2].shareIdentifier is required."},
		{"identifier with dash", func(r *CreateSchedulingPolicyRequest) {
			r.FairsharePolicy.ShareDistribution = []ShareAttributes{share("team-a", 1)}
		}, execPrefix + "ShareIdentifier name should match a valid pattern."},
		{"identifier too long", func(r *CreateSchedulingPolicyRequest) {
			r.FairsharePolicy.ShareDistribution = []ShareAttributes{share(strings.Repeat("a", 256), 1)}
		}, execPrefix + "ShareIdentifier name should match a valid pattern."},
		{"weight too small", func(r *CreateSchedulingPolicyRequest) {
			r.FairsharePolicy.ShareDistribution = []ShareAttributes{share("a", 0.00001)}
		}, execPrefix + "Weight factor should be between 0.0001 and 999.9999."},
		{"weight too large", func(r *CreateSchedulingPolicyRequest) {
			r.FairsharePolicy.ShareDistribution = []ShareAttributes{share("a", 1000)}
		}, execPrefix + "Weight factor should be between 0.0001 and 999.9999."},
		{"prefix overlaps identifier", func(r *CreateSchedulingPolicyRequest) {
			r.FairsharePolicy.ShareDistribution = []ShareAttributes{share("UserA*", 1), share("UserA1", 1)}
		}, execPrefix + "fairsharePolicy.shareDistribution share identifiers UserA* and UserA1 overlap."},
		{"prefixes overlap", func(r *CreateSchedulingPolicyRequest) {
			r.FairsharePolicy.ShareDistribution = []ShareAttributes{share("Use*", 1), share("UserB*", 1)}
		}, execPrefix + "fairsharePolicy.shareDistribution share identifiers Use* and UserB* overlap."},
		{"duplicate", func(r *CreateSchedulingPolicyRequest) {
			r.FairsharePolicy.ShareDistribution = []ShareAttributes{share("a", 1), share("a", 2)}
		}, execPrefix + "Cannot have two or more identical shareIdentifiers."},
		{"tags", func(r *CreateSchedulingPolicyRequest) {
			r.Tags = map[string]string{}
			for i := range 51 {
				r.Tags[strings.Repeat("k", i+1)] = "v"
			}
		}, execPrefix + "tags must have length less than or equal to 50."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newTestService(t)
			in := &CreateSchedulingPolicyRequest{Name: "fair", FairsharePolicy: &FairsharePolicy{
				ShareDecaySeconds: ptrTo(int32(3600)), ComputeReservation: ptrTo(int32(50)),
				ShareDistribution: []ShareAttributes{share("UserA*", 0.5), share("UserB", 999.9999)},
			}}
			c.edit(in)
			_, err := s.CreateSchedulingPolicy(t.Context(), in)
			wantClientError(t, err, c.want)
		})
	}
}

func TestSchedulingPolicyLifecycle(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	fp := &FairsharePolicy{ShareDecaySeconds: ptrTo(int32(0)), ComputeReservation: ptrTo(int32(99)), ShareDistribution: []ShareAttributes{{ShareIdentifier: "A*"}, {ShareIdentifier: "B1"}, {ShareIdentifier: "B2"}}}
	out, err := s.CreateSchedulingPolicy(t.Context(), &CreateSchedulingPolicyRequest{Name: "fair", FairsharePolicy: fp, Tags: map[string]string{"t": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:batch:us-east-1:123456789012:scheduling-policy/fair"
	if out.Name != "fair" || out.Arn != arn {
		t.Fatalf("response %+v", out)
	}
	_, err = s.CreateSchedulingPolicy(t.Context(), &CreateSchedulingPolicyRequest{Name: "fair"})
	wantClientError(t, err, "Object already exists")

	d, err := s.DescribeSchedulingPolicies(t.Context(), &DescribeSchedulingPoliciesRequest{Arns: []string{arn, arn + "x", "fair", arn}})
	if err != nil || len(d.SchedulingPolicies) != 1 {
		t.Fatalf("describe: %v %+v", err, d)
	}
	if got := d.SchedulingPolicies[0]; got.Name != "fair" || got.Arn != arn || !reflect.DeepEqual(got.FairsharePolicy, fp) || got.Tags["t"] != "1" {
		t.Fatalf("policy = %+v", got)
	}

	fp2 := &FairsharePolicy{ShareDecaySeconds: ptrTo(int32(60))}
	if _, err := s.UpdateSchedulingPolicy(t.Context(), &UpdateSchedulingPolicyRequest{Arn: arn, FairsharePolicy: fp2}); err != nil {
		t.Fatal(err)
	}
	d, _ = s.DescribeSchedulingPolicies(t.Context(), &DescribeSchedulingPoliciesRequest{Arns: []string{arn}})
	if !reflect.DeepEqual(d.SchedulingPolicies[0].FairsharePolicy, fp2) {
		t.Fatalf("after update: %+v", d.SchedulingPolicies[0].FairsharePolicy)
	}
	_, err = s.UpdateSchedulingPolicy(t.Context(), &UpdateSchedulingPolicyRequest{Arn: arn + "x"})
	wantClientError(t, err, arn+"x does not exist")
	_, err = s.UpdateSchedulingPolicy(t.Context(), &UpdateSchedulingPolicyRequest{Arn: arn, FairsharePolicy: &FairsharePolicy{ComputeReservation: ptrTo(int32(-1))}})
	wantClientError(t, err, execPrefix+"fairsharePolicy.computeReservation must be between 0 and 99.")

	// A policy a queue uses cannot be deleted.
	createTestQueue(t, s, "q", createTestCE(t, s, "ce"))
	if _, err := s.CreateJobQueue(t.Context(), &CreateJobQueueRequest{JobQueueName: "fq", Priority: ptrTo(int32(1)), SchedulingPolicyArn: &arn,
		ComputeEnvironmentOrder: []ComputeEnvironmentOrder{{Order: ptrTo(int32(1)), ComputeEnvironment: "ce"}}}); err != nil {
		t.Fatal(err)
	}
	_, err = s.DeleteSchedulingPolicy(t.Context(), &DeleteSchedulingPolicyRequest{Arn: arn})
	wantClientError(t, err, "Cannot delete, found existing JobQueue relationship.")
	if _, err := s.UpdateJobQueue(t.Context(), &UpdateJobQueueRequest{JobQueue: "fq", State: JQStateDisabled}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteJobQueue(t.Context(), &DeleteJobQueueRequest{JobQueue: "fq"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteSchedulingPolicy(t.Context(), &DeleteSchedulingPolicyRequest{Arn: arn}); err != nil {
		t.Fatal(err)
	}
	_, err = s.DeleteSchedulingPolicy(t.Context(), &DeleteSchedulingPolicyRequest{Arn: arn})
	wantClientError(t, err, arn+" does not exist")
	d, err = s.DescribeSchedulingPolicies(t.Context(), &DescribeSchedulingPoliciesRequest{Arns: []string{arn}})
	if err != nil || len(d.SchedulingPolicies) != 0 {
		t.Fatalf("after delete: %v %+v", err, d)
	}
	_, err = s.DescribeSchedulingPolicies(t.Context(), &DescribeSchedulingPoliciesRequest{})
	wantClientError(t, err, execPrefix+"arns is required.")
}

func TestListSchedulingPolicies(t *testing.T) {
	t.Parallel()
	s := newTestService(t)
	for _, n := range []string{"c", "a", "b"} {
		createTestSP(t, s, n)
	}
	var arns []string
	var token *string
	for {
		out, err := s.ListSchedulingPolicies(t.Context(), &ListSchedulingPoliciesRequest{MaxResults: ptrTo(int32(2)), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range out.SchedulingPolicies {
			arns = append(arns, p.Arn)
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	p := "arn:aws:batch:us-east-1:123456789012:scheduling-policy/"
	if want := []string{p + "a", p + "b", p + "c"}; !reflect.DeepEqual(arns, want) {
		t.Fatalf("arns = %v", arns)
	}
	_, err := s.ListSchedulingPolicies(t.Context(), &ListSchedulingPoliciesRequest{MaxResults: ptrTo(int32(1001))})
	wantClientError(t, err, execPrefix+"maxResults must be between 1 and 1000.")
}
