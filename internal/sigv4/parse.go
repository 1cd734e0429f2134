package sigv4

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	amzDateLayout   = "20060102T150405Z"
	shortDateLayout = "20060102"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	streamingPrefix = "STREAMING-"

	// maxExpires is the longest X-Amz-Expires AWS accepts: seven days
	// ("Authenticating Requests: Using Query Parameters").
	maxExpires = 604800

	queryAlgorithm     = "X-Amz-Algorithm"
	queryCredential    = "X-Amz-Credential"
	queryDate          = "X-Amz-Date"
	queryExpires       = "X-Amz-Expires"
	querySignedHeaders = "X-Amz-SignedHeaders"
	querySignature     = "X-Amz-Signature"
	querySecurityToken = "X-Amz-Security-Token"
	queryContentSHA256 = "X-Amz-Content-Sha256"
)

// Signed is what a request says about its signature, before verification:
// nothing in it has been checked against a secret yet.
type Signed struct {
	// AccessKeyID is the first element of the credential; the caller looks
	// up its secret (and, for temporary credentials, checks SecurityToken).
	AccessKeyID string
	// Date, Region and Service are the credential scope, DATE/REGION/SERVICE/aws4_request;
	// Date is yyyymmdd.
	Date            string
	Region, Service string
	// SignedHeaders are the header names the client signed, as it listed them.
	SignedHeaders []string
	// Signature is the hex signature the client sent.
	Signature string
	// Time is the signing time, from X-Amz-Date (or the Date header), in UTC.
	Time time.Time
	// Presigned is set when the signature came in the query string.
	Presigned bool
	// Expires is X-Amz-Expires of a presigned request; zero when absent.
	Expires time.Duration
	// SecurityToken is X-Amz-Security-Token, from the header or the query.
	SecurityToken string
	// PayloadHash is X-Amz-Content-Sha256 if the request gives it.
	PayloadHash string

	badTerminator string // the scope's last element when it is not aws4_request
	expiresGiven  bool   // X-Amz-Expires was present (it may be 0)
}

// Parse reads the signature a request carries, in its Authorization header
// or in its query string (a presigned URL), without verifying it.
//
// A request with neither returns an *Error with code
// MissingAuthenticationToken (errors.Is(err, ErrUnsigned)). A malformed
// signature returns an *Error with code IncompleteSignature (or, for a bad
// X-Amz-Expires, AuthorizationQueryParametersError), with AWS's message.
// Any other error is never returned: the result is either a *Signed or an
// *Error.
func Parse(r *http.Request) (*Signed, error) {
	var rawQuery string
	if r.URL != nil {
		rawQuery = r.URL.RawQuery
	}
	auth := r.Header["Authorization"]
	hasAuth := len(auth) > 0 && strings.TrimSpace(auth[0]) != ""
	presigned := hasPresignParams(rawQuery)
	switch {
	case hasAuth && presigned:
		return nil, incomplete(msgOneAuthMechanism)
	case hasAuth:
		return parseHeader(r, strings.TrimSpace(auth[0]), rawQuery)
	case presigned:
		return parseQuery(r, rawQuery)
	}
	unsigned := *ErrUnsigned
	return nil, &unsigned
}

// parseHeader reads "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b, Signature=hex" ("Create a signed AWS API request", step 4).
// Like AWS, it splits the parameters on commas and on whitespace, so a stray
// space inside a value surfaces as a part with no equal sign.
func parseHeader(r *http.Request, header, rawQuery string) (*Signed, error) {
	dateValue, fromAmzDate := requestDate(r.Header)
	scheme, rest, _ := strings.Cut(header, " ")
	if !strings.HasPrefix(scheme, "AWS4-") {
		// Not SigV4 at all (a bearer token, say): AWS lists every missing
		// parameter. The scheme's own parameters are never parsed or echoed.
		return nil, errMissingParts(header, false, false, false, dateValue != "")
	}
	var credential, signedHeaders, signature string
	var hasCredential, hasSignedHeaders, hasSignature bool
	for rest != "" {
		var part string
		if i := strings.IndexAny(rest, ", \t"); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			part, rest = rest, ""
		}
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, errNotKeyValue(part, header)
		}
		switch k {
		case "Credential":
			if hasCredential {
				return nil, errRepeatedPart(k, header)
			}
			credential, hasCredential = v, true
		case "SignedHeaders":
			if hasSignedHeaders {
				return nil, errRepeatedPart(k, header)
			}
			signedHeaders, hasSignedHeaders = v, true
		case "Signature":
			if hasSignature {
				return nil, errRepeatedPart(k, header)
			}
			signature, hasSignature = v, true
		}
	}
	if credential == "" || signature == "" || !hasSignedHeaders || dateValue == "" {
		return nil, errMissingParts(header, credential != "", signature != "", hasSignedHeaders, dateValue != "")
	}
	if scheme != algorithm {
		return nil, errUnsupportedAlgorithm(scheme)
	}
	t, ok := parseRequestDate(dateValue, fromAmzDate)
	if !ok {
		return nil, errDateFormat(dateValue)
	}
	s := &Signed{Signature: signature, Time: t}
	if err := s.setCredential(credential); err != nil {
		return nil, err
	}
	s.SignedHeaders = splitSignedHeaders(signedHeaders)
	s.SecurityToken = first(r.Header["X-Amz-Security-Token"])
	if s.SecurityToken == "" && strings.Contains(rawQuery, querySecurityToken) {
		s.SecurityToken = queryValue(rawQuery, querySecurityToken)
	}
	s.PayloadHash = first(r.Header["X-Amz-Content-Sha256"])
	return s, nil
}

// parseQuery reads a presigned request's X-Amz-* query parameters
// ("Authenticating Requests: Using Query Parameters").
func parseQuery(r *http.Request, rawQuery string) (*Signed, error) {
	var alg, credential, date, expires, signedHeaders, signature, token, payload string
	var hasSignedHeaders, hasExpires bool
	forEachParam(rawQuery, func(k, v string) {
		switch k {
		case queryAlgorithm:
			alg = firstSet(alg, v)
		case queryCredential:
			credential = firstSet(credential, v)
		case queryDate:
			date = firstSet(date, v)
		case queryExpires:
			if !hasExpires {
				expires, hasExpires = v, true
			}
		case querySignedHeaders:
			if !hasSignedHeaders {
				signedHeaders, hasSignedHeaders = v, true
			}
		case querySignature:
			signature = firstSet(signature, v)
		case querySecurityToken:
			token = firstSet(token, v)
		case queryContentSHA256:
			payload = firstSet(payload, v)
		}
	})
	var missing []string
	if alg == "" {
		missing = append(missing, queryAlgorithm)
	}
	if credential == "" {
		missing = append(missing, queryCredential)
	}
	if signature == "" {
		missing = append(missing, querySignature)
	}
	if !hasSignedHeaders {
		missing = append(missing, querySignedHeaders)
	}
	if date == "" {
		missing = append(missing, queryDate)
	}
	if len(missing) > 0 {
		return nil, errQueryMissing(missing)
	}
	if alg != algorithm {
		return nil, errUnsupportedAlgorithm(alg)
	}
	t, ok := parseAmzDate(date)
	if !ok {
		return nil, errDateFormat(date)
	}
	s := &Signed{Signature: signature, Time: t, Presigned: true}
	if hasExpires {
		// ParseInt clamps an out-of-range number to the int64 bound of its
		// sign, which the range checks below then refuse.
		n, err := strconv.ParseInt(expires, 10, 64)
		switch {
		case err != nil && !errors.Is(err, strconv.ErrRange):
			return nil, errQueryParams(msgExpiresNotNumber)
		case n < 0:
			return nil, errQueryParams(msgExpiresNegative)
		case n > maxExpires:
			return nil, errQueryParams(msgExpiresTooLarge)
		}
		s.Expires, s.expiresGiven = time.Duration(n)*time.Second, true
	}
	if err := s.setCredential(credential); err != nil {
		return nil, err
	}
	s.SignedHeaders = splitSignedHeaders(signedHeaders)
	s.SecurityToken = firstSet(token, first(r.Header["X-Amz-Security-Token"]))
	s.PayloadHash = firstSet(first(r.Header["X-Amz-Content-Sha256"]), payload)
	return s, nil
}

// setCredential splits AKID/DATE/REGION/SERVICE/TERM. AWS splits as Java's
// String.split does, dropping trailing empty elements, so "a/b/c/d/e/" has
// five; every other count is IncompleteSignature.
func (s *Signed) setCredential(credential string) error {
	c := strings.TrimRight(credential, "/")
	var parts [5]string
	for i := range 4 {
		var ok bool
		parts[i], c, ok = strings.Cut(c, "/")
		if !ok {
			return errCredentialParts(credential)
		}
	}
	if strings.Contains(c, "/") {
		return errCredentialParts(credential)
	}
	parts[4] = c
	s.AccessKeyID, s.Date, s.Region, s.Service = parts[0], parts[1], parts[2], parts[3]
	if parts[4] != terminator {
		s.badTerminator = parts[4]
	}
	return nil
}

func splitSignedHeaders(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ";")
}

// requestDate returns X-Amz-Date, or else the Date header; AWS takes either
// for header signatures ("Elements of an AWS API request signature").
func requestDate(h http.Header) (value string, amz bool) {
	if v := first(h["X-Amz-Date"]); v != "" {
		return v, true
	}
	return first(h["Date"]), false
}

func parseRequestDate(v string, amz bool) (time.Time, bool) {
	if amz {
		return parseAmzDate(v)
	}
	t, err := http.ParseTime(v)
	return t.UTC(), err == nil
}

// parseAmzDate parses exactly yyyymmddThhmmssZ, rejecting out-of-range
// fields rather than normalizing them, so that the parsed time formats back
// to the very text the client signed.
func parseAmzDate(v string) (time.Time, bool) {
	if len(v) != len(amzDateLayout) || v[8] != 'T' || v[15] != 'Z' {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(v[0:4]), num(v[4:6]), num(v[6:8])
	hour, minute, sec := num(v[9:11]), num(v[11:13]), num(v[13:15])
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // Feb 30 and the like
	}
	return t, true
}

// hasPresignParams reports whether the query carries any of the
// X-Amz-Algorithm, X-Amz-Credential, X-Amz-SignedHeaders or X-Amz-Signature
// parameters that make a presigned request.
func hasPresignParams(rawQuery string) bool {
	if !strings.Contains(rawQuery, "X-Amz-") && !strings.Contains(rawQuery, "%") {
		return false
	}
	found := false
	forEachParam(rawQuery, func(k, _ string) {
		switch k {
		case queryAlgorithm, queryCredential, querySignedHeaders, querySignature:
			found = true
		}
	})
	return found
}

// queryValue returns the first value of a query parameter.
func queryValue(rawQuery, key string) string {
	var value string
	var found bool
	forEachParam(rawQuery, func(k, v string) {
		if !found && k == key {
			value, found = v, true
		}
	})
	return value
}

// forEachParam calls fn with each decoded name and value of a raw query, as
// url.ParseQuery decodes them ('+' is a space), keeping text with a bad
// escape as it is.
func forEachParam(rawQuery string, fn func(k, v string)) {
	for rawQuery != "" {
		var seg string
		seg, rawQuery, _ = strings.Cut(rawQuery, "&")
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		fn(unescapeString(k), unescapeString(v))
	}
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
