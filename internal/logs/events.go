package logs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"batchd/internal/store"
)

// PutLogEvents' limits ("PutLogEvents", API Reference).
const (
	maxBatchEvents = 10000
	maxBatchBytes  = 1048576
	eventOverhead  = 26 // bytes counted for each event besides its message
	maxFuture      = 2 * 3600 * 1000
	maxAge         = 14 * 24 * 3600 * 1000
	maxSpan        = 24 * 3600 * 1000
	dayMillis      = 24 * 3600 * 1000
)

// maxPageBytes bounds a GetLogEvents or FilterLogEvents response: "as many
// log events as can fit in a response size of 1 MB (up to 10,000 log
// events)".
const maxPageBytes = 1048576

// pos is an event's position in its stream: its timestamp, then the
// sequence number that orders events of one timestamp by arrival.
type pos struct{ ts, seq int64 }

// Widths of the two parts of an event key: epoch milliseconds to the year
// 2286, and a trillion events a stream.
const (
	maxTS  = 9999999999999
	maxSeq = 999999999999
)

func clampTS(ts int64) int64 { return min(max(ts, 0), maxTS) }

// key is the event's key in its stream's kind: keys sort as positions do.
func (p pos) key() string { return pad(p.ts, 13) + pad(p.seq, 12) }

// revKey is the key of the mirror entry a stream stored with mirrors has
// (kindEventsRev): keys sort in reverse.
func (p pos) revKey() string { return pad(maxTS-p.ts, 13) + pad(maxSeq-p.seq, 12) }

func (p pos) less(q pos) bool { return p.ts < q.ts || p.ts == q.ts && p.seq < q.seq }

// succ is the position right after p.
func (p pos) succ() pos {
	if p.seq == maxSeq {
		return pos{p.ts + 1, 0}
	}
	return pos{p.ts, p.seq + 1}
}

func parsePos(k string) (pos, bool) {
	if len(k) != 25 {
		return pos{}, false
	}
	ts, err1 := strconv.ParseInt(k[:13], 10, 64)
	seq, err2 := strconv.ParseInt(k[13:], 10, 64)
	if err1 != nil || err2 != nil || ts < 0 || seq < 0 {
		return pos{}, false
	}
	return pos{ts, seq}, true
}

// encodeEvent is an event's stored value: its ingestion time, then its
// message.
func encodeEvent(ingestion int64, msg string) []byte {
	b := binary.AppendUvarint(make([]byte, 0, len(msg)+6), uint64(ingestion))
	return append(b, msg...)
}

func decodeEvent(v []byte) (ingestion int64, msg string, ok bool) {
	n, w := binary.Uvarint(v)
	if w <= 0 {
		return 0, "", false
	}
	return int64(n), string(v[w:]), true
}

// PutLogEvents stores a batch of events in a stream ("PutLogEvents", API
// Reference). The sequence token is ignored, as AWS ignores it.
func (s *Service) PutLogEvents(ctx context.Context, in *PutLogEventsRequest) (*PutLogEventsResponse, error) {
	var out *PutLogEventsResponse
	err := s.store.Update(ctx, func(tx store.Tx) error {
		g, st, err := getStream(tx, in.LogGroupName, in.LogStreamName)
		if err != nil {
			return err
		}
		rejected, err := s.putEvents(tx, g, st, in.LogEvents, false)
		if err != nil {
			return err
		}
		out = &PutLogEventsResponse{NextSequenceToken: ptr(sequenceToken(st.Seq)), RejectedLogEventsInfo: rejected}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkBatch applies the rules a PutLogEvents batch must meet as a whole.
func checkBatch(events []InputLogEvent) error {
	if len(events) == 0 {
		return validationError("[]", "logEvents", "Member must have length greater than or equal to 1")
	}
	if len(events) > maxBatchEvents {
		return invalidParameter("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to %d", maxBatchEvents)
	}
	size := 0
	for i, e := range events {
		if e.Timestamp == nil {
			return invalidParameter("1 validation error detected: Value null at 'logEvents.%d.member.timestamp' failed to satisfy constraint: Member must not be null", i+1)
		}
		if e.Message == "" {
			return invalidParameter("1 validation error detected: Value '' at 'logEvents.%d.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1", i+1)
		}
		if i > 0 && *e.Timestamp < *events[i-1].Timestamp {
			return invalidParameter("Log events in a single PutLogEvents request must be in chronological order.")
		}
		size += len(e.Message) + eventOverhead
	}
	if size > maxBatchBytes {
		return invalidParameter("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	if *events[len(events)-1].Timestamp-*events[0].Timestamp > maxSpan {
		return invalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	return nil
}

// putEvents checks a batch, stores the events AWS would accept in st and
// returns which it skipped; g and st are updated and written.
//
// A fresh st (newStream, from makeStream) is stored here, once, with its
// first events.
func (s *Service) putEvents(tx store.Tx, g *groupDoc, st *streamDoc, events []InputLogEvent, fresh bool) (*RejectedLogEventsInfo, error) {
	if err := checkBatch(events); err != nil {
		return nil, err
	}
	now := s.nowMillis()
	var rejected RejectedLogEventsInfo
	from, to := 0, len(events) // accepted: events[from:to]
	for i, e := range events {
		ts := *e.Timestamp
		if ts < now-maxAge {
			rejected.TooOldLogEventEndIndex = ptr(int32(i))
			from = i + 1
		}
		if g.RetentionInDays > 0 && ts < now-int64(g.RetentionInDays)*dayMillis {
			rejected.ExpiredLogEventEndIndex = ptr(int32(i))
			from = max(from, i+1)
		}
		if ts > now+maxFuture && to == len(events) {
			rejected.TooNewLogEventStartIndex = ptr(int32(i))
			to = i
		}
	}
	old := *st
	evKind := kindEvents + st.ID
	var added int64
	for _, e := range events[from:max(from, to)] {
		st.Seq++
		p := pos{clampTS(*e.Timestamp), st.Seq}
		if err := tx.Put(evKind, p.key(), encodeEvent(now, e.Message)); err != nil {
			return nil, err
		}
		if old.Seq == 0 && added == 0 || p.ts < st.FirstEvent {
			st.FirstEvent = p.ts
		}
		st.LastEvent = max(st.LastEvent, p.ts)
		added += int64(len(e.Message))
	}
	if st.Seq != old.Seq {
		st.LastIngestion = now
		st.StoredBytes += added
		g.StoredBytes += added
	}
	trimmed, err := s.trimExpired(tx, g, st, now)
	if err != nil {
		return nil, err
	}
	changed := st.Seq != old.Seq || trimmed
	switch {
	case fresh:
		if err := insertStreamDoc(tx, st); err != nil {
			return nil, err
		}
	case changed:
		if err := store.PutJSON(tx, kindStream, streamKey(st.Group, st.Name), st); err != nil {
			return nil, err
		}
		if err := setStreamIndexes(tx, st, &old); err != nil {
			return nil, err
		}
	}
	if changed {
		if err := store.PutJSON(tx, kindGroup, g.Name, g); err != nil {
			return nil, err
		}
	}
	if rejected == (RejectedLogEventsInfo{}) {
		return nil, nil
	}
	return &rejected, nil
}

// trimBatch bounds the expired events one write deletes from a stream's
// head.
const trimBatch = 1000

// trimExpired deletes up to trimBatch events older than the group's
// retention from the head of st; it reports whether it deleted any.
func (s *Service) trimExpired(tx store.Tx, g *groupDoc, st *streamDoc, now int64) (bool, error) {
	if g.RetentionInDays == 0 || st.Seq == 0 || st.FirstEvent >= now-int64(g.RetentionInDays)*dayMillis {
		return false, nil
	}
	cutoff := pos{clampTS(now - int64(g.RetentionInDays)*dayMillis), 0}.key()
	evs, err := tx.List(kindEvents+st.ID, "", "", trimBatch)
	if err != nil {
		return false, err
	}
	deleted := false
	for _, ev := range evs {
		if ev.Key >= cutoff {
			p, _ := parsePos(ev.Key)
			st.FirstEvent = p.ts
			return deleted, nil
		}
		if err := deleteEvent(tx, st, ev.Key); err != nil {
			return false, err
		}
		_, msg, _ := decodeEvent(ev.Value)
		st.StoredBytes = max(0, st.StoredBytes-int64(len(msg)))
		g.StoredBytes = max(0, g.StoredBytes-int64(len(msg)))
		deleted = true
	}
	return deleted, nil
}

// Append stores events in an existing stream, for the scheduler writing a
// job's output: with no sequence checks, sorted by timestamp (stably, so
// lines of one timestamp keep their order) and split into batches that
// meet PutLogEvents' rules. Empty messages are skipped; a message longer
// than an event may hold is split into several events of its timestamp;
// events more than 14 days old, older than the group's retention or more
// than 2 hours in the future are dropped, as PutLogEvents would reject them.
func (s *Service) Append(ctx context.Context, group, stream string, events []InputLogEvent) error {
	return s.appendEvents(ctx, group, stream, events, nil)
}

// StreamStart says how Append's first write makes a job's log stream, as
// the awslogs driver makes it when the container starts: the stream (and,
// with CreateGroup, the group) is created unless it exists, with Created
// as its creation time.
type StreamStart struct {
	CreateGroup bool
	Created     int64 // milliseconds since the epoch
}

// AppendStarting is Append to a stream that start makes if it is missing,
// in the same transaction as the first events (or alone, without events):
// a job's output costs one write when it ends, not one more when it
// starts.
func (s *Service) AppendStarting(ctx context.Context, group, stream string, start StreamStart, events []InputLogEvent) error {
	if err := checkGroupName(group); err != nil {
		return err
	}
	if err := checkStreamName(stream); err != nil {
		return err
	}
	return s.appendEvents(ctx, group, stream, events, &start)
}

// CheckLogGroup fails (ResourceNotFoundException) when the log group does
// not exist.
func (s *Service) CheckLogGroup(ctx context.Context, name string) error {
	return s.store.View(ctx, func(tx store.Tx) error {
		_, err := getGroup(tx, name)
		return err
	})
}

// makeStream reads, in tx, the group and the stream start is for,
// creating the group (with CreateGroup) when it is missing. A stream that
// does not exist comes back new (fresh), for putEvents or insertStreamDoc
// to store: it is written once, with its first events.
func (s *Service) makeStream(tx store.Tx, group, stream string, start *StreamStart) (g *groupDoc, st *streamDoc, fresh bool, err error) {
	g, err = getGroup(tx, group)
	if errors.Is(err, errGroupNotFound) && start.CreateGroup {
		g = &groupDoc{Name: group, CreationTime: start.Created, Class: LogGroupClassStandard}
		err = store.InsertJSON(tx, kindGroup, g.Name, g)
	}
	if err != nil {
		return nil, nil, false, err
	}
	st, found, err := store.GetJSON[streamDoc](tx, kindStream, streamKey(group, stream))
	if err != nil || found {
		return g, st, false, err
	}
	return g, newStream(group, stream, start.Created), true, nil
}

func (s *Service) appendEvents(ctx context.Context, group, stream string, events []InputLogEvent, start *StreamStart) error {
	return eachBatch(group, stream, events, start, func(batch []InputLogEvent, mk *StreamStart) error {
		return s.store.Update(ctx, func(tx store.Tx) error { return s.writeBatch(tx, group, stream, batch, mk) })
	})
}

// AppendTx is AppendStarting (start not nil) or Append within tx, every
// batch in it: for a write that must commit with another (a job's last
// output with the record of its end).
func (s *Service) AppendTx(tx store.Tx, group, stream string, start *StreamStart, events []InputLogEvent) error {
	if err := checkGroupName(group); err != nil {
		return err
	}
	if err := checkStreamName(stream); err != nil {
		return err
	}
	return eachBatch(group, stream, events, start, func(batch []InputLogEvent, mk *StreamStart) error {
		return s.writeBatch(tx, group, stream, batch, mk)
	})
}

// eachBatch has write store events batch by batch (batches), the first
// one making the stream with start.
func eachBatch(group, stream string, events []InputLogEvent, start *StreamStart, write func(batch []InputLogEvent, mk *StreamStart) error) error {
	for i, batch := range batches(events, start != nil) {
		mk := start
		if i > 0 {
			mk = nil // the first write made the stream
		}
		if err := write(batch, mk); err != nil {
			return fmt.Errorf("logs: appending to %s/%s: %w", group, stream, err)
		}
	}
	return nil
}

// batches turns events into the batches Append writes, in order: sorted
// by timestamp, long messages split, each batch within PutLogEvents'
// rules. With none, it is one empty batch when one must make the stream
// (always), else none.
func batches(events []InputLogEvent, always bool) [][]InputLogEvent {
	var evs []InputLogEvent
	for _, e := range events {
		if e.Timestamp == nil {
			continue
		}
		for msg := e.Message; msg != ""; {
			part := msg
			if len(part) > maxBatchBytes-eventOverhead {
				cut := maxBatchBytes - eventOverhead
				for cut > 0 && !utf8.RuneStart(part[cut]) {
					cut--
				}
				part = part[:cut]
			}
			evs = append(evs, InputLogEvent{Timestamp: e.Timestamp, Message: part})
			msg = msg[len(part):]
		}
	}
	slices.SortStableFunc(evs, func(a, b InputLogEvent) int {
		switch {
		case *a.Timestamp < *b.Timestamp:
			return -1
		case *a.Timestamp > *b.Timestamp:
			return 1
		}
		return 0
	})
	if len(evs) == 0 {
		if always {
			return [][]InputLogEvent{nil}
		}
		return nil
	}
	var out [][]InputLogEvent
	for len(evs) > 0 {
		n, size := 0, 0
		for n < len(evs) && n < maxBatchEvents && size+len(evs[n].Message)+eventOverhead <= maxBatchBytes && *evs[n].Timestamp-*evs[0].Timestamp <= maxSpan {
			size += len(evs[n].Message) + eventOverhead
			n++
		}
		out = append(out, evs[:n])
		evs = evs[n:]
	}
	return out
}

// writeBatch writes one batch to a stream in tx; with mk, it makes the
// stream (and the group, so allowed) first when missing, and a batch may
// be empty.
func (s *Service) writeBatch(tx store.Tx, group, stream string, batch []InputLogEvent, mk *StreamStart) error {
	if mk == nil {
		g, st, err := getStream(tx, group, stream)
		if err != nil {
			return err
		}
		_, err = s.putEvents(tx, g, st, batch, false)
		return err
	}
	g, st, fresh, err := s.makeStream(tx, group, stream, mk)
	switch {
	case err != nil:
		return err
	case len(batch) > 0:
		_, err = s.putEvents(tx, g, st, batch, fresh)
		return err
	case fresh:
		return insertStreamDoc(tx, st)
	}
	return nil
}

// bounds is the part of a stream a read may return: positions strictly
// between lo and hi.
type bounds struct{ lo, hi pos }

// readBounds turns startTime, endTime (exclusive) and the group's
// retention into bounds.
func (s *Service) readBounds(g *groupDoc, start, end *int64) bounds {
	b := bounds{lo: pos{0, 0}, hi: pos{maxTS, maxSeq}}
	if start != nil {
		b.lo = pos{clampTS(*start), 0}
	}
	if g.RetentionInDays > 0 {
		if cut := clampTS(s.nowMillis() - int64(g.RetentionInDays)*dayMillis); cut > b.lo.ts {
			b.lo = pos{cut, 0}
		}
	}
	if end != nil {
		b.hi = pos{clampTS(*end), 0}
	}
	return b
}

// storedEvent is an event read back.
type storedEvent struct {
	pos       pos
	ingestion int64
	msg       string
}

func (e *storedEvent) size() int { return len(e.msg) + eventOverhead }

// readForward returns up to limit events of stream id after position
// from, within b, in order, stopping before maxPageBytes.
func readForward(tx store.Tx, id string, from pos, b bounds, limit int) ([]storedEvent, error) {
	if from.less(b.lo) {
		from = b.lo
	}
	var out []storedEvent
	size := 0
	after := from.key()
	hiKey := b.hi.key()
	for len(out) < limit {
		chunk := min(limit-len(out), 1000)
		items, err := tx.List(kindEvents+id, "", after, chunk)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if it.Key >= hiKey {
				return out, nil
			}
			e, err := decodeStored(id, it)
			if err != nil {
				return nil, err
			}
			if size+e.size() > maxPageBytes && len(out) > 0 {
				return out, nil
			}
			size += e.size()
			out = append(out, e)
			after = it.Key
		}
		if len(items) < chunk {
			break
		}
	}
	return out, nil
}

// readBackward returns up to limit events of stream id before position
// from, within b, the latest ones, in ascending order, stopping before
// maxPageBytes.
func readBackward(tx store.Tx, id string, from pos, b bounds, limit int) ([]storedEvent, error) {
	if b.hi.less(from) {
		from = b.hi
	}
	var out []storedEvent
	size := 0
	before := from.key()
	loKey := b.lo.key()
scan:
	for len(out) < limit {
		chunk := min(limit-len(out), 1000)
		items, err := tx.ListBefore(kindEvents+id, "", before, chunk)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if it.Key <= loKey {
				break scan
			}
			e, err := decodeStored(id, it)
			if err != nil {
				return nil, err
			}
			if size+e.size() > maxPageBytes && len(out) > 0 {
				break scan
			}
			size += e.size()
			out = append(out, e)
			before = it.Key
		}
		if len(items) < chunk {
			break
		}
	}
	slices.Reverse(out)
	return out, nil
}

func decodeStored(id string, it store.Item) (storedEvent, error) {
	p, ok := parsePos(it.Key)
	ing, msg, ok2 := decodeEvent(it.Value)
	if !ok || !ok2 {
		return storedEvent{}, fmt.Errorf("logs: malformed event %q in stream %s", it.Key, id)
	}
	return storedEvent{pos: p, ingestion: ing, msg: msg}, nil
}

// GetLogEvents returns a page of a stream's events in ascending order
// ("GetLogEvents", API Reference): the earliest ones (startFromHead) or the
// latest, within startTime and endTime (exclusive), limit (default 10,000)
// or 1 MB a page. nextForwardToken and nextBackwardToken continue either
// way; at the end a token comes back unchanged.
func (s *Service) GetLogEvents(ctx context.Context, in *GetLogEventsRequest) (*GetLogEventsResponse, error) {
	group, err := s.LogGroupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	limit := maxBatchEvents
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	forward := in.StartFromHead != nil && *in.StartFromHead
	var from pos
	hasToken := in.NextToken != nil
	if hasToken {
		var ok bool
		if forward, from, ok = parseEventToken(*in.NextToken); !ok {
			return nil, errBadToken
		}
	}
	var out *GetLogEventsResponse
	err = s.store.View(ctx, func(tx store.Tx) error {
		g, st, err := getStream(tx, group, in.LogStreamName)
		if err != nil {
			return err
		}
		b := s.readBounds(g, in.StartTime, in.EndTime)
		var evs []storedEvent
		if forward {
			if !hasToken {
				from = b.lo
			}
			evs, err = readForward(tx, st.ID, from, b, limit)
		} else {
			if !hasToken {
				from = b.hi
			}
			evs, err = readBackward(tx, st.ID, from, b, limit)
		}
		if err != nil {
			return err
		}
		out = &GetLogEventsResponse{Events: make([]OutputLogEvent, len(evs))}
		for i, e := range evs {
			out.Events[i] = OutputLogEvent{Timestamp: ptr(e.pos.ts), Message: ptr(e.msg), IngestionTime: ptr(e.ingestion)}
		}
		switch {
		case len(evs) > 0:
			out.NextForwardToken = ptr(eventToken(true, evs[len(evs)-1].pos))
			out.NextBackwardToken = ptr(eventToken(false, evs[0].pos))
		case forward:
			// Nothing after from: the same forward token; backward,
			// everything up to from.
			out.NextForwardToken = ptr(eventToken(true, from))
			out.NextBackwardToken = ptr(eventToken(false, from.succ()))
		default:
			// Nothing between the bounds' start and from: the same
			// backward token; forward, whatever comes after that start
			// (from itself may be the open end).
			out.NextBackwardToken = ptr(eventToken(false, from))
			out.NextForwardToken = ptr(eventToken(true, b.lo))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eventToken is a GetLogEvents token: "f/" and the position of the last
// event returned (the next page starts after it), or "b/" and the position
// of the first (the previous page ends before it).
func eventToken(forward bool, p pos) string {
	if forward {
		return "f/" + p.key()
	}
	return "b/" + p.key()
}

func parseEventToken(tok string) (forward bool, p pos, ok bool) {
	if len(tok) < 2 || tok[0] != 'f' && tok[0] != 'b' || tok[1] != '/' {
		return false, pos{}, false
	}
	p, ok = parsePos(tok[2:])
	return tok[0] == 'f', p, ok
}
