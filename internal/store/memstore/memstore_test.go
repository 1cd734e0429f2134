package memstore

import (
	"testing"

	"batchd/internal/store"
	"batchd/internal/store/storetest"
)

// TestStore runs the conformance suite of store.Store on memstore.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return New() })
}
