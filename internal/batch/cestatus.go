package batch

import (
	"context"
	"fmt"

	"batchd/internal/store"
)

// CEStatusReasonHealthy is the statusReason of a VALID compute environment.
const CEStatusReasonHealthy = ceHealthy

// SetComputeEnvironmentStatus records what the scheduler found out about a
// compute environment (name or ARN): VALID ("ComputeEnvironment Healthy"),
// or INVALID with the reason, such as the action its service role may not
// perform (AWS Batch User Guide, "INVALID compute environment"). A
// compute environment whose status and reason are already those is not
// written. An unknown one is an error wrapping store.ErrNotFound.
// UpdateComputeEnvironment makes an environment VALID again, so that the
// scheduler looks at it anew.
func (s *Service) SetComputeEnvironmentStatus(ctx context.Context, name, status, reason string) error {
	if status != CEStatusValid && status != CEStatusInvalid {
		return fmt.Errorf("batch: SetComputeEnvironmentStatus: status %q is neither VALID nor INVALID", status)
	}
	if status == CEStatusValid && reason == "" {
		reason = ceHealthy
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		ce, found, err := s.loadCE(tx, name)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("batch: compute environment %q: %w", name, store.ErrNotFound)
		}
		if ce.Status == status && deref(ce.StatusReason) == reason {
			return nil
		}
		ce.Status, ce.StatusReason = status, ptrTo(reason)
		return store.PutJSON(tx, kindCE, ce.ComputeEnvironmentName, ce)
	})
}
