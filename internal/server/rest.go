package server

import (
	"net/http"

	"batchd/internal/awsproto"
)

// restOp is one row of a REST-JSON service's operation table: the IAM
// action, then authorize (every resource the operation touches, its
// condition keys and the extra permissions it needs, such as iam:PassRole)
// and handle, both on the decoded input.
type restOp struct {
	Action    string
	newInput  func() any
	authorize func(c *Call, in any) error
	handle    func(c *Call, in any) (any, error)
}

// jsonOp builds a row for an operation whose input decodes into In.
// authorize may be nil for operations that need only Action on "*".
func jsonOp[In any](action string, authorize func(c *Call, in *In) error, handle func(c *Call, in *In) (any, error)) restOp {
	op := restOp{Action: action, newInput: func() any { return new(In) }}
	op.handle = func(c *Call, in any) (any, error) { return handle(c, in.(*In)) }
	if authorize == nil {
		op.authorize = func(c *Call, _ any) error { return c.Authorize(action, "*", nil) }
	} else {
		op.authorize = func(c *Call, in any) error { return authorize(c, in.(*In)) }
	}
	return op
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request, body []byte, c *Call, service string, ops map[string]restOp) {
	c.deniedCode = "AccessDeniedException"
	fail := func(err error) {
		if a := s.cfg.Audit; a != nil {
			a.Record(c, err)
		}
		if ad, ok := err.(*AccessDeniedError); ok && s.cfg.STS != nil {
			w.Header().Set("X-Batchd-Authorization-Message", s.cfg.STS.EncodeAuthorizationMessage(c.Principal, ad.Verdict))
		}
		s.writeError(w, r, protoRESTJSON, c.RequestID, err)
	}
	rr, err := awsproto.ParseRESTJSON(service, r, body)
	if err != nil {
		fail(err)
		return
	}
	c.Operation = rr.Operation
	op, ok := ops[rr.Operation]
	if !ok {
		fail(awsproto.Errorf("UnknownOperationException", "The operation %s is not supported by batchd.", rr.Operation))
		return
	}
	if err := awsproto.ValidateJSON(service, rr.Operation, rr.Input()); err != nil {
		fail(err)
		return
	}
	in := op.newInput()
	if err := rr.Decode(in); err != nil {
		fail(err)
		return
	}
	c.Input = in
	if err := op.authorize(c, in); err != nil {
		fail(err)
		return
	}
	out, err := op.handle(c, in)
	if err != nil {
		fail(err)
		return
	}
	if a := s.cfg.Audit; a != nil {
		a.Record(c, nil)
	}
	awsproto.WriteJSON(w, http.StatusOK, c.RequestID, out)
}
