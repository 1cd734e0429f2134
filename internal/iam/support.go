package iam

import (
	"context"

	"batchd/internal/iam/policy"
	"batchd/internal/store"
)

// AuthorizeWithResourcePolicy is Authorize with a resource-based policy in
// the evaluation (a role's trust policy for sts:AssumeRole).
func (s *Service) AuthorizeWithResourcePolicy(ctx context.Context, p *Principal, env Env, c Check, resourcePolicy *policy.Policy) (*Verdict, error) {
	cc, err := s.callerPolicies(ctx, p)
	if err != nil {
		return nil, err
	}
	set := *cc.set
	set.Resource = resourcePolicy
	req := s.request(p, cc, env, c)
	d := set.Evaluate(req)
	return &Verdict{Decision: d, Request: req}, nil
}

// PolicyExists reports whether a managed policy (built-in or customer)
// exists.
func (s *Service) PolicyExists(ctx context.Context, arn string) bool {
	found := false
	_ = s.view(ctx, func(tx store.Tx) error {
		_, err := s.loadManaged(tx, arn)
		found = err == nil
		return nil
	})
	return found
}

// KnowsKey reports whether an access key ID (long-term or temporary) was
// issued here.
func (s *Service) KnowsKey(ctx context.Context, id string) bool {
	found := false
	_ = s.view(ctx, func(tx store.Tx) error {
		for _, kind := range []string{kindAccessKey, kindSession} {
			if _, err := tx.Get(kind, id); err == nil {
				found = true
			}
		}
		return nil
	})
	return found
}

var messageAD = []byte("batchd authorization message")

// SealMessage encrypts an authorization message with the server key.
func (s *Service) SealMessage(b []byte) []byte { return s.keys.Seal(b, messageAD) }

// OpenMessage decrypts what SealMessage produced.
func (s *Service) OpenMessage(b []byte) ([]byte, error) { return s.keys.Open(b, messageAD) }
