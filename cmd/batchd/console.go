package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"batchd/internal/console"
	"batchd/internal/iam"
	"batchd/internal/store"
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

// kindConsoleSession holds the console's sessions (console.SessionStore):
// in the store, every replica sees them and they outlive a restart.
const kindConsoleSession = "console.session"

// storeSessions keeps console sessions in the store.
type storeSessions struct {
	st   store.Store
	now  func() time.Time
	puts atomic.Uint64
}

func (s *storeSessions) Get(ctx context.Context, key string) (*console.Session, bool, error) {
	var out *console.Session
	err := s.st.View(ctx, func(tx store.Tx) error {
		v, found, err := store.GetJSON[console.Session](tx, kindConsoleSession, key)
		if found {
			out = v
		}
		return err
	})
	return out, out != nil, err
}

// sweepEvery is how many sign-ins pass between sweeps of expired sessions
// (those whose browser never came back).
const sweepEvery = 64

func (s *storeSessions) Put(ctx context.Context, key string, sess *console.Session) error {
	sweep := s.puts.Add(1)%sweepEvery == 0
	return s.st.Update(ctx, func(tx store.Tx) error {
		if sweep {
			if err := s.sweep(tx); err != nil {
				return err
			}
		}
		return store.PutJSON(tx, kindConsoleSession, key, sess)
	})
}

// sweep removes up to 1,000 expired sessions.
func (s *storeSessions) sweep(tx store.Tx) error {
	items, err := tx.List(kindConsoleSession, "", "", 1000)
	if err != nil {
		return err
	}
	now := s.now()
	for _, it := range items {
		var exp struct{ Expires time.Time }
		if err := json.Unmarshal(it.Value, &exp); err != nil || !now.Before(exp.Expires) {
			if err := tx.Delete(kindConsoleSession, it.Key); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

func (s *storeSessions) Delete(ctx context.Context, key string) error {
	return s.st.Update(ctx, func(tx store.Tx) error {
		err := tx.Delete(kindConsoleSession, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
}
