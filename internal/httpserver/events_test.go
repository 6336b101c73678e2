package httpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func after(t *testing.T, s *eventStore, session, stream string, index int) ([]string, error) {
	t.Helper()
	var out []string
	for d, err := range s.After(context.Background(), session, stream, index) {
		if err != nil {
			return out, err
		}
		out = append(out, string(d))
	}
	return out, nil
}

func TestEventStoreReplays(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := newEventStore(1<<20, time.Minute, clock.now)
	ctx := context.Background()
	_ = s.Open(ctx, "s1", "a")
	for i := range 3 {
		_ = s.Append(ctx, "s1", "a", fmt.Appendf(nil, "e%d", i))
	}
	if got, err := after(t, s, "s1", "a", 0); err != nil || strings.Join(got, ",") != "e1,e2" {
		t.Errorf("after 0: %v %v", got, err)
	}
	if got, err := after(t, s, "s1", "a", -1); err != nil || len(got) != 3 {
		t.Errorf("after -1: %v %v", got, err)
	}
	if got, err := after(t, s, "s1", "a", 5); err != nil || len(got) != 0 {
		t.Errorf("after the end: %v %v", got, err)
	}
	if _, err := after(t, s, "s1", "b", 0); err == nil {
		t.Error("an unknown stream replayed")
	}
	if _, err := after(t, s, "s2", "a", 0); err == nil {
		t.Error("another session's stream replayed")
	}
	_ = s.SessionClosed(ctx, "s1")
	if b, n := s.size(); b != 0 || n != 0 {
		t.Errorf("after SessionClosed: %d bytes, %d streams", b, n)
	}
}

// TestEventStoreBoundedInTime: a stream is dropped once its last event is
// older than the retention; a stream still written to is kept.
func TestEventStoreBoundedInTime(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	s := newEventStore(1<<20, time.Minute, clock.now)
	ctx := context.Background()
	_ = s.Append(ctx, "s1", "old", []byte("x"))
	_ = s.Append(ctx, "s1", "live", []byte("y"))
	for range 3 {
		clock.add(40 * time.Second)
		_ = s.Append(ctx, "s1", "live", []byte("y"))
	}
	if _, err := after(t, s, "s1", "old", -1); err == nil {
		t.Error("an expired stream replayed")
	}
	if got, err := after(t, s, "s1", "live", -1); err != nil || len(got) != 4 {
		t.Errorf("live stream: %v %v", got, err)
	}
	clock.add(2 * time.Minute)
	if _, n := s.size(); n != 1 {
		t.Errorf("%d streams before a purge", n)
	}
	if _, err := after(t, s, "s1", "live", -1); err == nil {
		t.Error("a stream idle past the retention replayed")
	}
	if b, n := s.size(); b != 0 || n != 0 {
		t.Errorf("after expiry: %d bytes, %d streams", b, n)
	}
}

// TestEventStoreBoundedInMemory: many sessions and streams, and one large
// stream, never hold more than the bound (plus the event being added).
func TestEventStoreBoundedInMemory(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	clock := newFakeClock()
	s := newEventStore(limit, time.Hour, clock.now)
	ctx := context.Background()
	event := []byte(strings.Repeat("z", 1000))
	for i := range 2000 {
		session, stream := fmt.Sprint("s", i%50), fmt.Sprint("st", i)
		_ = s.Open(ctx, session, stream)
		_ = s.Append(ctx, session, stream, event)
		if b, _ := s.size(); b > limit+int64(len(event))+streamOverhead {
			t.Fatalf("%d bytes held after %d streams", b, i+1)
		}
	}
	// The most recent stream is kept whole; the oldest are gone.
	if got, err := after(t, s, "s49", "st1999", -1); err != nil || len(got) != 1 {
		t.Errorf("newest stream: %v %v", len(got), err)
	}
	if _, err := after(t, s, "s0", "st0", -1); err == nil {
		t.Error("the oldest stream survived the bound")
	}
	// One stream over a quarter of the bound loses its first events: a
	// resume from before them fails as the SDK requires, a later one works.
	for range 40 {
		_ = s.Append(ctx, "big", "b", event)
	}
	if _, err := after(t, s, "big", "b", 0); !errors.Is(err, mcp.ErrEventsPurged) {
		t.Errorf("resume from a dropped event: %v", err)
	}
	if got, err := after(t, s, "big", "b", 38); err != nil || len(got) != 1 {
		t.Errorf("resume from a kept event: %v %v", len(got), err)
	}
	if b, _ := s.size(); b > limit+int64(len(event))+streamOverhead {
		t.Errorf("%d bytes held", b)
	}
}
