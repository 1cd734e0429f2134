package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// jsonKind is the JSON type of a node.
type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// node is one JSON value with its path, kept in document order so that
// duplicate keys can be reported and the printer can be stable.
type node struct {
	kind    jsonKind
	path    string
	text    string // string value, number literal or "true"/"false"
	elems   []*node
	members []member
}

type member struct {
	key string
	val *node
}

func (n *node) get(key string) *node {
	for _, m := range n.members {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

// parseJSON reads exactly one JSON value from data into a tree. It rejects
// duplicate object keys and trailing data, naming the path of the problem.
func parseJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := readNode(dec, "$", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Path: "$", Msg: "unexpected data after the policy document"}
	}
	return n, nil
}

const maxDepth = 64

func readNode(dec *json.Decoder, path string, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, &Error{Path: path, Msg: "document nested too deeply"}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonSyntax(path, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: jsonObject, path: path}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, jsonSyntax(path, err)
				}
				key, _ := kt.(string)
				if n.get(key) != nil {
					return nil, &Error{Path: childPath(path, key), Msg: fmt.Sprintf("duplicate key %q", key)}
				}
				v, err := readNode(dec, childPath(path, key), depth+1)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, member{key, v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonSyntax(path, err)
			}
			return n, nil
		case '[':
			n := &node{kind: jsonArray, path: path}
			for i := 0; dec.More(); i++ {
				v, err := readNode(dec, path+"["+strconv.Itoa(i)+"]", depth+1)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonSyntax(path, err)
			}
			return n, nil
		}
		return nil, &Error{Path: path, Msg: "unexpected " + t.String()}
	case string:
		return &node{kind: jsonString, path: path, text: t}, nil
	case json.Number:
		return &node{kind: jsonNumber, path: path, text: t.String()}, nil
	case bool:
		return &node{kind: jsonBool, path: path, text: strconv.FormatBool(t)}, nil
	case nil:
		return &node{kind: jsonNull, path: path}, nil
	}
	return nil, &Error{Path: path, Msg: "unexpected JSON token"}
}

func childPath(path, key string) string {
	if isIdent(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func jsonSyntax(path string, err error) error {
	if errors.Is(err, io.EOF) {
		return &Error{Path: path, Msg: "unexpected end of JSON input"}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Path: path, Msg: fmt.Sprintf("invalid JSON at offset %d: %v", se.Offset, se)}
	}
	return &Error{Path: path, Msg: "invalid JSON: " + err.Error()}
}
