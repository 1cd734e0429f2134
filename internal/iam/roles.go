package iam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"batchd/internal/arn"
	"batchd/internal/iam/policy"
	"batchd/internal/store"
)

// Role session duration bounds (IAM API Reference, CreateRole:
// MaxSessionDuration, "Valid Range: Minimum value of 3600. Maximum value of
// 43200").
const (
	defaultMaxSession = 3600
	minMaxSession     = 3600
	maxMaxSession     = 43200
	maxDescription    = 1000
)

// serviceRolePathPrefix is the path AWS reserves for service-linked roles.
const serviceRolePathPrefix = "/aws-service-role/"

// CreateRoleInput is CreateRole's input.
type CreateRoleInput struct {
	Name               string
	Path               string
	TrustPolicy        string // AssumeRolePolicyDocument
	Description        string
	MaxSessionDuration int32 // 0: AWS's default of 3600 seconds
	Boundary           string
	Tags               []Tag
}

// awsValidation words a request constraint the way AWS's request
// validation does ("1 validation error detected: Value ... at ... failed to
// satisfy constraint: ...").
func awsValidation(value, field, constraint string) *Error {
	return errorf(CodeValidationError, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint)
}

func checkMaxSession(d int32) error {
	switch {
	case d < minMaxSession:
		return awsValidation(itoa32(d), "maxSessionDuration", "Member must have value greater than or equal to 3600")
	case d > maxMaxSession:
		return awsValidation(itoa32(d), "maxSessionDuration", "Member must have value less than or equal to 43200")
	}
	return nil
}

func checkDescription(d string) error {
	if len([]rune(d)) > maxDescription {
		return awsValidation(d, "description", "Member must have length less than or equal to 1000")
	}
	return nil
}

func itoa32(n int32) string {
	if n < 0 {
		return "-" + itoa(-int(n))
	}
	return itoa(int(n))
}

// checkTrustPolicy checks a role's trust policy. AWS words an oversized
// trust policy as the ACLSizePerRole quota.
func checkTrustPolicy(doc, role string) error {
	err := checkPolicyDocument(doc, policy.KindTrust, "role "+role)
	if e, ok := err.(*Error); ok && e.Code == CodeLimitExceeded {
		return limitExceeded("Cannot exceed quota for ACLSizePerRole: 2048")
	}
	return err
}

// errProtectedRole refuses a change to a service-linked role (IAM User
// Guide, "Using service-linked roles": only the linked service may change
// it).
func errProtectedRole(name string) *Error {
	return errorf(CodeUnmodifiableEntity, "Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", name)
}

func (s *Service) roleARN(path, name string) string { return s.arn("role" + path + name) }

// CreateRole creates an IAM role.
func (s *Service) CreateRole(ctx context.Context, in CreateRoleInput) (*Role, error) {
	path, err := normPath(in.Path)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(path, serviceRolePathPrefix) {
		return nil, invalidInput("Path prefix '%s' can only be used for AWS Service linked Roles", serviceRolePathPrefix)
	}
	if in.MaxSessionDuration == 0 {
		in.MaxSessionDuration = defaultMaxSession
	}
	if err := checkMaxSession(in.MaxSessionDuration); err != nil {
		return nil, err
	}
	if err := checkDescription(in.Description); err != nil {
		return nil, err
	}
	if err := checkTrustPolicy(in.TrustPolicy, in.Name); err != nil {
		return nil, err
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	r := &Role{
		Name: in.Name, Path: path, ID: uniqueID(prefixRole), ARN: s.roleARN(path, in.Name), CreateDate: s.Now(),
		TrustPolicy: in.TrustPolicy, Description: in.Description, MaxSessionDuration: in.MaxSessionDuration, Tags: tags,
	}
	err = s.update(ctx, func(tx store.Tx) error {
		if in.Boundary != "" {
			if err := s.checkBoundary(tx, in.Boundary); err != nil {
				return err
			}
			r.Boundary = in.Boundary
		}
		if n, err := tx.Count(kindRole, ""); err != nil {
			return err
		} else if n >= s.limits.Roles {
			return limitExceeded("Cannot exceed quota for RolesPerAccount: %d", s.limits.Roles)
		}
		return insertRole(tx, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func insertRole(tx store.Tx, r *Role) error {
	if err := insert(tx, kindRole, nameKey(r.Name), r); errors.Is(err, store.ErrExists) {
		return alreadyExists("Role with name %s already exists.", r.Name)
	} else {
		return err
	}
}

// GetRole returns a role.
func (s *Service) GetRole(ctx context.Context, name string) (*Role, error) {
	var r *Role
	err := s.view(ctx, func(tx store.Tx) error {
		var err error
		r, err = loadHolder[Role](tx, roleHolder, name)
		return err
	})
	return r, err
}

// ListRoles lists roles whose path starts with pathPrefix, by name.
func (s *Service) ListRoles(ctx context.Context, pathPrefix string, p Page) (roles []*Role, marker string, truncated bool, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		all, err := list[Role](tx, kindRole, "")
		if err != nil {
			return err
		}
		prefix := pathPrefixOr(pathPrefix)
		all = slices.DeleteFunc(all, func(r *Role) bool { return !strings.HasPrefix(r.Path, prefix) })
		roles, marker, truncated, err = paginate(all, p)
		return err
	})
	return
}

// editRole is editHolder for the role operations that AWS allows on a
// service-linked role too (tags, description).
func (s *Service) editRole(ctx context.Context, name string, fn func(tx store.Tx, r *Role) error) error {
	return s.update(ctx, func(tx store.Tx) error {
		r, err := loadHolder[Role](tx, roleHolder, name)
		if err != nil {
			return err
		}
		if err := fn(tx, r); err != nil {
			return err
		}
		return put(tx, kindRole, nameKey(r.Name), r)
	})
}

// UpdateRole changes a role's description and maximum session duration;
// nil leaves a field as it is. The description of a service-linked role may
// be changed ("You can edit the description of any role", IAM User Guide,
// "Update a service-linked role"); its session duration may not.
func (s *Service) UpdateRole(ctx context.Context, name string, description *string, maxSession *int32) error {
	if description != nil {
		if err := checkDescription(*description); err != nil {
			return err
		}
	}
	if maxSession != nil {
		if err := checkMaxSession(*maxSession); err != nil {
			return err
		}
	}
	return s.editRole(ctx, name, func(_ store.Tx, r *Role) error {
		if maxSession != nil {
			if r.ServiceLinked != "" {
				return errProtectedRole(r.Name)
			}
			r.MaxSessionDuration = *maxSession
		}
		if description != nil {
			r.Description = *description
		}
		return nil
	})
}

// UpdateRoleDescription changes a role's description and returns the role.
func (s *Service) UpdateRoleDescription(ctx context.Context, name, description string) (*Role, error) {
	if err := checkDescription(description); err != nil {
		return nil, err
	}
	var out *Role
	err := s.editRole(ctx, name, func(_ store.Tx, r *Role) error {
		r.Description = description
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, name, doc string) error {
	if err := checkTrustPolicy(doc, name); err != nil {
		return err
	}
	return editHolder[Role](ctx, s, roleHolder, name, func(_ store.Tx, r *Role) error {
		r.TrustPolicy = doc
		return nil
	})
}

// DeleteRole deletes a role that is in no instance profile and has no
// policies left, as IAM requires. A service-linked role is deleted only
// through DeleteServiceLinkedRole.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	return s.update(ctx, func(tx store.Tx) error {
		r, err := loadHolder[Role](tx, roleHolder, name)
		if err != nil {
			return err
		}
		if r.ServiceLinked != "" {
			return errProtectedRole(r.Name)
		}
		profiles, err := profilesOfRole(tx, r.Name)
		if err != nil {
			return err
		}
		switch {
		case len(profiles) > 0:
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		case len(r.AttachedPolicies) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(r.InlinePolicies) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		}
		return tx.Delete(kindRole, nameKey(r.Name))
	})
}

// TagRole adds or replaces tags on a role, service-linked or not (IAM API
// Reference, TagRole).
func (s *Service) TagRole(ctx context.Context, name string, tags []Tag) error {
	return s.editRole(ctx, name, func(_ store.Tx, r *Role) (err error) {
		r.Tags, err = mergeTags(r.Tags, tags)
		return err
	})
}

// UntagRole removes tags from a role.
func (s *Service) UntagRole(ctx context.Context, name string, keys []string) error {
	return s.editRole(ctx, name, func(_ store.Tx, r *Role) error {
		r.Tags = removeTags(r.Tags, keys)
		return nil
	})
}

// ListRoleTags lists a role's tags in the order they were added.
func (s *Service) ListRoleTags(ctx context.Context, name string, p Page) (tags []Tag, marker string, truncated bool, err error) {
	err = s.view(ctx, func(tx store.Tx) error {
		r, err := loadHolder[Role](tx, roleHolder, name)
		if err != nil {
			return err
		}
		tags, marker, truncated, err = paginate(r.Tags, p)
		return err
	})
	return
}

// PutRolePolicy adds or replaces an inline policy of a role.
func (s *Service) PutRolePolicy(ctx context.Context, role, name, doc string) error {
	return putInline[Role](ctx, s, roleHolder, role, name, doc)
}

// GetRolePolicy returns an inline policy of a role.
func (s *Service) GetRolePolicy(ctx context.Context, role, name string) (string, error) {
	return getInline[Role](ctx, s, roleHolder, role, name)
}

// ListRolePolicies lists a role's inline policy names.
func (s *Service) ListRolePolicies(ctx context.Context, role string) ([]string, error) {
	return listInline[Role](ctx, s, roleHolder, role)
}

// DeleteRolePolicy deletes an inline policy of a role.
func (s *Service) DeleteRolePolicy(ctx context.Context, role, name string) error {
	return deleteInline[Role](ctx, s, roleHolder, role, name)
}

// AttachRolePolicy attaches a managed policy to a role.
func (s *Service) AttachRolePolicy(ctx context.Context, role, policyARN string) error {
	return attachPolicy[Role](ctx, s, roleHolder, role, policyARN)
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, role, policyARN string) error {
	return detachPolicy[Role](ctx, s, roleHolder, role, policyARN)
}

// ListAttachedRolePolicies lists the managed policies attached to a role.
func (s *Service) ListAttachedRolePolicies(ctx context.Context, role, pathPrefix string) ([]AttachedPolicy, error) {
	return listAttached[Role](ctx, s, roleHolder, role, pathPrefix)
}

// PutRolePermissionsBoundary sets a role's permissions boundary.
func (s *Service) PutRolePermissionsBoundary(ctx context.Context, role, policyARN string) error {
	return editHolder[Role](ctx, s, roleHolder, role, func(tx store.Tx, r *Role) error {
		if err := s.checkBoundary(tx, policyARN); err != nil {
			return err
		}
		r.Boundary = policyARN
		return nil
	})
}

// DeleteRolePermissionsBoundary removes a role's permissions boundary.
func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, role string) error {
	return editHolder[Role](ctx, s, roleHolder, role, func(_ store.Tx, r *Role) error {
		r.Boundary = ""
		return nil
	})
}

// RoleByARN finds the role an ARN names (arn:PARTITION:iam::ACCOUNT:role/PATH/NAME),
// for STS. The ARN must be the role's own, path included.
func (s *Service) RoleByARN(ctx context.Context, roleARN string) (*Role, error) {
	name, ok := s.roleNameOf(roleARN)
	if !ok {
		return nil, invalidInput("ARN %s is not valid.", roleARN)
	}
	var r *Role
	err := s.view(ctx, func(tx store.Tx) error {
		v, found, err := get[Role](tx, kindRole, nameKey(name))
		if err != nil {
			return err
		}
		if !found || v.ARN != roleARN {
			return noSuchEntity("The role with name %s cannot be found.", name)
		}
		r = v
		return nil
	})
	return r, err
}

// roleNameOf returns the name in a role ARN of this account.
func (s *Service) roleNameOf(roleARN string) (string, bool) {
	a, err := arn.Parse(roleARN)
	if err != nil || a.Service != "iam" || a.Partition != s.partition || a.AccountID != s.account || !strings.HasPrefix(a.Resource, "role/") {
		return "", false
	}
	name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
	return name, name != ""
}

// MarkRoleUsed records that a role was assumed in region (RoleLastUsed), at
// most once a minute per role and region. Like RecordKeyUse it does not mark the
// policy caches stale: nothing they hold depends on it.
func (s *Service) MarkRoleUsed(ctx context.Context, name, region string) error {
	now := s.Now()
	return s.store.Update(ctx, func(tx store.Tx) error {
		r, found, err := get[Role](tx, kindRole, nameKey(name))
		if err != nil || !found {
			return err
		}
		if now.Sub(r.LastUsed) < time.Minute && r.LastUsedIn == region {
			return nil
		}
		r.LastUsed, r.LastUsedIn = now, region
		return put(tx, kindRole, nameKey(r.Name), r)
	})
}

// The service-linked role of AWS Batch (AWS Batch User Guide, "Using
// service-linked roles for AWS Batch"): trusted by batch.amazonaws.com, with
// the BatchServiceRolePolicy AWS managed policy.
const (
	BatchServiceName         = "batch.amazonaws.com"
	BatchServiceLinkedRole   = "AWSServiceRoleForBatch"
	batchServiceRolePolicy   = "arn:aws:iam::aws:policy/aws-service-role/BatchServiceRolePolicy"
	kindServiceRoleDeletion  = "iam.slrdeletion"
	deletionStatusSucceeded  = "SUCCEEDED"
	serviceLinkedTaskPrefix  = "task/aws-service-role/"
	serviceLinkedTrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"%s"},"Action":"sts:AssumeRole"}]}`
)

// linkedService is what IAM knows of a service that has a service-linked
// role.
type linkedService struct {
	roleName string
	policies []string
}

// linkedServices are the services whose service-linked roles batchd can
// create.
var linkedServices = map[string]linkedService{
	BatchServiceName: {roleName: BatchServiceLinkedRole, policies: []string{batchServiceRolePolicy}},
}

// serviceRoleDeletion is a stored DeleteServiceLinkedRole task. batchd
// deletes at once, so every task it knows has succeeded.
type serviceRoleDeletion struct {
	ID      string
	Role    string
	Service string
	Status  string
	Created time.Time
}

// CreateServiceLinkedRole creates the service-linked role of serviceName
// (IAM API Reference, CreateServiceLinkedRole). Only AWS Batch's is known.
// customSuffix, when given, is appended to the role name after "_".
func (s *Service) CreateServiceLinkedRole(ctx context.Context, serviceName, description, customSuffix string) (*Role, error) {
	if err := checkDescription(description); err != nil {
		return nil, err
	}
	var r *Role
	err := s.update(ctx, func(tx store.Tx) error {
		var err error
		r, err = s.createServiceLinkedRole(tx, serviceName, description, customSuffix)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Service) createServiceLinkedRole(tx store.Tx, serviceName, description, customSuffix string) (*Role, error) {
	svc, ok := linkedServices[serviceName]
	if !ok {
		return nil, invalidInput("Service role name for %s has not been whitelisted.", serviceName)
	}
	name := svc.roleName
	if customSuffix != "" {
		name += "_" + customSuffix
	}
	path := serviceRolePathPrefix + serviceName + "/"
	r := &Role{
		Name: name, Path: path, ID: uniqueID(prefixRole), ARN: s.roleARN(path, name), CreateDate: s.Now(),
		TrustPolicy: strings.Replace(serviceLinkedTrustPolicy, "%s", serviceName, 1), Description: description,
		MaxSessionDuration: defaultMaxSession, ServiceLinked: serviceName,
		// Attached directly: the policies are not attachable by anyone
		// else (IsAttachable false), which attachPolicy enforces.
		AttachedPolicies: slices.Clone(svc.policies),
	}
	// No RolesPerAccount check: the service creates the role it needs.
	if err := insert(tx, kindRole, nameKey(name), r); errors.Is(err, store.ErrExists) {
		return nil, invalidInput("Service role name %s has been taken in this account, please try a different suffix.", name)
	} else if err != nil {
		return nil, err
	}
	return r, nil
}

// EnsureBatchServiceLinkedRole returns AWSServiceRoleForBatch, creating it
// when absent, as AWS Batch does when a managed compute environment names no
// service role.
func (s *Service) EnsureBatchServiceLinkedRole(ctx context.Context) (*Role, error) {
	if r, err := s.GetRole(ctx, BatchServiceLinkedRole); err == nil && r.ServiceLinked == BatchServiceName {
		return r, nil
	}
	var r *Role
	err := s.update(ctx, func(tx store.Tx) error {
		have, found, err := get[Role](tx, kindRole, nameKey(BatchServiceLinkedRole))
		if err != nil {
			return err
		}
		if found {
			if have.ServiceLinked != BatchServiceName {
				return invalidInput("Service role name %s has been taken in this account, please try a different suffix.", have.Name)
			}
			r = have
			return nil
		}
		r, err = s.createServiceLinkedRole(tx, BatchServiceName, "", "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteServiceLinkedRole deletes a service-linked role and returns the ID
// of its deletion task (IAM API Reference, DeleteServiceLinkedRole). batchd
// deletes at once; the task is kept so that its status can be asked.
func (s *Service) DeleteServiceLinkedRole(ctx context.Context, name string) (string, error) {
	var taskID string
	err := s.update(ctx, func(tx store.Tx) error {
		r, err := loadHolder[Role](tx, roleHolder, name)
		if err != nil {
			return err
		}
		if r.ServiceLinked == "" {
			return invalidInput("The role with name %s is not a service-linked role.", r.Name)
		}
		profiles, err := profilesOfRole(tx, r.Name)
		if err != nil {
			return err
		}
		for _, p := range profiles {
			p.Roles = slices.DeleteFunc(p.Roles, func(n string) bool { return strings.EqualFold(n, r.Name) })
			if err := put(tx, kindProfile, nameKey(p.Name), p); err != nil {
				return err
			}
		}
		if err := tx.Delete(kindRole, nameKey(r.Name)); err != nil {
			return err
		}
		taskID = serviceLinkedTaskPrefix + r.ServiceLinked + "/" + r.Name + "/" + newUUID()
		return insert(tx, kindServiceRoleDeletion, taskID, &serviceRoleDeletion{
			ID: taskID, Role: r.Name, Service: r.ServiceLinked, Status: deletionStatusSucceeded, Created: s.Now(),
		})
	})
	if err != nil {
		return "", err
	}
	return taskID, nil
}

// GetServiceLinkedRoleDeletionStatus returns the status of a deletion task:
// SUCCEEDED for every task batchd made.
func (s *Service) GetServiceLinkedRoleDeletionStatus(ctx context.Context, taskID string) (string, error) {
	var status string
	err := s.view(ctx, func(tx store.Tx) error {
		t, found, err := get[serviceRoleDeletion](tx, kindServiceRoleDeletion, taskID)
		if err != nil {
			return err
		}
		if !found {
			return noSuchEntity("Deletion task %s cannot be found.", taskID)
		}
		status = t.Status
		return nil
	})
	return status, err
}

// newUUID returns a random (version 4) UUID in its usual text form.
func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
