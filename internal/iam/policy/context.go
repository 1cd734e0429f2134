package policy

import "strings"

// Context is a request context: condition keys and their values. Key names are
// case-insensitive, as in AWS; values keep their case. A key with several
// values is a multivalued key (aws:TagKeys); a key absent from the context is
// absent, whatever policy asks for it. Build a Context once per request; it is
// read-only during evaluation and safe for concurrent readers.
type Context struct {
	m map[string][]string
}

// NewContext returns an empty context.
func NewContext() *Context { return &Context{m: map[string][]string{}} }

// Set gives key the values, replacing any it had. Set(key) with no values
// records the key as present with an empty set of values.
func (c *Context) Set(key string, values ...string) {
	if c.m == nil {
		c.m = map[string][]string{}
	}
	if values == nil {
		values = []string{}
	}
	c.m[strings.ToLower(key)] = values
}

// Clone returns a copy of c that can be changed without changing c.
func (c *Context) Clone() *Context {
	out := &Context{m: make(map[string][]string, len(c.m)+4)}
	for k, v := range c.m {
		out.m[k] = v
	}
	return out
}

// Delete removes key.
func (c *Context) Delete(key string) { delete(c.m, strings.ToLower(key)) }

// Lookup returns the values of key and whether it is present.
func (c *Context) Lookup(key string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	v, ok := c.m[strings.ToLower(key)]
	return v, ok
}

// Has reports whether key is present.
func (c *Context) Has(key string) bool {
	_, ok := c.Lookup(key)
	return ok
}

// Keys returns the (lower-cased) keys present, in no particular order.
func (c *Context) Keys() []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.m))
	for k := range c.m {
		out = append(out, k)
	}
	return out
}

// lookup is Lookup for a key that is already lower-case.
func (c *Context) lookup(lowerKey string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	v, ok := c.m[lowerKey]
	return v, ok
}
