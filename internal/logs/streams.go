package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"batchd/internal/store"
)

// CreateLogStream creates a log stream in an existing group
// ("CreateLogStream", API Reference).
func (s *Service) CreateLogStream(ctx context.Context, in *CreateLogStreamRequest) error {
	if err := checkGroupName(in.LogGroupName); err != nil {
		return err
	}
	if err := checkStreamName(in.LogStreamName); err != nil {
		return err
	}
	created := s.nowMillis()
	return s.store.Update(ctx, func(tx store.Tx) error {
		return insertStream(tx, in.LogGroupName, in.LogStreamName, created)
	})
}

// insertStream creates a stream in an existing group, or fails with
// errStreamExists or the group's errGroupNotFound.
func insertStream(tx store.Tx, group, stream string, created int64) error {
	if _, err := getGroup(tx, group); err != nil {
		return err
	}
	return insertStreamDoc(tx, newStream(group, stream, created))
}

// newStream is a stream not stored yet (insertStreamDoc stores it).
func newStream(group, stream string, created int64) *streamDoc {
	return &streamDoc{Group: group, Name: stream, ID: newStreamID(), CreationTime: created, NoMirrors: true}
}

// insertStreamDoc stores a new stream with its listing entries, or fails
// with errStreamExists.
func insertStreamDoc(tx store.Tx, st *streamDoc) error {
	err := store.InsertJSON(tx, kindStream, streamKey(st.Group, st.Name), st)
	if errors.Is(err, store.ErrExists) {
		return errStreamExists
	}
	if err != nil {
		return err
	}
	return setStreamIndexes(tx, st, nil)
}

// DeleteLogStream deletes a log stream and its events ("DeleteLogStream",
// API Reference).
func (s *Service) DeleteLogStream(ctx context.Context, in *DeleteLogStreamRequest) error {
	err := s.store.Update(ctx, func(tx store.Tx) error {
		g, st, err := getStream(tx, in.LogGroupName, in.LogStreamName)
		if err != nil {
			return err
		}
		if err := deleteStream(tx, st); err != nil {
			return err
		}
		g.StoredBytes = max(0, g.StoredBytes-st.StoredBytes)
		return store.PutJSON(tx, kindGroup, g.Name, g)
	})
	if err != nil {
		return err
	}
	return s.purge(ctx)
}

// deleteStream removes a stream and its listing entries, and records its
// events for purge.
func deleteStream(tx store.Tx, st *streamDoc) error {
	if err := tx.Delete(kindStream, streamKey(st.Group, st.Name)); err != nil {
		return err
	}
	if !st.NoMirrors {
		if err := ignoreNotFound(tx.Delete(kindStreamDesc, st.Group+"\x00"+descName(st.Name))); err != nil {
			return err
		}
	}
	if err := deleteTimeIndexes(tx, st); err != nil {
		return err
	}
	if st.Seq == 0 {
		return nil
	}
	return tx.Put(kindPurge, st.ID, nil)
}

// purgeBatch is how many events one purge transaction deletes.
const purgeBatch = 2000

// purge deletes the events of deleted streams, purgeBatch at a time, each
// batch its own transaction so that no write holds the store long.
func (s *Service) purge(ctx context.Context) error {
	for {
		var ids []store.Item
		if err := s.store.View(ctx, func(tx store.Tx) (err error) {
			ids, err = tx.List(kindPurge, "", "", 100)
			return err
		}); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		for _, it := range ids {
			for done := false; !done; {
				err := s.store.Update(ctx, func(tx store.Tx) error {
					// The events, then the mirror entries of a stream
					// stored with them (NoMirrors).
					n := 0
					for _, kind := range []string{kindEvents + it.Key, kindEventsRev + it.Key} {
						evs, err := tx.List(kind, "", "", purgeBatch-n)
						if err != nil {
							return err
						}
						for _, ev := range evs {
							if err := tx.Delete(kind, ev.Key); err != nil {
								return err
							}
						}
						if n += len(evs); n == purgeBatch {
							return nil
						}
					}
					done = true
					return ignoreNotFound(tx.Delete(kindPurge, it.Key))
				})
				if err != nil {
					return err
				}
			}
		}
	}
}

// deleteEvent deletes the event at key of stream st, and its mirror entry
// when st was stored with mirrors.
func deleteEvent(tx store.Tx, st *streamDoc, key string) error {
	p, ok := parsePos(key)
	if !ok {
		return fmt.Errorf("logs: malformed event key %q in stream %s", key, st.ID)
	}
	if err := ignoreNotFound(tx.Delete(kindEvents+st.ID, key)); err != nil {
		return err
	}
	if st.NoMirrors {
		return nil
	}
	return ignoreNotFound(tx.Delete(kindEventsRev+st.ID, p.revKey()))
}

// DescribeLogStreams lists a group's streams ("DescribeLogStreams", API
// Reference): by name (those starting with logStreamNamePrefix) or by last
// event time, ascending or descending, limit (1 to 50, default 50) a page.
// Every order is an index of its own, so a page is one range scan.
func (s *Service) DescribeLogStreams(ctx context.Context, in *DescribeLogStreamsRequest) (*DescribeLogStreamsResponse, error) {
	group, err := s.LogGroupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	byTime := in.OrderBy == OrderByLastEventTime
	if byTime && in.LogStreamNamePrefix != nil {
		return nil, invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	desc := in.Descending != nil && *in.Descending
	limit := 50
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	namePrefix := ""
	if in.LogStreamNamePrefix != nil {
		namePrefix = *in.LogStreamNamePrefix
	}
	g := group + "\x00"
	// kind and prefix of the index read (backwards when descending: the
	// token is then the key the next page ends before), and how an entry
	// names its stream (nil: the entry is the stream document itself).
	kind, prefix := kindStream, g+namePrefix
	var nameOf func(it store.Item) string
	if byTime {
		kind, prefix = kindStreamTime, g
		nameOf = func(it store.Item) string { return it.Key[len(g)+14:] }
	}
	list := store.Tx.List
	if desc {
		list = store.Tx.ListBefore
	}
	out := &DescribeLogStreamsResponse{LogStreams: []LogStream{}}
	err = s.store.View(ctx, func(tx store.Tx) error {
		if _, err := getGroup(tx, group); err != nil {
			return err
		}
		items, err := list(tx, kind, prefix, after, limit+1)
		if err != nil {
			return err
		}
		if len(items) > limit {
			items = items[:limit]
			out.NextToken = encodeToken(items[limit-1].Key)
		}
		for _, it := range items {
			st := new(streamDoc)
			if nameOf == nil {
				if err := json.Unmarshal(it.Value, st); err != nil {
					return fmt.Errorf("decode %s %q: %w", kind, it.Key, err)
				}
			} else {
				var found bool
				if st, found, err = store.GetJSON[streamDoc](tx, kindStream, streamKey(group, nameOf(it))); err != nil {
					return err
				} else if !found {
					return fmt.Errorf("logs: index %s entry %q names no stream", kind, it.Key)
				}
			}
			out.LogStreams = append(out.LogStreams, s.logStream(st))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// logStream is a stream as DescribeLogStreams shows it.
func (s *Service) logStream(st *streamDoc) LogStream {
	ls := LogStream{
		LogStreamName: ptr(st.Name), CreationTime: ptr(st.CreationTime), Arn: ptr(s.LogStreamARN(st.Group, st.Name)),
		StoredBytes: ptr(st.StoredBytes), UploadSequenceToken: ptr(sequenceToken(st.Seq)),
	}
	if st.Seq > 0 {
		ls.FirstEventTimestamp, ls.LastEventTimestamp, ls.LastIngestionTime = ptr(st.FirstEvent), ptr(st.LastEvent), ptr(st.LastIngestion)
	}
	return ls
}

// sequenceToken is the upload sequence token of a stream whose last event
// has sequence number seq: digits, as AWS's are. PutLogEvents ignores the
// token it is given.
func sequenceToken(seq int64) string {
	return "4963" + pad(seq, 52)
}
