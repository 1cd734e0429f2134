package iam

import (
	"context"
	"errors"
	"testing"

	"batchd/internal/store/memstore"
)

// Bootstrap refuses a server key that does not open the store's secrets:
// a replica started with a key of its own, not a copy of the others'.
func TestBootstrapWrongServerKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := memstore.New()
	service := func(fill byte) *Service {
		key := make([]byte, 32)
		for i := range key {
			key[i] = fill
		}
		keys, err := NewKeyring(key)
		if err != nil {
			t.Fatal(err)
		}
		return New(Config{Store: st, Keyring: keys, AccountID: testAccount, Region: "us-east-1"})
	}
	if _, _, err := service(1).Bootstrap(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := service(1).Bootstrap(ctx, "", ""); err != nil {
		t.Errorf("Bootstrap again with the same key: %v", err)
	}
	for _, dev := range []string{"", "test"} {
		if _, _, err := service(2).Bootstrap(ctx, dev, dev); !errors.Is(err, ErrWrongServerKey) {
			t.Errorf("Bootstrap (dev key %q) with another key = %v, want ErrWrongServerKey", dev, err)
		}
	}
}
