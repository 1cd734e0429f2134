package server

import (
	"net/http"

	"batchd/internal/awsproto"
)

// op is one row of a service's operation table, for every protocol: the
// IAM action, then authorize (every resource the operation touches, its
// condition keys and the extra permissions it needs, such as iam:PassRole)
// and handle. A typed protocol's (REST-JSON, JSON 1.1) input is decoded
// into newInput's value first and given to both; a Query operation's
// parameters are the call's (Call.Params), and its input nil.
type op struct {
	Action    string
	newInput  func() any // nil for Query
	authorize func(c *Call, in any) error
	handle    func(c *Call, in any) (any, error)
}

// jsonOp builds a row for an operation whose input decodes into In.
// authorize may be nil for operations that need only Action on "*".
func jsonOp[In any](action string, authorize func(c *Call, in *In) error, handle func(c *Call, in *In) (any, error)) op {
	row := op{Action: action, newInput: func() any { return new(In) }}
	row.handle = func(c *Call, in any) (any, error) { return handle(c, in.(*In)) }
	if authorize == nil {
		row.authorize = func(c *Call, _ any) error { return c.Authorize(action, "*", nil) }
	} else {
		row.authorize = func(c *Call, in any) error { return authorize(c, in.(*In)) }
	}
	return row
}

// serveTyped serves a service of typed inputs — REST-JSON (Batch) or JSON
// 1.1 (CloudWatch Logs) — through one pipeline: the protocol's codec in
// awsproto finds the operation and decodes the request, the input is
// checked against the model and decoded into the operation's typed input,
// authorized and handled by the operation's row of ops; end audits the
// call and writes its error in the protocol.
func (s *Server) serveTyped(w http.ResponseWriter, r *http.Request, body []byte, c *Call, service string, p protocol, ops map[string]op) {
	out, err := s.runTyped(r, body, c, service, p, ops)
	s.end(w, r, c, p, err)
	if err != nil {
		return
	}
	if p == protoRESTJSON {
		awsproto.WriteJSON(w, http.StatusOK, c.RequestID, out)
	} else {
		awsproto.WriteJSON11(w, service, c.RequestID, out)
	}
}

// runTyped decodes, checks, authorizes and handles a typed request, and
// returns the operation's output; the caller ends the call (end, finish).
func (s *Server) runTyped(r *http.Request, body []byte, c *Call, service string, p protocol, ops map[string]op) (any, error) {
	c.deniedCode = "AccessDeniedException"
	var req interface{ Decode(any) error }
	switch p {
	case protoRESTJSON:
		rr, err := awsproto.ParseRESTJSON(service, r, body)
		if err != nil {
			return nil, err
		}
		c.Operation = rr.Operation
		if _, ok := ops[rr.Operation]; !ok {
			return nil, awsproto.Errorf("UnknownOperationException", "The operation %s is not supported by batchd.", rr.Operation)
		}
		if err := awsproto.ValidateJSON(service, rr.Operation, rr.Input()); err != nil {
			return nil, err
		}
		req = rr
	default:
		jr, err := awsproto.ParseJSON11(service, r, body, func(op string) bool { _, ok := ops[op]; return ok })
		if jr != nil {
			c.Operation = jr.Operation
		}
		if err == nil {
			err = jr.Validate(service)
		}
		if err != nil {
			return nil, err
		}
		req = jr
	}
	row := ops[c.Operation]
	in := row.newInput()
	if err := req.Decode(in); err != nil {
		return nil, err
	}
	c.Input = in
	if f := jsonAuditInputs[service]; f != nil {
		c.Input = f(c.Operation, in)
	}
	if err := row.authorize(c, in); err != nil {
		return nil, err
	}
	s.auditAhead(c)
	return row.handle(c, in)
}

// jsonAuditInputs gives, for a service, what the audit trail records of an
// operation's input when it is not the input itself.
var jsonAuditInputs = map[string]func(op string, in any) any{"logs": logsAuditInput}

// auditAhead makes the call's first write that commits
// (Config.WithCommitHook) commit its audit record too, as a success, in
// the same transaction: the record is durable with the write, and reaches
// the file through AuditOptions.Queue. end replaces it when the call
// fails after all, or was authorized further after the record was taken.
func (s *Server) auditAhead(c *Call) {
	if s.cfg.Audit == nil || s.cfg.WithCommitHook == nil || c.sim != nil {
		return
	}
	c.Ctx = s.cfg.WithCommitHook(c.Ctx, func() []byte {
		c.aheadMu.Lock()
		defer c.aheadMu.Unlock()
		if c.ahead != aheadNone {
			return nil // one record per call: the first write's
		}
		id := newRequestID()
		line, err := s.cfg.Audit.encodeAs(c, nil, "", id)
		if err != nil {
			return nil // logged; end records the call
		}
		c.ahead, c.aheadID, c.aheadVerdicts = aheadPending, id, len(c.verdicts)
		return line
	}, func(committed bool) {
		c.aheadMu.Lock()
		defer c.aheadMu.Unlock()
		if c.ahead == aheadPending {
			c.ahead = aheadNone
			if committed {
				c.ahead = aheadCommitted
			}
		}
	})
}

// end ends a call, for every protocol: it is audited and, when err is not
// nil, its error is written in the protocol's format, a denial with its
// encoded authorization message.
func (s *Server) end(w http.ResponseWriter, r *http.Request, c *Call, p protocol, err error) {
	s.finish(c, err)
	if err == nil {
		return
	}
	ad, denied := err.(*AccessDeniedError)
	c.denied = denied
	if denied && s.cfg.STS != nil {
		w.Header().Set("X-Batchd-Authorization-Message", s.cfg.STS.EncodeAuthorizationMessage(c.Principal, ad.Verdict))
	}
	c.code = s.writeErrorNS(w, r, p, c.xmlns, c.RequestID, err)
}

// finish audits a call that ended with err (nil: it succeeded).
func (s *Server) finish(c *Call, err error) {
	if a := s.cfg.Audit; a != nil {
		c.aheadMu.Lock()
		state, id, n := c.ahead, c.aheadID, c.aheadVerdicts
		c.aheadMu.Unlock()
		switch {
		case state != aheadCommitted:
			a.Record(c, err, "")
		case err == nil && n == len(c.verdicts):
			a.Kick() // the record committed with the write is the call's
		default:
			// It failed after its write committed, or was authorized
			// further after: this record replaces the one committed.
			a.Record(c, err, id)
		}
	}
}
