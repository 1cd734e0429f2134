package logs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"batchd/internal/arn"
	"batchd/internal/store"
)

// Error is a CloudWatch Logs API error: its code
// (ResourceNotFoundException, InvalidParameterException, ...) and message.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string        { return e.Code + ": " + e.Message }
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }

func invalidParameter(format string, args ...any) *Error {
	return &Error{Code: "InvalidParameterException", Message: fmt.Sprintf(format, args...)}
}

// AWS's messages for the errors every operation may return.
var (
	errGroupNotFound  = &Error{Code: "ResourceNotFoundException", Message: "The specified log group does not exist."}
	errStreamNotFound = &Error{Code: "ResourceNotFoundException", Message: "The specified log stream does not exist."}
	errGroupExists    = &Error{Code: "ResourceAlreadyExistsException", Message: "The specified log group already exists."}
	errStreamExists   = &Error{Code: "ResourceAlreadyExistsException", Message: "The specified log stream already exists."}
	errBadToken       = invalidParameter("The specified nextToken is invalid.")
)

// Config wires a Service.
type Config struct {
	Store     store.Store
	Region    string
	AccountID string
	Partition string // default "aws"
	// Now is the clock of creation and ingestion times and of the
	// PutLogEvents time window; nil is the system clock.
	Now func() time.Time
}

// Service is the CloudWatch Logs domain. It is safe for concurrent use.
type Service struct {
	store     store.Store
	region    string
	account   string
	partition string
	now       func() time.Time
	// maxScan is defaultMaxScan; tests lower it.
	maxScan int
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, region: cfg.Region, account: cfg.AccountID, partition: cfg.Partition, now: cfg.Now, maxScan: defaultMaxScan}
	if s.partition == "" {
		s.partition = "aws"
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

func (s *Service) nowMillis() int64 { return s.now().UnixMilli() }

// LogGroupARN is the ARN IAM authorizes a log group's operations on:
// arn:aws:logs:REGION:ACCOUNT:log-group:NAME ("Actions, resources, and
// condition keys for Amazon CloudWatch Logs", resource type log-group).
func (s *Service) LogGroupARN(name string) string {
	return "arn:" + s.partition + ":logs:" + s.region + ":" + s.account + ":log-group:" + name
}

// LogStreamARN is a log stream's ARN,
// arn:aws:logs:REGION:ACCOUNT:log-group:GROUP:log-stream:STREAM.
func (s *Service) LogStreamARN(group, stream string) string {
	return s.LogGroupARN(group) + ":log-stream:" + stream
}

// LogGroupName resolves the logGroupName and logGroupIdentifier members
// (a name or a log group ARN, with or without the trailing ":*") that
// GetLogEvents, FilterLogEvents and DescribeLogStreams take: exactly one
// must be given.
func (s *Service) LogGroupName(name, identifier *string) (string, error) {
	switch {
	case name != nil && identifier != nil:
		return "", invalidParameter("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name != nil:
		return *name, nil
	case identifier == nil:
		return "", invalidParameter("Should provide either logGroupName or logGroupIdentifier.")
	}
	if !strings.HasPrefix(*identifier, "arn:") {
		return *identifier, nil
	}
	g, ok := s.groupOfARN(*identifier)
	if !ok {
		return "", errGroupNotFound
	}
	return g, nil
}

// groupOfARN returns the log group an ARN of this account and region names
// (arn:aws:logs:REGION:ACCOUNT:log-group:NAME, optionally ending ":*").
func (s *Service) groupOfARN(a string) (string, bool) {
	p, err := arn.Parse(a)
	if err != nil || p.Partition != s.partition || p.Service != "logs" || p.Region != s.region || p.AccountID != s.account {
		return "", false
	}
	name, ok := strings.CutPrefix(p.Resource, "log-group:")
	if !ok {
		return "", false
	}
	name = strings.TrimSuffix(name, ":*")
	return name, name != "" && !strings.Contains(name, ":")
}

// LogGroupTags returns a log group's tags, for aws:ResourceTag/K; nil when
// the group does not exist.
func (s *Service) LogGroupTags(ctx context.Context, name string) map[string]string {
	var tags map[string]string
	s.store.View(ctx, func(tx store.Tx) error {
		if g, found, err := store.GetJSON[groupDoc](tx, kindGroup, name); err == nil && found {
			tags = g.Tags
		}
		return nil
	})
	return tags
}

// Store kinds of the Logs domain. \x00 separates a group's name from what
// follows (no name holds it).
const (
	kindGroup = "logs.group" // key: group name → groupDoc
	// kindStream: group "\x00" stream → streamDoc.
	kindStream = "logs.stream"
	// kindStreamTime: group "\x00" lastEventTimestamp (13 digits) "\x00"
	// stream → empty.
	kindStreamTime = "logs.stream.time"
	// kindEvents+ID: position (pos.key) → ingestion time (uvarint) and
	// message.
	kindEvents = "logs.ev/"
	// Descending reads list kindStream, kindStreamTime and kindEvents+ID
	// backwards (store.Tx.ListBefore). batchd kept mirror entries for them
	// before, which a stream without NoMirrors still has, and loses with
	// it: kindStreamDesc, group "\x00" descName(stream) → stream name;
	// kindStreamTimeDesc, group "\x00" inverted lastEventTimestamp "\x00"
	// descName(stream) → stream name; kindEventsRev+ID, inverted position
	// → empty.
	kindStreamDesc     = "logs.stream.desc"
	kindStreamTimeDesc = "logs.stream.timedesc"
	kindEventsRev      = "logs.evr/"
	// kindPurge: stream ID → empty, for each deleted stream whose events
	// are still to be deleted.
	kindPurge = "logs.purge"
)

// groupDoc is a stored log group.
type groupDoc struct {
	Name            string            `json:"name"`
	CreationTime    int64             `json:"creationTime"`
	RetentionInDays int32             `json:"retentionInDays,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	StoredBytes     int64             `json:"storedBytes"`
	KmsKeyID        string            `json:"kmsKeyId,omitempty"`
	Class           string            `json:"class"`
}

// streamDoc is a stored log stream. ID names the store kinds of its
// events; it is new for each stream created, so a stream deleted and
// created again does not see the old one's events.
type streamDoc struct {
	Group        string `json:"group"`
	Name         string `json:"name"`
	ID           string `json:"id"`
	CreationTime int64  `json:"creationTime"`
	// FirstEvent and LastEvent are the timestamps of the earliest and
	// latest events stored, LastIngestion the time of the last
	// PutLogEvents that stored any; 0 before the first.
	FirstEvent    int64 `json:"firstEvent,omitempty"`
	LastEvent     int64 `json:"lastEvent,omitempty"`
	LastIngestion int64 `json:"lastIngestion,omitempty"`
	StoredBytes   int64 `json:"storedBytes"`
	// Seq is the sequence number of the last event stored.
	Seq int64 `json:"seq"`
	// NoMirrors: the stream has none of the mirror entries (kindStreamDesc,
	// kindStreamTimeDesc, kindEventsRev) that batchd wrote before it read
	// backwards; one without was stored then, and its are deleted with it.
	NoMirrors bool `json:"noMirrors,omitempty"`
}

func streamKey(group, stream string) string { return group + "\x00" + stream }

// descName maps a name to a key that sorts in the reverse order of names:
// each byte b as the hex of 255-b, then "~", which sorts after every hex
// digit so that a name sorts after the names it is a prefix of.
func descName(name string) string {
	b := make([]byte, 0, 2*len(name)+1)
	for i := 0; i < len(name); i++ {
		b = hex.AppendEncode(b, []byte{255 - name[i]})
	}
	return string(append(b, '~'))
}

func timeKey(ts int64) string { return pad(clampTS(ts), 13) }

func timeDescKey(ts int64) string { return pad(maxTS-clampTS(ts), 13) }

// setStreamIndexes writes the listing entry of st by time; old, when not
// nil, is the stream as it was, whose entry is removed first.
func setStreamIndexes(tx store.Tx, st, old *streamDoc) error {
	if old != nil {
		if old.LastEvent == st.LastEvent {
			return nil
		}
		if err := deleteTimeIndexes(tx, old); err != nil {
			return err
		}
	}
	return tx.Put(kindStreamTime, st.Group+"\x00"+timeKey(st.LastEvent)+"\x00"+st.Name, nil)
}

// deleteTimeIndexes deletes the listing entry of st by time, and its
// mirror (kindStreamTimeDesc) when st was stored with mirrors.
func deleteTimeIndexes(tx store.Tx, st *streamDoc) error {
	g := st.Group + "\x00"
	if err := ignoreNotFound(tx.Delete(kindStreamTime, g+timeKey(st.LastEvent)+"\x00"+st.Name)); err != nil {
		return err
	}
	if st.NoMirrors {
		return nil
	}
	return ignoreNotFound(tx.Delete(kindStreamTimeDesc, g+timeDescKey(st.LastEvent)+"\x00"+descName(st.Name)))
}

func ignoreNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

func newStreamID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("logs: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// pad writes n in decimal, zero-padded to width digits.
func pad(n int64, width int) string {
	s := strconv.FormatInt(n, 10)
	if len(s) >= width {
		return s
	}
	return strings.Repeat("0", width-len(s)) + s
}

// Names: "CreateLogGroup" and "CreateLogStream", API Reference.
var groupNameRE = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)

// validationError is AWS's message for a member that fails a constraint of
// the model, as CloudWatch Logs words it.
func validationError(value, member, constraint string) *Error {
	return invalidParameter("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

// checkGroupName applies the model's rules for logGroupName: 1 to 512
// characters of [\.\-_/#A-Za-z0-9].
func checkGroupName(name string) error {
	switch {
	case name == "":
		return validationError(name, "logGroupName", "Member must have length greater than or equal to 1")
	case len(name) > 512:
		return validationError(name, "logGroupName", "Member must have length less than or equal to 512")
	case !groupNameRE.MatchString(name):
		return validationError(name, "logGroupName", `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`)
	}
	return nil
}

// checkStreamName applies the model's rules for logStreamName: 1 to 512
// characters (UTF-16 units, as the model counts), none of them ':' or '*'.
func checkStreamName(name string) error {
	switch n := len(utf16.Encode([]rune(name))); {
	case n == 0:
		return validationError(name, "logStreamName", "Member must have length greater than or equal to 1")
	case n > 512:
		return validationError(name, "logStreamName", "Member must have length less than or equal to 512")
	case strings.ContainsAny(name, ":*"):
		return validationError(name, "logStreamName", "Member must satisfy regular expression pattern: [^:*]*")
	}
	return nil
}

// retentionDays are the values PutRetentionPolicy accepts ("PutRetentionPolicy",
// API Reference, retentionInDays).
var retentionDays = []int32{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func checkRetention(days int32) error {
	if slices.Contains(retentionDays, days) {
		return nil
	}
	set := make([]string, len(retentionDays))
	for i, d := range retentionDays {
		set[i] = strconv.Itoa(int(d))
	}
	return validationError(strconv.Itoa(int(days)), "retentionInDays", "Member must satisfy enum value set: ["+strings.Join(set, ", ")+"]")
}

// getGroup reads a group, or errGroupNotFound.
func getGroup(tx store.Tx, name string) (*groupDoc, error) {
	g, found, err := store.GetJSON[groupDoc](tx, kindGroup, name)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errGroupNotFound
	}
	return g, nil
}

// getStream reads a group and one of its streams, or the error saying
// which is missing.
func getStream(tx store.Tx, group, stream string) (*groupDoc, *streamDoc, error) {
	g, err := getGroup(tx, group)
	if err != nil {
		return nil, nil, err
	}
	st, found, err := store.GetJSON[streamDoc](tx, kindStream, streamKey(group, stream))
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, errStreamNotFound
	}
	return g, st, nil
}

func ptr[T any](v T) *T { return &v }
