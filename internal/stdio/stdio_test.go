package stdio

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// session is Serve over pipes with a server whose "block" tool runs until
// cancelled and then says so, as a task wait does.
type session struct {
	t      *testing.T
	in     *io.PipeWriter
	lines  chan string // written to in in order; the pipe blocks until read
	out    chan map[string]json.RawMessage
	cancel context.CancelFunc
	done   chan error
}

func newSession(t *testing.T, grace time.Duration) *session {
	t.Helper()
	s := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "block"}, func(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		<-ctx.Done()
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "stopped waiting"}}}, nil, nil
	})
	mcp.AddTool(s, &mcp.Tool{Name: "quick"}, func(ctx context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
		time.Sleep(50 * time.Millisecond)
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil, nil
	})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	ss := &session{t: t, in: inW, lines: make(chan string, 100), out: make(chan map[string]json.RawMessage, 100), cancel: cancel, done: make(chan error, 1)}
	go func() {
		ss.done <- Serve(ctx, s, &Transport{In: inR, Out: outW, Grace: grace})
		outW.Close()
	}()
	go func() {
		for l := range ss.lines {
			if _, err := io.WriteString(inW, l+"\n"); err != nil {
				return
			}
		}
	}()
	go func() {
		defer close(ss.out)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("stdout: %q is not JSON", sc.Bytes())
				continue
			}
			ss.out <- m
		}
	}()
	t.Cleanup(func() {
		cancel()
		close(ss.lines)
		inW.Close()
		for range ss.out {
		}
	})
	ss.send(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`)
	ss.reply("0")
	ss.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return ss
}

func (s *session) send(line string) { s.lines <- line }

func (s *session) call(id, tool string) {
	s.send(`{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`)
}

// reply returns the next message and checks its id.
func (s *session) reply(id string) map[string]json.RawMessage {
	s.t.Helper()
	select {
	case m, ok := <-s.out:
		if !ok {
			s.t.Fatalf("stdout ended, want a reply to %s", id)
		}
		if string(m["id"]) != id {
			s.t.Fatalf("got %v, want a reply to %s", m, id)
		}
		return m
	case <-time.After(5 * time.Second):
		s.t.Fatalf("no reply to %s", id)
	}
	return nil
}

func (s *session) served(within time.Duration) error {
	s.t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(within):
		s.t.Fatalf("Serve still running after %v", within)
	}
	return nil
}

func TestStopCancelsCallsAfterTheGrace(t *testing.T) {
	s := newSession(t, 300*time.Millisecond)
	s.call("1", "block")
	time.Sleep(50 * time.Millisecond)
	stopped := time.Now()
	s.cancel()
	time.Sleep(50 * time.Millisecond)
	s.send(`{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	if m := s.reply("2"); !strings.Contains(string(m["error"]), "shutting down") {
		t.Fatalf("a new request during the shutdown: %v", m)
	}
	m := s.reply("1")
	if !strings.Contains(string(m["result"]), "stopped waiting") {
		t.Fatalf("the call in flight: %v", m)
	}
	if d := time.Since(stopped); d < 300*time.Millisecond || d > time.Second {
		t.Errorf("answered %v after the stop, want after the 300ms grace", d)
	}
	if err := s.served(time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestStopLetsCallsFinish(t *testing.T) {
	s := newSession(t, 5*time.Second)
	s.call("1", "quick")
	time.Sleep(10 * time.Millisecond)
	s.cancel()
	if m := s.reply("1"); !strings.Contains(string(m["result"]), `"done"`) {
		t.Fatalf("%v", m)
	}
	if err := s.served(time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestEndOfInputWithNothingRunning(t *testing.T) {
	s := newSession(t, 5*time.Second)
	s.in.Close()
	if err := s.served(time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestCancelledCallIsNotAnswered(t *testing.T) {
	s := newSession(t, 5*time.Second)
	s.call("1", "block")
	time.Sleep(50 * time.Millisecond)
	s.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`)
	time.Sleep(100 * time.Millisecond)
	s.send(`{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	s.reply("2")
	// The id is free again: a new call with it is answered.
	s.call("1", "quick")
	s.reply("1")
}

func TestDuplicateIDRefused(t *testing.T) {
	s := newSession(t, 100*time.Millisecond)
	s.call("1", "block")
	time.Sleep(50 * time.Millisecond)
	s.call("1", "quick")
	if m := s.reply("1"); !strings.Contains(string(m["error"]), "already in use") {
		t.Fatalf("%v", m)
	}
	s.cancel()
	if m := s.reply("1"); !strings.Contains(string(m["result"]), "stopped waiting") {
		t.Fatalf("%v", m)
	}
}

func TestBadLinesDoNotEndTheSession(t *testing.T) {
	s := newSession(t, 100*time.Millisecond)
	s.send("garbage\n[1,2]\n" + `{"jsonrpc":"2.0","id":9}` + "\n" + `{"jsonrpc":"2.0","id":3,"method":"ping"}`)
	for _, want := range []string{"null", "null", "9", "3"} {
		s.reply(want)
	}
}
