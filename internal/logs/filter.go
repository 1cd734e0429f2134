package logs

import (
	"container/heap"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"batchd/internal/store"
)

// pattern is a parsed text filter pattern ("Filter pattern syntax for
// metric filters, subscription filters, filter log events, and Live Tail",
// CloudWatch Logs User Guide, "Matching terms in unstructured log events").
type pattern struct {
	all  []string // every one must occur
	any  []string // ?term: at least one must occur, when there are any
	none []string // -term: none may occur
}

// parsePattern reads a text filter pattern: terms separated by spaces,
// each a word or a "quoted phrase" (\" and \\ escape inside quotes),
// optionally preceded by ? (OR) or - (NOT). The empty pattern matches
// every event.
func parsePattern(p string) (*pattern, error) {
	p = strings.TrimSpace(p)
	switch {
	case strings.HasPrefix(p, "{"):
		return nil, invalidParameter("Invalid filter pattern: JSON filter patterns are not supported by batchd; use terms, \"phrases\", ?term or -term.")
	case strings.HasPrefix(p, "["):
		return nil, invalidParameter("Invalid filter pattern: space-delimited filter patterns are not supported by batchd; use terms, \"phrases\", ?term or -term.")
	case len(p) > 1 && strings.HasPrefix(p, "%") && strings.HasSuffix(p, "%"):
		return nil, invalidParameter("Invalid filter pattern: regular expression filter patterns are not supported by batchd; use terms, \"phrases\", ?term or -term.")
	}
	pat := &pattern{}
	for i := 0; i < len(p); {
		if p[i] == ' ' || p[i] == '\t' {
			i++
			continue
		}
		op := byte(0)
		if p[i] == '?' || p[i] == '-' {
			op = p[i]
			i++
		}
		var term string
		if i < len(p) && p[i] == '"' {
			var b strings.Builder
			i++
			closed := false
			for i < len(p) {
				c := p[i]
				if c == '\\' && i+1 < len(p) && (p[i+1] == '"' || p[i+1] == '\\') {
					b.WriteByte(p[i+1])
					i += 2
					continue
				}
				i++
				if c == '"' {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return nil, invalidParameter("Invalid filter pattern: unterminated quoted term in %q.", p)
			}
			term = b.String()
		} else {
			j := i
			for j < len(p) && p[j] != ' ' && p[j] != '\t' {
				j++
			}
			term, i = p[i:j], j
		}
		if term == "" {
			if op != 0 {
				return nil, invalidParameter("Invalid filter pattern: %q has an empty term.", p)
			}
			continue
		}
		switch op {
		case '?':
			pat.any = append(pat.any, term)
		case '-':
			pat.none = append(pat.none, term)
		default:
			pat.all = append(pat.all, term)
		}
	}
	return pat, nil
}

// matches reports whether a message satisfies the pattern; terms match
// case-sensitively, anywhere in the message.
func (p *pattern) matches(msg string) bool {
	for _, t := range p.all {
		if !strings.Contains(msg, t) {
			return false
		}
	}
	for _, t := range p.none {
		if strings.Contains(msg, t) {
			return false
		}
	}
	if len(p.any) == 0 {
		return true
	}
	for _, t := range p.any {
		if strings.Contains(msg, t) {
			return true
		}
	}
	return false
}

// defaultMaxScan bounds the events one FilterLogEvents call reads; past it
// the call returns what matched so far and a nextToken, as AWS's does when
// a search runs long.
const defaultMaxScan = 100000

// filterCursor is where a FilterLogEvents page resumes: after the event of
// stream Stream at (TS, Seq), in the order (timestamp, stream name,
// sequence).
type filterCursor struct {
	TS     int64  `json:"t"`
	Seq    int64  `json:"q"`
	Stream string `json:"s"`
}

// FilterLogEvents returns a group's events that match filterPattern, from
// the streams logStreamNames names or that start with logStreamNamePrefix
// (all by default), within startTime and endTime (exclusive), ordered by
// timestamp across streams ("FilterLogEvents", API Reference).
func (s *Service) FilterLogEvents(ctx context.Context, in *FilterLogEventsRequest) (*FilterLogEventsResponse, error) {
	group, err := s.LogGroupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != nil {
		return nil, invalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
	}
	pat := &pattern{}
	if in.FilterPattern != nil {
		if pat, err = parsePattern(*in.FilterPattern); err != nil {
			return nil, err
		}
	}
	limit := maxBatchEvents
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	var cur *filterCursor
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		cur = new(filterCursor)
		if err != nil || json.Unmarshal(b, cur) != nil {
			return nil, errBadToken
		}
	}
	out := &FilterLogEventsResponse{Events: []FilteredLogEvent{}}
	err = s.store.View(ctx, func(tx store.Tx) error {
		g, err := getGroup(tx, group)
		if err != nil {
			return err
		}
		b := s.readBounds(g, in.StartTime, in.EndTime)
		streams, err := filterStreams(tx, group, in)
		if err != nil {
			return err
		}
		h := &mergeHeap{}
		for _, st := range streams {
			if st.Seq == 0 || st.LastEvent < b.lo.ts || st.FirstEvent >= b.hi.ts || cur != nil && st.LastEvent < cur.TS {
				continue
			}
			r := &streamReader{tx: tx, st: st, after: b.lo, hiKey: b.hi.key()}
			if cur != nil {
				resume := pos{cur.TS, 0}
				switch {
				case st.Name < cur.Stream:
					resume = pos{cur.TS, maxSeq}
				case st.Name == cur.Stream:
					resume = pos{cur.TS, cur.Seq}
				}
				if r.after.less(resume) {
					r.after = resume
				}
			}
			if err := r.fill(); err != nil {
				return err
			}
			if len(r.buf) > 0 {
				h.rs = append(h.rs, r)
			}
		}
		heap.Init(h)
		size, scanned := 0, 0
		var last *filterCursor
		for h.Len() > 0 {
			if len(out.Events) == limit || scanned == s.maxScan {
				out.NextToken = encodeCursor(last)
				return nil
			}
			r := h.rs[0]
			e := r.buf[0]
			if pat.matches(e.msg) {
				if size+e.size() > maxPageBytes && len(out.Events) > 0 {
					out.NextToken = encodeCursor(last)
					return nil
				}
				size += e.size()
				out.Events = append(out.Events, FilteredLogEvent{
					LogStreamName: ptr(r.st.Name), Timestamp: ptr(e.pos.ts), Message: ptr(e.msg),
					IngestionTime: ptr(e.ingestion), EventId: ptr(e.pos.key() + r.st.ID),
				})
			}
			scanned++
			last = &filterCursor{TS: e.pos.ts, Seq: e.pos.seq, Stream: r.st.Name}
			r.buf = r.buf[1:]
			if len(r.buf) == 0 {
				if err := r.fill(); err != nil {
					return err
				}
			}
			if len(r.buf) == 0 {
				heap.Pop(h)
			} else {
				heap.Fix(h, 0)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func encodeCursor(c *filterCursor) *string {
	b, _ := json.Marshal(c)
	return ptr(base64.RawURLEncoding.EncodeToString(b))
}

// filterStreams returns the streams a FilterLogEvents call reads: those
// named (names that do not exist are left out) or those with the prefix.
func filterStreams(tx store.Tx, group string, in *FilterLogEventsRequest) ([]*streamDoc, error) {
	if len(in.LogStreamNames) == 0 {
		prefix := ""
		if in.LogStreamNamePrefix != nil {
			prefix = *in.LogStreamNamePrefix
		}
		return store.ListJSON[streamDoc](tx, kindStream, group+"\x00"+prefix, "", 0)
	}
	var out []*streamDoc
	seen := map[string]bool{}
	for _, name := range in.LogStreamNames {
		if seen[name] {
			continue
		}
		seen[name] = true
		st, found, err := store.GetJSON[streamDoc](tx, kindStream, streamKey(group, name))
		if err != nil {
			return nil, err
		}
		if found {
			out = append(out, st)
		}
	}
	return out, nil
}

// streamReader reads one stream's events forward, a chunk at a time.
type streamReader struct {
	tx    store.Tx
	st    *streamDoc
	after pos
	hiKey string
	buf   []storedEvent
	done  bool
}

const readerChunk = 256

func (r *streamReader) fill() error {
	if r.done {
		return nil
	}
	items, err := r.tx.List(kindEvents+r.st.ID, "", r.after.key(), readerChunk)
	if err != nil {
		return err
	}
	r.buf = r.buf[:0]
	for _, it := range items {
		if it.Key >= r.hiKey {
			r.done = true
			break
		}
		e, err := decodeStored(r.st.ID, it)
		if err != nil {
			return err
		}
		r.buf = append(r.buf, e)
		r.after = e.pos
	}
	if len(items) < readerChunk {
		r.done = true
	}
	return nil
}

// mergeHeap orders stream readers by their next event: timestamp, stream
// name, sequence.
type mergeHeap struct{ rs []*streamReader }

func (h *mergeHeap) Len() int { return len(h.rs) }
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.rs[i].buf[0].pos, h.rs[j].buf[0].pos
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	return h.rs[i].st.Name < h.rs[j].st.Name
}
func (h *mergeHeap) Swap(i, j int) { h.rs[i], h.rs[j] = h.rs[j], h.rs[i] }
func (h *mergeHeap) Push(x any)    { h.rs = append(h.rs, x.(*streamReader)) }
func (h *mergeHeap) Pop() any {
	r := h.rs[len(h.rs)-1]
	h.rs = h.rs[:len(h.rs)-1]
	return r
}
