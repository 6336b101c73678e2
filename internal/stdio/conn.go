package stdio

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

const methodCancelled = "notifications/cancelled"

// conn is the mcp.Connection over stdin and stdout. Read is called by one
// goroutine only (the SDK's read loop), so the read-side fields need no lock.
type conn struct {
	out    io.Writer
	logger *slog.Logger
	grace  time.Duration
	answer time.Duration // how long cancelled calls get to write their answer

	writeMu sync.Mutex // one line at a time on stdout, replies and the SDK's alike

	mu       sync.Mutex
	inflight map[jsonrpc.ID]bool // calls passed to the SDK and not yet answered; true once the client cancelled
	draining bool
	settled  chan struct{} // a call was answered (capacity 1)

	// Read side.
	lines    <-chan line
	stop     <-chan struct{}
	queue    []jsonrpc.Message // cancellations made up at the end of the grace
	graceEnd <-chan time.Time
	giveUp   <-chan time.Time

	ended     chan struct{} // closed when Read returns its last message
	endOnce   sync.Once
	closed    chan struct{}
	closeOnce sync.Once
}

func newConn(t *Transport, limit int) *conn {
	c := &conn{
		out:      t.Out,
		logger:   t.Logger,
		grace:    t.Grace,
		answer:   answerWait,
		inflight: map[jsonrpc.ID]bool{},
		settled:  make(chan struct{}, 1),
		stop:     t.Stop,
		ended:    make(chan struct{}),
		closed:   make(chan struct{}),
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.grace <= 0 {
		c.grace = ShutdownGrace
	}
	lines := make(chan line)
	c.lines = lines
	go c.readLines(t.In, limit, lines)
	return c
}

// readLines feeds Read. It may stay blocked on stdin after Close: a read of
// stdin cannot be interrupted portably, and the process is ending anyway.
func (c *conn) readLines(in io.Reader, limit int, out chan<- line) {
	defer close(out)
	br := bufio.NewReaderSize(in, 64<<10)
	for {
		l, err := nextLine(br, limit)
		if len(l.data) > 0 || l.tooLong {
			select {
			case out <- l:
			case <-c.closed:
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				c.logger.Warn("stdio: reading stdin failed", "err", err)
			}
			return
		}
	}
}

func (c *conn) SessionID() string { return "" }

func (c *conn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

// Read returns the next valid message. Anything else is answered here and
// never reaches the SDK. After a stop or the end of stdin it returns io.EOF
// only once every call passed on has been answered (or given up on), since
// the SDK writes nothing more once a read has failed.
func (c *conn) Read(ctx context.Context) (jsonrpc.Message, error) {
	msg, err := c.read(ctx)
	if err != nil {
		c.endOnce.Do(func() { close(c.ended) })
	}
	return msg, err
}

func (c *conn) read(ctx context.Context) (jsonrpc.Message, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(c.queue) > 0 {
			msg := c.queue[0]
			c.queue = c.queue[1:]
			return msg, nil
		}
		if c.drained() {
			return nil, io.EOF
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closed:
			return nil, io.EOF
		case <-c.stop:
			c.stop = nil
			c.startDrain("stop signal")
		case l, ok := <-c.lines:
			if !ok {
				c.lines = nil
				c.startDrain("end of stdin")
				continue
			}
			msg, err := c.accept(l)
			if err != nil || msg != nil {
				return msg, err
			}
		case <-c.settled:
		case <-c.graceEnd:
			c.graceEnd = nil
			c.queue = c.cancellations()
			c.giveUp = time.After(c.answer)
		case <-c.giveUp:
			c.logger.Warn("stdio: calls still unanswered after their cancellation; closing", "calls", c.pending())
			return nil, io.EOF
		}
	}
}

// accept checks one line: it returns the message to pass on, or nil when the
// line was answered (or dropped) here.
func (c *conn) accept(l line) (jsonrpc.Message, error) {
	if l.tooLong {
		return nil, c.refuse(&rejection{codeInvalidRequest, scanID(l.data), fmt.Sprintf(
			"invalid request: message longer than %d bytes (%d MiB) refused; the rest of the line was skipped",
			MaxLineBytes, MaxLineBytes>>20)})
	}
	msg, rej := parse(l.data)
	if rej != nil {
		return nil, c.refuse(rej)
	}
	req, ok := msg.(*jsonrpc.Request)
	if !ok {
		return msg, nil // a response to a server request, or nothing
	}
	if !req.IsCall() {
		if req.Method == methodCancelled {
			c.noteCancelled(req.Params)
		}
		return req, nil
	}
	c.mu.Lock()
	draining := c.draining
	_, inUse := c.inflight[req.ID]
	if !draining && !inUse {
		c.inflight[req.ID] = false
	}
	c.mu.Unlock()
	if !draining && !inUse {
		return req, nil
	}
	id, _ := json.Marshal(req.ID.Raw()) // only a refusal needs it
	if draining {
		return nil, c.refuse(&rejection{codeShuttingDown, id, "the server is shutting down and takes no new requests"})
	}
	return nil, c.refuse(&rejection{codeInvalidRequest, id, fmt.Sprintf(
		"invalid request: id %s is already in use by a call in progress", id)})
}

// noteCancelled marks a call the client cancelled, so that the answer its
// handler still returns is not written: the client expects none.
func (c *conn) noteCancelled(params json.RawMessage) {
	var p struct {
		RequestID any `json:"requestId"`
	}
	if json.Unmarshal(params, &p) != nil {
		return
	}
	id, err := jsonrpc.MakeID(p.RequestID)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.inflight[id]; ok {
		c.inflight[id] = true
	}
}

// refuse writes the error reply for a rejected line; only a failed write is
// an error.
func (c *conn) refuse(r *rejection) error {
	c.logger.Warn("stdio: message refused", "code", r.code, "id", string(orNull(r.id)), "reason", r.msg)
	if r.code == 0 {
		return nil
	}
	data, err := r.encode()
	if err != nil {
		return err
	}
	return c.writeLine(data)
}

func (c *conn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if resp, ok := msg.(*jsonrpc.Response); ok && resp.ID.IsValid() {
		// Settled before the write, as the SDK does: the client may reuse
		// the id as soon as it reads the answer.
		cancelled := c.settle(resp.ID)
		defer c.signalSettled()
		if cancelled {
			c.logger.Debug("stdio: answer to a cancelled call dropped", "id", resp.ID.Raw())
			return nil
		}
		msg = withCode(resp)
	}
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return fmt.Errorf("stdio: encode message: %w", err)
	}
	return c.writeLine(data)
}

// withCode gives a plain error of the SDK a JSON-RPC code; it would go out
// with code 0. The one the SDK raises before any middleware runs is a call
// before initialize: an invalid request in that state.
func withCode(resp *jsonrpc.Response) *jsonrpc.Response {
	var rpcErr *jsonrpc.Error
	if resp.Error == nil || errors.As(resp.Error, &rpcErr) {
		return resp
	}
	code := int64(jsonrpc.CodeInternalError)
	if strings.Contains(resp.Error.Error(), "during session initialization") {
		code = jsonrpc.CodeInvalidRequest
	}
	out := *resp
	out.Error = &jsonrpc.Error{Code: code, Message: resp.Error.Error()}
	return &out
}

func (c *conn) writeLine(data []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if _, err := c.out.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("stdio: write stdout: %w", err)
	}
	return nil
}

// settle forgets an answered call and reports whether the client cancelled it.
func (c *conn) settle(id jsonrpc.ID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cancelled := c.inflight[id]
	delete(c.inflight, id)
	return cancelled
}

func (c *conn) signalSettled() {
	select {
	case c.settled <- struct{}{}:
	default:
	}
}

func (c *conn) startDrain(why string) {
	c.mu.Lock()
	already := c.draining
	c.draining = true
	n := len(c.inflight)
	c.mu.Unlock()
	if already {
		return
	}
	c.graceEnd = time.After(c.grace)
	if n > 0 {
		c.logger.Info("stdio: shutting down; calls in progress may finish", "reason", why, "calls", n, "grace", c.grace)
	}
}

func (c *conn) drained() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.draining && len(c.inflight) == 0
}

func (c *conn) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.inflight)
}

// cancellations are notifications/cancelled for every call still running,
// as if the client had sent them: each handler then returns what it knows
// (a task's UPID), and that answer is written.
func (c *conn) cancellations() []jsonrpc.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []jsonrpc.Message
	for id, cancelled := range c.inflight {
		if cancelled {
			continue
		}
		params, err := json.Marshal(map[string]any{"requestId": id.Raw(), "reason": "the server is shutting down"})
		if err != nil {
			continue
		}
		out = append(out, &jsonrpc.Request{Method: methodCancelled, Params: params})
	}
	if len(out) > 0 {
		c.logger.Warn("stdio: grace period over; cancelling the calls in progress", "calls", len(out))
	}
	return out
}
