package main

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"batchd/internal/console"
	"batchd/internal/iam"
)

// consoleIdentities lets the console check passwords with the IAM service.
type consoleIdentities struct{ iam *iam.Service }

func (c consoleIdentities) SignIn(ctx context.Context, user, password string) (*iam.Principal, bool, error) {
	p, status, err := c.iam.SignIn(ctx, user, password)
	return p, status != iam.SignedIn, err
}

func (c consoleIdentities) SignInRoot(ctx context.Context, password string) (*iam.Principal, error) {
	return c.iam.SignInRoot(ctx, password)
}

// errSignedInUserGone ends the session of a user who was deleted (or
// deleted and made again under the same name: another user ID).
var errSignedInUserGone = errors.New("the signed-in user no longer exists")

func (c consoleIdentities) Valid(ctx context.Context, p *iam.Principal) error {
	if p.IsRoot() {
		return nil
	}
	u, err := c.iam.GetUser(ctx, p.UserName)
	if err != nil {
		return err
	}
	if u.ID != p.UserID {
		return errSignedInUserGone
	}
	return nil
}

// withConsole serves the web console under /console/ and the rest with
// api.
func withConsole(api http.Handler, con *console.Console) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, "/console/") {
			con.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}
