package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"batchd/internal/awsproto"
	"batchd/internal/batch"
	"batchd/internal/iam"
)

// simulation makes a Call authorize without acting: every check is decided
// by decide and kept, and a denial does not stop the others.
type simulation struct {
	decide func(iam.Check) (*iam.Verdict, error)
	steps  []Step
	// tags, when non-nil, are the resources' tags by ARN, read instead of
	// the store (an offline simulation).
	tags map[string]map[string]string
}

// SimulateRequest is one Batch request to authorize without running it.
type SimulateRequest struct {
	// Operation is a Batch operation name, e.g. "SubmitJob".
	Operation string
	// Input is the operation's input as JSON, as the API takes it.
	Input []byte
	// Decide decides one check for the simulated caller.
	Decide func(iam.Check) (*iam.Verdict, error)
	// Tags, when non-nil, are the resources' tags by ARN and the store is
	// not read: resources are taken to exist as the request names them.
	Tags map[string]map[string]string
}

// Simulate authorizes a Batch request exactly as the server does — through
// the operation's own authorization code, the same code path as a real
// call — without running it, and returns every check the request needs in
// the order the server makes them: each resource it touches and each extra
// permission (iam:PassRole, batch:TagResource, ...). The request is allowed
// when no step Denies.
func (s *Server) Simulate(ctx context.Context, req SimulateRequest) ([]Step, error) {
	row, ok := batchOps[req.Operation]
	if !ok {
		return nil, fmt.Errorf("unknown Batch operation %q (want one of: %s)", req.Operation, strings.Join(BatchOperations(), ", "))
	}
	// The input is checked and decoded as the server's REST codec does
	// (the model's constraints, AWS's messages): an input the live call
	// refuses is refused here, with the same error.
	in := row.newInput()
	m, err := awsproto.DecodeJSONObject(req.Input)
	if err == nil {
		err = awsproto.ValidateJSON("batch", req.Operation, m)
	}
	if err == nil {
		err = awsproto.DecodeRESTInput(req.Operation, m, in)
	}
	if err == nil && len(bytes.TrimSpace(req.Input)) > 0 {
		// A member the operation does not have is a typo the live call
		// would pass over: a simulation says so rather than answer for
		// another request.
		dec := json.NewDecoder(bytes.NewReader(req.Input))
		dec.DisallowUnknownFields()
		err = dec.Decode(row.newInput())
	}
	if err != nil {
		return nil, fmt.Errorf("%s input: %w", req.Operation, err)
	}
	c := &Call{Ctx: ctx, srv: s, Service: "batch", Operation: req.Operation, Input: in,
		sim: &simulation{decide: req.Decide, tags: req.Tags}}
	if err := row.authorize(c, in); err != nil {
		return nil, err
	}
	return c.sim.steps, nil
}

// BatchOperations lists the Batch operations Simulate knows.
func BatchOperations() []string {
	var out []string
	for name := range batchOps {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// resourceTags reads the tags of a Batch resource by ARN.
func (c *Call) resourceTags(arn string) (map[string]string, error) {
	if c.sim != nil && c.sim.tags != nil {
		return c.sim.tags[arn], nil
	}
	return c.batch().ResourceTags(c.Ctx, arn)
}

// jobTags reads the tags of a job by ID.
func (c *Call) jobTags(jobID string) (map[string]string, error) {
	if c.sim != nil && c.sim.tags != nil {
		return c.sim.tags[c.batch().JobARN(jobID)], nil
	}
	return c.batch().JobTags(c.Ctx, jobID)
}

// submitTargets reads what SubmitJob's authorization needs.
func (c *Call) submitTargets(queue, definition string) (batch.SubmitTargets, error) {
	t, err := c.batch().SubmitTargetsOf(c.Ctx, queue, definition)
	if err != nil || c.sim == nil || c.sim.tags == nil {
		return t, err
	}
	t.QueueTags = c.sim.tags[t.QueueARN]
	if t.Revision {
		t.DefinitionTags = c.sim.tags[t.DefinitionARN]
	}
	return t, nil
}
