// Command credprobe is a job of the end-to-end tests: with the AWS SDK's
// default credential chain (the container credentials batchd serves a job
// with a role) it prints who it is and whether iam:ListUsers is allowed.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func main() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println("config:", err)
		os.Exit(2)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Println("identity error:", err)
		os.Exit(3)
	}
	fmt.Println("arn:", *id.Arn)
	_, err = iam.NewFromConfig(cfg).ListUsers(ctx, &iam.ListUsersInput{})
	var ae smithy.APIError
	switch {
	case err == nil:
		fmt.Println("iam: allowed")
	case errors.As(err, &ae):
		fmt.Println("iam:", ae.ErrorCode())
	default:
		fmt.Println("iam error:", err)
	}
}
