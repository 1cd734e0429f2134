// Package logs owns the CloudWatch Logs domain: log groups, log streams and
// their events, with CloudWatch Logs' names, quotas, batch rules, paging
// tokens and errors (Amazon CloudWatch Logs API Reference, 2014-03-28).
//
// The API's shapes are the generated types of api_types.go (typegen, from
// the botocore model), so a request decodes into its input type and a
// result encodes from its output type with no hand-written mapping. Every
// operation runs in one store transaction: a failed request changes
// nothing (a deleted stream's events are purged after the deletion
// commits, in bounded transactions; an interrupted purge resumes at the
// next deletion). The package decides nothing about permissions: the server
// authorizes every call before it gets here.
//
// Storage. A log group is a document keyed by its name; a log stream one
// keyed by group and name, with listing indexes beside it (by name
// descending; by last event time, both ways) so that every DescribeLogStreams
// page is a range scan. Each stream's events live in a store kind of their
// own, keyed by timestamp and a per-stream sequence number
// (13 + 12 decimal digits), the value being the ingestion time (a varint)
// and the message: a GetLogEvents page read forward is one range scan. The
// store lists forward only, so a second kind keys each event by the
// inverted position, empty-valued: a page read backward (startFromHead
// false, the default, and "b/" tokens) is a range scan of it plus one
// point read per event.
//
// PutLogEvents applies AWS's batch rules ("PutLogEvents", API Reference):
// at most 10,000 events and 1,048,576 bytes (each message's UTF-8 bytes
// plus 26 per event); events in chronological order, spanning at most 24
// hours; events more than 14 days old, older than the group's retention or
// more than 2 hours in the future are skipped and reported in
// rejectedLogEventsInfo. Sequence tokens are accepted and ignored, as AWS
// has done since January 2023; nextSequenceToken is still returned.
//
// Paging tokens follow AWS: GetLogEvents answers "f/<position>" and
// "b/<position>", and at the end of the stream returns the token it was
// given, which is how callers know to stop. A retention policy hides events
// older than it from every read at once; they are deleted from a stream's
// head as the stream is written to.
//
// FilterLogEvents understands the text filter patterns: terms (all must
// occur, case-sensitively, as substrings), "quoted phrases", ?term (at
// least one ?-term must occur) and -term (must not occur). JSON patterns
// ({ $.level = "ERROR" }), space-delimited patterns ([ip, user, ...]) and
// regular expressions (%...%) are refused with InvalidParameterException:
// batchd does not evaluate them. A call scans at most a bounded number of
// events and may return fewer than limit, or none, with a nextToken, as
// AWS does.
//
// Service is safe for concurrent use; time comes from Config.Now.
package logs
