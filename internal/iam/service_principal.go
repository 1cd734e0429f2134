package iam

import (
	"context"
	"fmt"

	"batchd/internal/iam/policy"
)

// ServiceSession is how an AWS service acts with a role it was given:
// batch.amazonaws.com with a compute environment's service role,
// ecs-tasks.amazonaws.com with a job's role. The role's trust policy must
// allow the service principal sts:AssumeRole; the returned principal is a
// session of the role (named sessionName) whose every action goes through
// Authorize like any caller's. It is not stored: it has no credentials.
func (s *Service) ServiceSession(ctx context.Context, roleARN, service, sessionName string) (*Principal, error) {
	role, err := s.RoleByARN(ctx, roleARN)
	if err != nil {
		return nil, err
	}
	trust, err := s.compile("trust policy of "+role.Name, role.TrustPolicy)
	if err != nil {
		return nil, err
	}
	caller := policy.Caller{ARN: service, Kind: policy.ServicePrincipal, Name: service}
	ctxKeys := policy.NewContext()
	ctxKeys.Set("aws:PrincipalServiceName", service)
	ctxKeys.Set("aws:PrincipalIsAWSService", "true")
	d := (&policy.Set{Resource: trust}).Evaluate(&policy.Request{Caller: caller, Action: "sts:AssumeRole", Resource: role.ARN, Context: ctxKeys})
	if d.Outcome != policy.Allowed {
		return nil, &Error{Code: "AccessDenied", Message: fmt.Sprintf("%s is not authorized to perform: sts:AssumeRole on resource: %s", service, role.ARN)}
	}
	sess := &Session{Kind: "AssumedRole", RoleName: role.Name, RoleARN: role.ARN, RoleID: role.ID, SessionName: sessionName, Issued: s.Now()}
	return &Principal{
		Kind: policy.AssumedRole, Account: s.account, RoleName: role.Name, RoleARN: role.ARN, Session: sess,
		ARN:    "arn:" + s.partition + ":sts::" + s.account + ":assumed-role/" + role.Name + "/" + sessionName,
		UserID: role.ID + ":" + sessionName, AccessKeyID: "service:" + service,
	}, nil
}
