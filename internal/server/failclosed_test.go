package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/smithy-go"

	batchsvc "batchd/internal/batch"
	"batchd/internal/iam"
	"batchd/internal/server"
	"batchd/internal/sigv4"
	"batchd/internal/store"
	"batchd/internal/store/memstore"
	"batchd/internal/sts"
)

// faultyStore fails reads of one kind in read-only transactions while
// failing is set: a passing store error while a decision's context is
// gathered.
type faultyStore struct {
	store.Store
	kind    string
	failing atomic.Bool
}

func (s *faultyStore) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.View(ctx, func(tx store.Tx) error { return fn(faultyTx{tx, s}) })
}

type faultyTx struct {
	store.Tx
	s *faultyStore
}

var errDisk = errors.New("disk I/O error")

func (t faultyTx) Get(kind, key string) ([]byte, error) {
	if kind == t.s.kind && t.s.failing.Load() {
		return nil, errDisk
	}
	return t.Tx.Get(kind, key)
}

type roles struct{ iam *iam.Service }

func (r roles) RoleExists(ctx context.Context, arn string) bool {
	_, err := r.iam.RoleByARN(ctx, arn)
	return err == nil
}

func (r roles) EnsureServiceLinkedRole(ctx context.Context) (string, error) {
	role, err := r.iam.EnsureBatchServiceLinkedRole(ctx)
	if err != nil {
		return "", err
	}
	return role.ARN, nil
}

// A Deny conditioned on a resource tag holds when the tags cannot be
// read: the call ends with an internal error, and nothing changes.
func TestTagConditionedDenyHoldsWhenTagsCannotBeRead(t *testing.T) {
	ctx := context.Background()
	st := &faultyStore{Store: memstore.New(), kind: "batch.ce"}
	kr, err := iam.NewKeyring(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	iamSvc := iam.New(iam.Config{Store: st, Keyring: kr, AccountID: "123456789012", Region: "us-east-1"})
	rootKey, rootSecret, err := iamSvc.Bootstrap(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	batchSvc := batchsvc.New(batchsvc.Config{Store: st, Roles: roles{iamSvc}, AccountID: "123456789012", Region: "us-east-1"})
	srv := httptest.NewServer(server.New(server.Config{IAM: iamSvc, STS: sts.New(iamSvc), Batch: batchSvc, Verifier: sigv4.NewVerifier(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Region: "us-east-1"}))
	defer srv.Close()
	client := func(id, secret string) *batch.Client {
		return batch.New(batch.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
	}
	root := client(rootKey, rootSecret)
	if _, err := root.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("prod-ce"),
		Type: batchtypes.CETypeUnmanaged, Tags: map[string]string{"team": "prod"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamSvc.CreateUser(ctx, iam.CreateUserInput{Name: "dev", Path: "/"}); err != nil {
		t.Fatal(err)
	}
	if err := iamSvc.PutUserPolicy(ctx, "dev", "p", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"batch:*","Resource":"*"},
		{"Effect":"Deny","Action":"batch:UpdateComputeEnvironment","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"prod"}}}]}`); err != nil {
		t.Fatal(err)
	}
	key, secret, err := iamSvc.CreateAccessKey(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	dev := client(key.ID, secret)
	update := func() error {
		_, err := dev.UpdateComputeEnvironment(ctx, &batch.UpdateComputeEnvironmentInput{ComputeEnvironment: aws.String("prod-ce"), State: batchtypes.CEStateDisabled})
		return err
	}
	var ae smithy.APIError
	if err := update(); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("tags readable: %v, want AccessDeniedException", err)
	}
	st.failing.Store(true)
	err = update()
	st.failing.Store(false)
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServerException" {
		t.Fatalf("tags unreadable: %v, want ServerException", err)
	}
	out, err := root.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{"prod-ce"}})
	if err != nil || len(out.ComputeEnvironments) != 1 || out.ComputeEnvironments[0].State != batchtypes.CEStateEnabled {
		t.Fatalf("the compute environment changed: %+v, %v", out, err)
	}
}
