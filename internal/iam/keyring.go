package iam

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
)

// Keyring seals secrets (secret access keys, session secrets) with the
// server's key before they go to the store, with AES-256-GCM. The key lives
// in a file beside the database, not in it: a copy of the database alone
// reveals no secret. The secret is sealed rather than hashed because SigV4
// verification needs the secret itself to derive the signing key.
type Keyring struct {
	aead cipher.AEAD
}

// NewKeyring uses a 32-byte key.
func NewKeyring(key []byte) (*Keyring, error) {
	if len(key) != 32 {
		return nil, errors.New("iam: server key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keyring{aead: aead}, nil
}

// LoadOrCreateKey reads the server key at path, creating it (mode 0600) with
// random bytes if absent.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != 32 {
			return nil, fmt.Errorf("server key %s: want 32 bytes, have %d", path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}

// Seal encrypts plaintext; additional binds it to its owner (e.g. the access
// key ID) so that a sealed secret cannot be moved to another record.
func (k *Keyring) Seal(plaintext, additional []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	return k.aead.Seal(nonce, nonce, plaintext, additional)
}

// Open decrypts what Seal produced.
func (k *Keyring) Open(sealed, additional []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("iam: sealed secret too short")
	}
	return k.aead.Open(nil, sealed[:n], sealed[n:], additional)
}

// fingerprint is a one-way digest for values compared but never shown
// (session tokens).
func fingerprint(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
