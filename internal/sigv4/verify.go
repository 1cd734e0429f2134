package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMaxSkew is how far a request's time may be from the server's clock,
// either way: AWS's 15 minutes ("Elements of an AWS API request signature").
const DefaultMaxSkew = 15 * time.Minute

// Options configure a Verifier.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// MaxSkew is the clock skew allowed either way; DefaultMaxSkew when zero
	// or negative.
	MaxSkew time.Duration
	// CacheSize bounds the derived signing-key cache (4096 entries when
	// zero; a negative size disables the cache).
	CacheSize int
	// Region, when set, is the only region a credential scope may name
	// ("Credential should be scoped to a valid region").
	Region string
}

// Verifier checks SigV4 signatures. It is safe for concurrent use; its only
// state is the cache of derived signing keys.
type Verifier struct {
	now     func() time.Time
	maxSkew time.Duration
	region  string
	keys    *keyCache
}

// NewVerifier returns a Verifier with the given options applied over the
// defaults.
func NewVerifier(optFns ...func(*Options)) *Verifier {
	o := Options{Now: time.Now, MaxSkew: DefaultMaxSkew, CacheSize: defaultCacheSize}
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = DefaultMaxSkew
	}
	if o.CacheSize == 0 {
		o.CacheSize = defaultCacheSize
	}
	return &Verifier{now: o.Now, maxSkew: o.MaxSkew, region: o.Region, keys: newKeyCache(o.CacheSize)}
}

// Validate runs the checks that need no secret, in AWS's order: the request
// time against the clock (and a presigned request's X-Amz-Expires), that
// host is signed, and the credential scope (region, terminator, date). A
// server can call it before looking up the access key, as AWS does; Verify
// calls it again.
func (v *Verifier) Validate(s *Signed) error {
	if s == nil {
		unsigned := *ErrUnsigned
		return &unsigned
	}
	now := v.now().UTC()
	t := s.Time
	switch {
	case t.After(now.Add(v.maxSkew)):
		return errNotYetCurrent(t, now, v.maxSkew)
	case s.Presigned && s.expiresGiven:
		// A presigned request is good from its X-Amz-Date until X-Amz-Expires
		// seconds later, as Amazon S3 has it (IAM and STS ignore X-Amz-Expires
		// and allow 15 minutes; batchd holds clients to what they asked for).
		if !now.Before(t.Add(s.Expires)) {
			return errRequestExpired()
		}
	case t.Before(now.Add(-v.maxSkew)):
		return errExpired(t, now, v.maxSkew)
	}
	hostSigned := false
	for _, h := range s.SignedHeaders {
		hostSigned = hostSigned || strings.EqualFold(h, "host") || h == ":authority"
	}
	if !hostSigned {
		return mismatch(msgHostNotSigned)
	}
	var scope string
	if v.region != "" && s.Region != v.region {
		scope += scopeRegion(s.Region)
	}
	if s.badTerminator != "" {
		scope += scopeTerminator(s.badTerminator)
	}
	var day [len(shortDateLayout)]byte
	if s.Date != string(appendAmzDate(day[:0], t, false)) {
		scope += scopeDate(s.Date, t)
	}
	if scope != "" {
		return mismatch(strings.TrimSuffix(scope, " "))
	}
	return nil
}

// Verify checks that s, as Parse read it from r, is a valid signature of r
// and body under secret: it runs Validate, rebuilds AWS's canonical request
// and string to sign, and compares signatures in constant time. body is the
// whole request body, already read. Every failure is an *Error; a wrong
// secret, and any change to a signed part of the request, is
// SignatureDoesNotMatch.
//
// The payload hash is X-Amz-Content-Sha256 when the request gives it:
// UNSIGNED-PAYLOAD and STREAMING-* are taken as given (the body is then not
// authenticated: a server must not let such a body carry an operation's
// parameters), and any other value must be the body's SHA-256. Otherwise it
// is the body's SHA-256, which is what STS's presigned URLs sign too; a
// presigned request with an empty body may also be signed over
// UNSIGNED-PAYLOAD, as Amazon S3's are.
func (v *Verifier) Verify(r *http.Request, body []byte, s *Signed, secret string) error {
	if err := v.Validate(s); err != nil {
		return err
	}
	var bodyHash [2 * sha256.Size]byte
	payload := s.PayloadHash
	tryUnsigned := false
	switch {
	case payload == unsignedPayload || strings.HasPrefix(payload, streamingPrefix):
	case payload != "":
		sum := sha256.Sum256(body)
		hex.Encode(bodyHash[:], sum[:])
		if payload != string(bodyHash[:]) {
			return errSignatureMismatch()
		}
	default:
		sum := sha256.Sum256(body)
		hex.Encode(bodyHash[:], sum[:])
		// An S3-style presigner signs UNSIGNED-PAYLOAD without saying so.
		// Only for an empty body is that the same as signing its hash:
		// otherwise whoever holds the URL could send any body with it.
		tryUnsigned = s.Presigned && len(body) == 0
	}

	key := v.keys.get(s.AccessKeyID, s.Date, s.Region, s.Service, secret)
	sc := scratchPool.Get().(*scratch)
	defer sc.release()

	cr := sc.canonicalPrefix(r, s)
	n := len(cr)
	if payload != "" {
		cr = append(cr, payload...)
	} else {
		cr = append(cr, bodyHash[:]...)
	}
	ok := sc.matches(s, key, sha256.Sum256(cr))
	if !ok && tryUnsigned {
		cr = append(cr[:n], unsignedPayload...)
		ok = sc.matches(s, key, sha256.Sum256(cr))
	}
	sc.canonical = cr
	if !ok {
		return errSignatureMismatch()
	}
	return nil
}

// scratch holds the buffers one verification needs; they are pooled so that
// a verification allocates nothing once warm.
type scratch struct {
	canonical []byte // the canonical request
	toSign    []byte // ipad block, then the string to sign
	arena     []byte // canonical query names and values
	tmp       []byte // one decoded query component
	params    []param
}

// param is one canonical query parameter: name and value as offsets into
// scratch.arena.
type param struct{ k0, k1, v0, v1 int }

// maxPooled keeps an outsized buffer from staying in the pool.
const maxPooled = 64 << 10

var scratchPool = sync.Pool{New: func() any {
	return &scratch{canonical: make([]byte, 0, 1024), toSign: make([]byte, 0, 256)}
}}

func (sc *scratch) release() {
	if cap(sc.canonical) > maxPooled || cap(sc.arena) > maxPooled {
		return
	}
	scratchPool.Put(sc)
}

// canonicalPrefix builds the canonical request up to its last line, the
// payload hash ("Create a signed AWS API request", step 1):
//
//	METHOD \n CANONICAL-URI \n CANONICAL-QUERY \n CANONICAL-HEADERS \n SIGNED-HEADERS \n
func (sc *scratch) canonicalPrefix(r *http.Request, s *Signed) []byte {
	b := sc.canonical[:0]
	b = append(b, r.Method...)
	b = append(b, '\n')
	var path, rawQuery string
	if r.URL != nil {
		path, rawQuery = r.URL.EscapedPath(), r.URL.RawQuery
	}
	if path == "" {
		path = "/"
	}
	if s.Service == "s3" {
		// Amazon S3 signs the path as sent; every other service encodes
		// the (already encoded) path once more, that is each segment twice.
		b = append(b, path...)
	} else {
		b = appendEncoded(b, path, true)
	}
	b = append(b, '\n')
	b = sc.appendQuery(b, rawQuery, s.Presigned)
	b = append(b, '\n')
	for _, name := range s.SignedHeaders {
		b = append(b, name...)
		b = append(b, ':')
		b = appendHeaderValue(b, r, name)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	for i, name := range s.SignedHeaders {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, name...)
	}
	b = append(b, '\n')
	return b
}

// appendQuery appends the canonical query string: each name and value
// decoded, then URI-encoded, sorted by encoded name and then value, joined
// as name=value with &. A presigned request's X-Amz-Signature is left out.
func (sc *scratch) appendQuery(b []byte, rawQuery string, presigned bool) []byte {
	if rawQuery == "" {
		return b
	}
	arena, params := sc.arena[:0], sc.params[:0]
	for rawQuery != "" {
		var seg string
		seg, rawQuery, _ = strings.Cut(rawQuery, "&")
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		sc.tmp = appendUnescaped(sc.tmp[:0], k)
		if presigned && string(sc.tmp) == querySignature {
			continue
		}
		var p param
		p.k0 = len(arena)
		arena = appendEncoded(arena, sc.tmp, false)
		p.k1 = len(arena)
		sc.tmp = appendUnescaped(sc.tmp[:0], v)
		p.v0 = len(arena)
		arena = appendEncoded(arena, sc.tmp, false)
		p.v1 = len(arena)
		params = append(params, p)
	}
	slices.SortFunc(params, func(x, y param) int {
		if c := bytes.Compare(arena[x.k0:x.k1], arena[y.k0:y.k1]); c != 0 {
			return c
		}
		return bytes.Compare(arena[x.v0:x.v1], arena[y.v0:y.v1])
	})
	for i, p := range params {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, arena[p.k0:p.k1]...)
		b = append(b, '=')
		b = append(b, arena[p.v0:p.v1]...)
	}
	sc.arena, sc.params = arena, params
	return b
}

// appendHeaderValue appends a signed header's canonical value: each value
// trimmed, runs of spaces made one, several values joined with commas. Go's
// server moves Host, and chunked Transfer-Encoding, out of Header, so those
// come from the request's own fields.
func appendHeaderValue(b []byte, r *http.Request, name string) []byte {
	if strings.EqualFold(name, "host") {
		host := r.Host
		if host == "" && r.URL != nil {
			host = r.URL.Host
		}
		return appendTrimmed(b, host)
	}
	values := lookupHeader(r.Header, name)
	if values == nil {
		switch {
		case strings.EqualFold(name, "content-length") && r.ContentLength > 0:
			return strconv.AppendInt(b, r.ContentLength, 10)
		case strings.EqualFold(name, "transfer-encoding"):
			values = r.TransferEncoding
		}
	}
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTrimmed(b, v)
	}
	return b
}

// lookupHeader finds a header by its lower-case signed name without
// allocating: through its canonical MIME form first, then by a
// case-insensitive scan for names Go leaves as they came.
func lookupHeader(h http.Header, name string) []string {
	var kb [64]byte
	if len(name) <= len(kb) {
		k := kb[:len(name)]
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			switch {
			case upper && 'a' <= c && c <= 'z':
				c -= 'a' - 'A'
			case !upper && 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			k[i] = c
			upper = c == '-'
		}
		if v, ok := h[string(k)]; ok {
			return v
		}
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// appendTrimmed appends v without leading and trailing white space and with
// each run of spaces made one ("Create a signed AWS API request", step 1).
func appendTrimmed(b []byte, v string) []byte {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b = append(b, v[i])
	}
	return b
}

// matches computes the signature of the canonical request whose SHA-256 is
// crHash and compares it with the one the client sent, in constant time.
// The string to sign ("Create a signed AWS API request", step 2) is
//
//	AWS4-HMAC-SHA256 \n TIME \n DATE/REGION/SERVICE/aws4_request \n hex(crHash)
//
// and the signature is hex(HMAC-SHA256(signing key, string to sign)),
// computed here as SHA-256(opad || SHA-256(ipad || string to sign)).
func (sc *scratch) matches(s *Signed, key *signingKey, crHash [sha256.Size]byte) bool {
	if len(s.Signature) != 2*sha256.Size {
		return false
	}
	b := append(sc.toSign[:0], key.ipad[:]...)
	b = append(b, algorithm+"\n"...)
	b = appendAmzDate(b, s.Time, true)
	b = append(b, '\n')
	b = append(b, s.Date...)
	b = append(b, '/')
	b = append(b, s.Region...)
	b = append(b, '/')
	b = append(b, s.Service...)
	b = append(b, "/"+terminator+"\n"...)
	b = hex.AppendEncode(b, crHash[:])
	inner := sha256.Sum256(b)
	sc.toSign = b

	var outer [sha256.BlockSize + sha256.Size]byte
	copy(outer[:], key.opad[:])
	copy(outer[sha256.BlockSize:], inner[:])
	mac := sha256.Sum256(outer[:])

	var want, got [2 * sha256.Size]byte
	hex.Encode(want[:], mac[:])
	copy(got[:], s.Signature)
	return hmac.Equal(want[:], got[:])
}

// appendAmzDate appends t in UTC as yyyymmdd, or with clock as
// yyyymmddThhmmssZ, without going through time.Format.
func appendAmzDate(b []byte, t time.Time, clock bool) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	b = appendDigits(b, year, 4)
	b = appendDigits(b, int(month), 2)
	b = appendDigits(b, day, 2)
	if clock {
		hour, minute, sec := t.Clock()
		b = append(b, 'T')
		b = appendDigits(b, hour, 2)
		b = appendDigits(b, minute, 2)
		b = appendDigits(b, sec, 2)
		b = append(b, 'Z')
	}
	return b
}

func appendDigits(b []byte, n, width int) []byte {
	var d [4]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
}
