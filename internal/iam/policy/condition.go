package policy

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// opKind is the base of a condition operator, without negation, IfExists or a
// set operator.
type opKind uint8

const (
	opStringEquals opKind = iota
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike // ArnEquals and ArnLike behave alike
	opNull
)

type setKind uint8

const (
	setNone setKind = iota
	setAnyValue
	setAllValues
)

// operatorInfo describes one base operator name as AWS spells it.
type operatorInfo struct {
	kind   opKind
	negate bool
}

// operators maps every condition operator AWS documents (without IfExists and
// set prefixes) to its base. IAM User Guide, "IAM JSON policy elements:
// Condition operators".
var operators = map[string]operatorInfo{
	"StringEquals":              {opStringEquals, false},
	"StringNotEquals":           {opStringEquals, true},
	"StringEqualsIgnoreCase":    {opStringEqualsIgnoreCase, false},
	"StringNotEqualsIgnoreCase": {opStringEqualsIgnoreCase, true},
	"StringLike":                {opStringLike, false},
	"StringNotLike":             {opStringLike, true},
	"NumericEquals":             {opNumericEquals, false},
	"NumericNotEquals":          {opNumericEquals, true},
	"NumericLessThan":           {opNumericLessThan, false},
	"NumericLessThanEquals":     {opNumericLessThanEquals, false},
	"NumericGreaterThan":        {opNumericGreaterThan, false},
	"NumericGreaterThanEquals":  {opNumericGreaterThanEquals, false},
	"DateEquals":                {opDateEquals, false},
	"DateNotEquals":             {opDateEquals, true},
	"DateLessThan":              {opDateLessThan, false},
	"DateLessThanEquals":        {opDateLessThanEquals, false},
	"DateGreaterThan":           {opDateGreaterThan, false},
	"DateGreaterThanEquals":     {opDateGreaterThanEquals, false},
	"Bool":                      {opBool, false},
	"BinaryEquals":              {opBinaryEquals, false},
	"IpAddress":                 {opIPAddress, false},
	"NotIpAddress":              {opIPAddress, true},
	"ArnEquals":                 {opArnLike, false},
	"ArnLike":                   {opArnLike, false},
	"ArnNotEquals":              {opArnLike, true},
	"ArnNotLike":                {opArnLike, true},
	"Null":                      {opNull, false},
}

// OperatorType is the data type an operator compares: String, Numeric, Date,
// Bool, Binary, IPAddress, ARN or Null.
func operatorType(k opKind) string {
	switch {
	case k <= opStringLike:
		return "String"
	case k <= opNumericGreaterThanEquals:
		return "Numeric"
	case k <= opDateGreaterThanEquals:
		return "Date"
	case k == opBool:
		return "Bool"
	case k == opBinaryEquals:
		return "Binary"
	case k == opIPAddress:
		return "IPAddress"
	case k == opArnLike:
		return "ARN"
	}
	return "Null"
}

// parsedOperator is a condition operator name taken apart.
type parsedOperator struct {
	base     string
	info     operatorInfo
	set      setKind
	ifExists bool
}

// parseOperator takes apart names like "ForAnyValue:StringLikeIfExists".
func parseOperator(name string) (parsedOperator, error) {
	var p parsedOperator
	rest := name
	switch {
	case strings.HasPrefix(rest, "ForAnyValue:"):
		p.set, rest = setAnyValue, rest[len("ForAnyValue:"):]
	case strings.HasPrefix(rest, "ForAllValues:"):
		p.set, rest = setAllValues, rest[len("ForAllValues:"):]
	}
	if base, ok := strings.CutSuffix(rest, "IfExists"); ok && base != "Null" {
		p.ifExists, rest = true, base
	}
	info, ok := operators[rest]
	if !ok {
		return p, fmt.Errorf("invalid condition operator %q", name)
	}
	if info.kind == opNull && p.set != setNone {
		return p, fmt.Errorf("invalid condition operator %q: Null takes no set operator", name)
	}
	p.base, p.info = rest, info
	return p, nil
}

// condition is one compiled (operator, key, values) triple.
type condition struct {
	kind     opKind
	negate   bool
	ifExists bool
	set      setKind
	key      string // lower-case
	strs     []pattern
	arns     []arnPattern
	nums     []float64
	dates    []time.Time
	prefixes []netip.Prefix
	bins     [][]byte
	bools    []bool
	null     bool // Null: true means "the key must be absent"
}

func compileCondition(op parsedOperator, key string, values []string, vars bool, path string) (condition, error) {
	c := condition{kind: op.info.kind, negate: op.info.negate, ifExists: op.ifExists, set: op.set, key: strings.ToLower(key)}
	bad := func(v, why string) error {
		return &Error{Path: path, Msg: fmt.Sprintf("%s value %q: %s", op.base, v, why)}
	}
	for _, v := range values {
		switch c.kind {
		case opStringEquals, opStringEqualsIgnoreCase:
			c.strs = append(c.strs, compilePattern(v, false, vars))
		case opStringLike:
			c.strs = append(c.strs, compilePattern(v, true, vars))
		case opArnLike:
			c.arns = append(c.arns, compileARNPattern(v, vars))
		case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return c, bad(v, "not a number")
			}
			c.nums = append(c.nums, f)
		case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
			t, ok := parseDate(v)
			if !ok {
				return c, bad(v, "not a date (ISO 8601, e.g. 2026-01-02T15:04:05Z, or epoch seconds)")
			}
			c.dates = append(c.dates, t)
		case opBool:
			b, ok := parseBool(v)
			if !ok {
				return c, bad(v, "not \"true\" or \"false\"")
			}
			c.bools = append(c.bools, b)
		case opBinaryEquals:
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				return c, bad(v, "not base64")
			}
			c.bins = append(c.bins, b)
		case opIPAddress:
			p, ok := parseIPPrefix(v)
			if !ok {
				return c, bad(v, "not an IPv4 or IPv6 address or CIDR range")
			}
			c.prefixes = append(c.prefixes, p)
		case opNull:
			b, ok := parseBool(v)
			if !ok {
				return c, bad(v, "not \"true\" or \"false\"")
			}
			if len(values) > 1 {
				return c, &Error{Path: path, Msg: "Null takes exactly one value"}
			}
			c.null = b
		}
	}
	return c, nil
}

func parseBool(v string) (bool, bool) {
	switch {
	case strings.EqualFold(v, "true"):
		return true, true
	case strings.EqualFold(v, "false"):
		return false, true
	}
	return false, false
}

func parseIPPrefix(v string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(v); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// dateLayouts are the ISO 8601 forms AWS accepts in Date conditions.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z",
}

// parseDate reads an ISO 8601 date or epoch seconds.
func parseDate(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	if v[0] >= '0' && v[0] <= '9' && !strings.ContainsAny(v, "-:T") {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			sec := int64(f)
			return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
		}
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// eval evaluates the condition against ctx, with AWS's rules for absent keys:
// IfExists and ForAllValues are true, negated operators are true, the rest
// false. An empty set of values counts as absent for the set operators.
func (c *condition) eval(ctx *Context) bool {
	vals, present := ctx.lookup(c.key)
	if c.kind == opNull {
		absent := !present || len(vals) == 0
		return absent == c.null
	}
	if !present || (c.set != setNone && len(vals) == 0) {
		switch {
		case c.set == setAllValues:
			return true
		case c.ifExists:
			return true
		case c.set == setAnyValue:
			return false
		}
		return c.negate
	}
	switch c.set {
	case setAnyValue:
		for _, v := range vals {
			if c.matchAny(v, ctx) != c.negate {
				return true
			}
		}
		return false
	case setAllValues:
		for _, v := range vals {
			if c.matchAny(v, ctx) == c.negate {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if c.matchAny(v, ctx) {
			return !c.negate
		}
	}
	return c.negate
}

// matchAny reports whether one request value matches any of the policy values
// under the positive form of the operator.
func (c *condition) matchAny(v string, ctx *Context) bool {
	switch c.kind {
	case opStringEquals, opStringLike:
		for i := range c.strs {
			if c.strs[i].match(v, ctx, false) {
				return true
			}
		}
	case opStringEqualsIgnoreCase:
		for i := range c.strs {
			if c.strs[i].match(v, ctx, true) {
				return true
			}
		}
	case opArnLike:
		for i := range c.arns {
			if c.arns[i].match(v, ctx) {
				return true
			}
		}
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		for _, p := range c.nums {
			if compare(c.kind-opNumericEquals, cmpFloat(f, p)) {
				return true
			}
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for _, p := range c.dates {
			if compare(c.kind-opDateEquals, t.Compare(p)) {
				return true
			}
		}
	case opBool:
		b, ok := parseBool(v)
		if !ok {
			return false
		}
		for _, p := range c.bools {
			if b == p {
				return true
			}
		}
	case opBinaryEquals:
		var buf [256]byte
		if base64.StdEncoding.DecodedLen(len(v)) > len(buf) {
			return false
		}
		n, err := base64.StdEncoding.Decode(buf[:], []byte(v))
		if err != nil {
			return false
		}
		for _, p := range c.bins {
			if bytes.Equal(buf[:n], p) {
				return true
			}
		}
	case opIPAddress:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for _, p := range c.prefixes {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

// compare applies one of the five comparisons (equals, less than, less than
// or equals, greater than, greater than or equals, in that order) to the
// result of a three-way comparison.
func compare(which opKind, cmp int) bool {
	switch which {
	case 0:
		return cmp == 0
	case 1:
		return cmp < 0
	case 2:
		return cmp <= 0
	case 3:
		return cmp > 0
	}
	return cmp >= 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
