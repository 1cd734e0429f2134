package store

import (
	"encoding/json"
	"errors"
	"fmt"
)

// GetJSON reads (kind, key) into a new T; found is false when it is absent.
func GetJSON[T any](tx Tx, kind, key string) (v *T, found bool, err error) {
	b, err := tx.Get(kind, key)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	v = new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, false, fmt.Errorf("decode %s %q: %w", kind, key, err)
	}
	return v, true, nil
}

// PutJSON writes v as JSON at (kind, key).
func PutJSON(tx Tx, kind, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(kind, key, b)
}

// InsertJSON writes v as JSON at (kind, key) only if the key is absent,
// else ErrExists.
func InsertJSON(tx Tx, kind, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Insert(kind, key, b)
}

// ListJSON decodes up to limit documents of kind whose keys start with
// prefix and sort after `after`, in key order (limit <= 0: all).
func ListJSON[T any](tx Tx, kind, prefix, after string, limit int) ([]*T, error) {
	items, err := tx.List(kind, prefix, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(items))
	for _, it := range items {
		v := new(T)
		if err := json.Unmarshal(it.Value, v); err != nil {
			return nil, fmt.Errorf("decode %s %q: %w", kind, it.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}
