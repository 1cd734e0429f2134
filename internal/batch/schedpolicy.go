package batch

// Scheduling policies: CreateSchedulingPolicy, UpdateSchedulingPolicy,
// DeleteSchedulingPolicy, DescribeSchedulingPolicies and
// ListSchedulingPolicies (API Reference; User Guide, "Fair-share scheduling
// policies"). A policy is named by its ARN in every operation but Create.

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"batchd/internal/store"
)

// Fair-share policy limits (API Reference, FairsharePolicy and
// ShareAttributes).
const (
	maxShareDecaySeconds  = 604800 // one week
	maxComputeReservation = 99
	maxShareDistribution  = 500
	minWeightFactor       = 0.0001
	maxWeightFactor       = 999.9999
)

// shareIdentifier: "limited to 255 alphanumeric characters, and can be
// followed by an asterisk (*)".
// The length is checked apart, as resource names' (validResourceName).
var shareIDChars = regexp.MustCompile(`^[A-Za-z0-9]+$`)

func validShareIdentifier(id string) bool {
	core := strings.TrimSuffix(id, "*")
	return len(core) <= 255 && shareIDChars.MatchString(core)
}

// checkFairsharePolicy validates a fair-share policy. AWS wording for the
// shareDistribution size, the shareIdentifier pattern, weightFactor and
// identical identifiers, as quoted from the service's rejections by the
// public cdk_preflight rego rules (pf-batch-sp-share-distribution-max,
// -share-identifier-pattern, -weight-factor-range,
// -share-identifier-duplicate). The rules quote the overlap message only
// elided ("Share identifier ... matches another share identifier ...");
// it, shareDecaySeconds and computeReservation are wording inferred: no AWS
// text found (searched docs, issues, code, moto for "shareDecaySeconds",
// "computeReservation", "overlap", 2026-12).
func checkFairsharePolicy(p *FairsharePolicy) error {
	if p == nil {
		return nil
	}
	if v := p.ShareDecaySeconds; v != nil && (*v < 0 || *v > maxShareDecaySeconds) {
		return invalidRequest("fairsharePolicy.shareDecaySeconds must be between 0 and %d.", maxShareDecaySeconds)
	}
	if v := p.ComputeReservation; v != nil && (*v < 0 || *v > maxComputeReservation) {
		return invalidRequest("fairsharePolicy.computeReservation must be between 0 and %d.", maxComputeReservation)
	}
	if len(p.ShareDistribution) > maxShareDistribution {
		return invalidRequest("ShareDistribution size cannot be greater than %d.", maxShareDistribution)
	}
	for i, sa := range p.ShareDistribution {
		if sa.ShareIdentifier == "" {
			return invalidRequest("fairsharePolicy.shareDistribution[%d].shareIdentifier is required.", i)
		}
		if !validShareIdentifier(sa.ShareIdentifier) {
			return invalidRequest("ShareIdentifier name should match a valid pattern.")
		}
		if w := sa.WeightFactor; w != nil && (*w < minWeightFactor || *w > maxWeightFactor) {
			return invalidRequest("Weight factor should be between 0.0001 and 999.9999.")
		}
		// "The list of share identifiers in a fair-share policy can't
		// overlap. For example, you can't have one that specifies a
		// shareIdentifier of UserA* and another that specifies a
		// shareIdentifier of UserA1."
		for _, prev := range p.ShareDistribution[:i] {
			if prev.ShareIdentifier == sa.ShareIdentifier {
				return invalidRequest("Cannot have two or more identical shareIdentifiers.")
			}
			if sharesOverlap(prev.ShareIdentifier, sa.ShareIdentifier) {
				return invalidRequest("fairsharePolicy.shareDistribution share identifiers %s and %s overlap.", prev.ShareIdentifier, sa.ShareIdentifier)
			}
		}
	}
	return nil
}

// sharesOverlap reports whether two share identifiers (each an identifier
// or a prefix ending in *) can match the same share.
func sharesOverlap(a, b string) bool {
	ap, aw := strings.CutSuffix(a, "*")
	bp, bw := strings.CutSuffix(b, "*")
	switch {
	case aw && bw:
		return strings.HasPrefix(ap, bp) || strings.HasPrefix(bp, ap)
	case aw:
		return strings.HasPrefix(b, ap)
	case bw:
		return strings.HasPrefix(a, bp)
	}
	return a == b
}

// loadSP reads the scheduling policy an ARN names; found is false when
// there is none (or the reference is not this account's policy ARN).
func (s *Service) loadSP(tx store.Tx, arn string) (*SchedulingPolicyDetail, bool, error) {
	if !strings.HasPrefix(arn, "arn:") {
		return nil, false, nil
	}
	name, ok := s.refName(arn, "scheduling-policy")
	if !ok {
		return nil, false, nil
	}
	return store.GetJSON[SchedulingPolicyDetail](tx, kindSP, name)
}

// CreateSchedulingPolicy creates a scheduling policy.
func (s *Service) CreateSchedulingPolicy(ctx context.Context, in *CreateSchedulingPolicyRequest) (*CreateSchedulingPolicyResponse, error) {
	if err := checkName("name", "Scheduling policy name should match a valid pattern.", in.Name); err != nil {
		return nil, err
	}
	if err := checkFairsharePolicy(in.FairsharePolicy); err != nil {
		return nil, err
	}
	if err := checkTags("tags", in.Tags); err != nil {
		return nil, err
	}
	sp := &SchedulingPolicyDetail{
		Name:             in.Name,
		Arn:              s.SchedulingPolicyARN(in.Name),
		QuotaSharePolicy: in.QuotaSharePolicy,
		FairsharePolicy:  in.FairsharePolicy,
		Tags:             in.Tags,
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if err := store.InsertJSON(tx, kindSP, sp.Name, sp); err != nil {
			if isExists(err) {
				// AWS wording for job queues (see msgExists); for scheduling policies
				// inferred: no AWS text found (searched docs, issues, code, moto for
				// CreateSchedulingPolicy "already exists", 2026-12).
				return clientError(msgExists)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &CreateSchedulingPolicyResponse{Name: sp.Name, Arn: sp.Arn}, nil
}

// UpdateSchedulingPolicy replaces a policy's fair-share (or quota-share)
// policy; a part the request leaves out is kept.
func (s *Service) UpdateSchedulingPolicy(ctx context.Context, in *UpdateSchedulingPolicyRequest) (*UpdateSchedulingPolicyResponse, error) {
	if in.Arn == "" {
		return nil, invalidRequest("arn is required.")
	}
	if err := checkFairsharePolicy(in.FairsharePolicy); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		sp, found, err := s.loadSP(tx, in.Arn)
		if err != nil {
			return err
		}
		if !found {
			return notExist(in.Arn)
		}
		if in.FairsharePolicy != nil {
			sp.FairsharePolicy = in.FairsharePolicy
		}
		if in.QuotaSharePolicy != nil {
			sp.QuotaSharePolicy = in.QuotaSharePolicy
		}
		return store.PutJSON(tx, kindSP, sp.Name, sp)
	})
	if err != nil {
		return nil, err
	}
	return &UpdateSchedulingPolicyResponse{}, nil
}

// DeleteSchedulingPolicy deletes a policy no job queue uses ("You can't
// delete a scheduling policy that's used in a job queue").
func (s *Service) DeleteSchedulingPolicy(ctx context.Context, in *DeleteSchedulingPolicyRequest) (*DeleteSchedulingPolicyResponse, error) {
	if in.Arn == "" {
		return nil, invalidRequest("arn is required.")
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		sp, found, err := s.loadSP(tx, in.Arn)
		if err != nil {
			return err
		}
		if !found {
			return notExist(in.Arn)
		}
		queues, err := store.ListJSON[JobQueueDetail](tx, kindJQ, "", "", 0)
		if err != nil {
			return err
		}
		for _, q := range queues {
			if q.SchedulingPolicyArn != nil && *q.SchedulingPolicyArn == sp.Arn {
				// AWS wording for compute environments (see msgJobQueueRelationship); for
				// scheduling policies inferred: no AWS text found (searched docs, issues,
				// code, moto for DeleteSchedulingPolicy of a policy in use, 2026-12).
				return clientError(msgJobQueueRelationship)
			}
		}
		return tx.Delete(kindSP, sp.Name)
	})
	if err != nil {
		return nil, err
	}
	return &DeleteSchedulingPolicyResponse{}, nil
}

// DescribeSchedulingPolicies describes the policies the ARNs name (at most
// 100), in name order; unknown ARNs are left out.
func (s *Service) DescribeSchedulingPolicies(ctx context.Context, in *DescribeSchedulingPoliciesRequest) (*DescribeSchedulingPoliciesResponse, error) {
	if len(in.Arns) == 0 {
		return nil, invalidRequest("arns is required.")
	}
	if len(in.Arns) > 100 {
		return nil, invalidRequest("arns must have length less than or equal to 100.")
	}
	out := &DescribeSchedulingPoliciesResponse{SchedulingPolicies: []SchedulingPolicyDetail{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		var seen []string
		for _, a := range in.Arns {
			sp, found, err := s.loadSP(tx, a)
			if err != nil {
				return err
			}
			if found && !slices.Contains(seen, sp.Name) {
				seen = append(seen, sp.Name)
				out.SchedulingPolicies = append(out.SchedulingPolicies, *sp)
			}
		}
		slices.SortFunc(out.SchedulingPolicies, func(a, b SchedulingPolicyDetail) int { return strings.Compare(a.Name, b.Name) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListSchedulingPolicies lists the ARNs of the policies, in name order,
// a page at a time (maxResults 1–1000, default 1000).
func (s *Service) ListSchedulingPolicies(ctx context.Context, in *ListSchedulingPoliciesRequest) (*ListSchedulingPoliciesResponse, error) {
	n, err := pageSize(in.MaxResults, 1000, 1000)
	if err != nil {
		return nil, err
	}
	mark, err := tokenMark(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ListSchedulingPoliciesResponse{SchedulingPolicies: []SchedulingPolicyListingDetail{}}
	err = s.store.View(ctx, func(tx store.Tx) error {
		items, err := tx.List(kindSP, "", mark.Key, n+1)
		if err != nil {
			return err
		}
		if len(items) > n {
			items = items[:n]
			out.NextToken = markToken(pageMark{Key: items[n-1].Key})
		}
		for _, it := range items {
			out.SchedulingPolicies = append(out.SchedulingPolicies, SchedulingPolicyListingDetail{Arn: s.SchedulingPolicyARN(it.Key)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
