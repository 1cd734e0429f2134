package policy

// Error is a problem with a policy document, located by a JSON path such as
// $.Statement[1].Condition.StringEquals. Its message is fit for an AWS
// MalformedPolicyDocument error.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string { return e.Path + ": " + e.Msg }
