package httpserver

import (
	"container/list"
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// streamOverhead is what an empty stream is counted for against the byte
// bound, so that many small streams are bounded too.
const streamOverhead = 256

// eventStore keeps the events of each session's streams so that a client
// whose stream broke can resume it with Last-Event-ID. The SDK's
// MemoryEventStore is bounded in bytes only and keeps an entry for every
// stream until its session closes; this one is bounded in memory (maxBytes
// over every session, a stream at most a quarter of it) and in time (a
// stream is dropped retention after its last event). At the byte bound the
// streams least recently written go first, so a running call keeps its own.
type eventStore struct {
	maxBytes  int64
	retention time.Duration
	now       func() time.Time

	mu       sync.Mutex
	bytes    int64
	lru      *list.List                          // of *eventStream, least recently written first
	sessions map[string]map[string]*list.Element // session id -> stream id -> element
}

type eventStream struct {
	session, stream string
	first           int // the index of data[0]
	data            [][]byte
	size            int64 // bytes of data plus streamOverhead
	last            time.Time
}

var _ mcp.EventStore = (*eventStore)(nil)

func newEventStore(maxBytes int64, retention time.Duration, now func() time.Time) *eventStore {
	return &eventStore{maxBytes: maxBytes, retention: retention, now: now, lru: list.New(),
		sessions: map[string]map[string]*list.Element{}}
}

// stream returns the stream, made if need be, as the most recently used.
// s.mu must be held.
func (s *eventStore) stream(session, stream string) *eventStream {
	streams := s.sessions[session]
	if streams == nil {
		streams = map[string]*list.Element{}
		s.sessions[session] = streams
	}
	el := streams[stream]
	if el == nil {
		el = s.lru.PushBack(&eventStream{session: session, stream: stream, size: streamOverhead})
		streams[stream] = el
		s.bytes += streamOverhead
	} else {
		s.lru.MoveToBack(el)
	}
	es := el.Value.(*eventStream)
	es.last = s.now()
	return es
}

// drop forgets a stream. s.mu must be held.
func (s *eventStore) drop(el *list.Element) {
	es := el.Value.(*eventStream)
	s.lru.Remove(el)
	s.bytes -= es.size
	delete(s.sessions[es.session], es.stream)
	if len(s.sessions[es.session]) == 0 {
		delete(s.sessions, es.session)
	}
}

// purge drops the streams past their retention, then the least recently
// written ones while over the byte bound, never keep. s.mu must be held.
func (s *eventStore) purge(keep *eventStream) {
	cutoff := s.now().Add(-s.retention)
	for el := s.lru.Front(); el != nil; {
		next := el.Next()
		es := el.Value.(*eventStream)
		if es == keep || (!es.last.Before(cutoff) && s.bytes <= s.maxBytes) {
			break
		}
		s.drop(el)
		el = next
	}
}

// Open implements mcp.EventStore.
func (s *eventStore) Open(_ context.Context, session, stream string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purge(s.stream(session, stream))
	return nil
}

// Append implements mcp.EventStore. A stream over a quarter of the bound
// loses its oldest events: resuming from before them then fails, resuming
// from later still works.
func (s *eventStore) Append(_ context.Context, session, stream string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	es := s.stream(session, stream)
	es.data = append(es.data, data)
	es.size += int64(len(data))
	s.bytes += int64(len(data))
	for es.size-streamOverhead > s.maxBytes/4 && len(es.data) > 1 {
		n := int64(len(es.data[0]))
		es.data[0] = nil
		es.data = es.data[1:]
		es.first++
		es.size -= n
		s.bytes -= n
	}
	s.purge(es)
	return nil
}

// After implements mcp.EventStore: the events after index, or an error when
// the stream is unknown, expired or lost some of them.
func (s *eventStore) After(_ context.Context, session, stream string, index int) iter.Seq2[[]byte, error] {
	s.mu.Lock()
	s.purge(nil)
	var (
		events [][]byte
		err    error
	)
	if el := s.sessions[session][stream]; el == nil {
		err = fmt.Errorf("stream %q of this session is unknown or expired", stream)
	} else if es := el.Value.(*eventStream); index+1 < es.first {
		err = fmt.Errorf("events of stream %q after %d: %w", stream, index, mcp.ErrEventsPurged)
	} else if start := index + 1 - es.first; start < len(es.data) {
		events = slices.Clone(es.data[start:])
	}
	s.mu.Unlock()
	return func(yield func([]byte, error) bool) {
		if err != nil {
			yield(nil, err)
			return
		}
		for _, d := range events {
			if !yield(d, nil) {
				return
			}
		}
	}
}

// SessionClosed implements mcp.EventStore.
func (s *eventStore) SessionClosed(_ context.Context, session string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, el := range s.sessions[session] {
		s.drop(el)
	}
	return nil
}

// size reports the bytes held and the streams kept, for tests.
func (s *eventStore) size() (bytes int64, streams int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes, s.lru.Len()
}
