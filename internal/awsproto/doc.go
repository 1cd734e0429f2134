// Package awsproto owns the AWS wire protocols batchd speaks and the encoding
// of AWS errors, so that the stock AWS CLI and SDKs talk to batchd unmodified:
//
//   - Query (IAM 2010-05-08, STS 2011-06-15): ParseQuery reads the form
//     parameters of a POST body or a URL query into Params, whose accessors
//     read AWS's flattened names (Tags.member.1.Key); WriteQueryResult and
//     WriteQueryError write the XML bodies ("Query requests", "Query API
//     responses" in each service's API reference; the error body of AWS's
//     "Common Errors" page).
//   - REST-JSON (Batch): ParseRESTJSON finds the operation from the method
//     and path as the model's requestUri gives them (POST /v1/submitjob,
//     DELETE /v1/tags/{resourceArn}?tagKeys=…) and decodes labels, query
//     string and JSON body; RESTRequest.Input joins them into the input
//     object ValidateJSON checks and Decode reads into the generated types
//     of internal/batch; WriteJSON writes a result.
//   - JSON 1.1 (CloudWatch Logs): ParseJSON11 finds the operation from
//     X-Amz-Target and decodes the body (one JSON object, else a
//     SerializationException); JSONRequest.Validate checks it in the
//     service's words and Decode reads it into the typed input;
//     WriteJSON11 writes a result with the model's content type.
//   - REST-JSON and JSON 1.1: WriteJSONError.
//
// The operations, their input constraints and every service error (code,
// HTTP status, sender or receiver fault) come from the botocore models,
// reduced by internal/modelgen into models.json, which is embedded. Validate
// applies an operation's input constraints and reports violations the way
// AWS does ("1 validation error detected: Value 'bad name!' at 'userName'
// failed to satisfy constraint: Member must satisfy regular expression
// pattern: [\w+=,.@-]+").
//
// ValidateJSON does the same for JSON input, in each service's words: for
// Batch one ClientException, "Error executing request, Exception : jobQueue
// is required.", the form AWS Batch gives the requests it refuses.
//
// Errors: domain packages return errors with ErrorCode() and ErrorMessage()
// (an *Error, from Errorf, is one); this package alone maps them to an HTTP
// status and body. Any other error is written as a 500 InternalFailure
// (Batch: ServerException) whose message says nothing of the cause: the
// caller logs the cause with the request id.
//
// awsproto holds no business rules and no state beyond the embedded models,
// which are read once; everything here is safe for concurrent use.
package awsproto

//go:generate go run ./internal/modelgen -out models.json
