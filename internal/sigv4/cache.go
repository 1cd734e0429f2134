package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash/maphash"
	"strings"
	"sync"
)

// defaultCacheSize bounds the derived-key cache: one entry per access key,
// day, region and service in use.
const defaultCacheSize = 4096

// signingKey is a derived SigV4 signing key, kept as the two HMAC-SHA256
// pad blocks (key XOR ipad, key XOR opad), so that signing a string costs
// exactly two SHA-256 runs and no allocation.
type signingKey struct {
	ipad, opad [sha256.BlockSize]byte
}

// deriveKey runs the SigV4 key derivation ("Calculate the signature",
// step 1): kDate = HMAC("AWS4"+secret, date), then region, service and
// "aws4_request".
func deriveKey(secret, date, region, service string) *signingKey {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	kSecret := []byte("AWS4" + secret)
	k := mac(kSecret, date)
	clear(kSecret)
	k = mac(k, region)
	k = mac(k, service)
	k = mac(k, terminator)
	sk := new(signingKey)
	for i := range sk.ipad {
		var b byte
		if i < len(k) {
			b = k[i]
		}
		sk.ipad[i] = b ^ 0x36
		sk.opad[i] = b ^ 0x5c
	}
	clear(k)
	return sk
}

type cacheKey struct {
	accessKeyID, date, region, service string
	// secret is a keyed 64-bit fingerprint of the secret, not the secret:
	// a new secret for the same access key misses the cache.
	secret uint64
}

// keyCache is a bounded map of derived signing keys. When full, it drops an
// arbitrary entry (Go's map iteration order is random): entries are cheap to
// rebuild (four HMACs) and good for a day at most.
type keyCache struct {
	seed maphash.Seed
	max  int

	mu sync.RWMutex
	m  map[cacheKey]*signingKey
}

func newKeyCache(size int) *keyCache {
	return &keyCache{seed: maphash.MakeSeed(), max: size, m: make(map[cacheKey]*signingKey)}
}

func (c *keyCache) get(accessKeyID, date, region, service, secret string) *signingKey {
	if c.max <= 0 {
		return deriveKey(secret, date, region, service)
	}
	k := cacheKey{accessKeyID, date, region, service, maphash.String(c.seed, secret)}
	c.mu.RLock()
	sk := c.m[k]
	c.mu.RUnlock()
	if sk != nil {
		return sk
	}
	sk = deriveKey(secret, date, region, service)
	// The strings may point into a request's headers; keep copies only.
	k.accessKeyID, k.date = strings.Clone(k.accessKeyID), strings.Clone(k.date)
	k.region, k.service = strings.Clone(k.region), strings.Clone(k.service)
	c.mu.Lock()
	if len(c.m) >= c.max {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = sk
	c.mu.Unlock()
	return sk
}
