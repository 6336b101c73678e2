// Package stdio serves MCP over stdin and stdout (newline-delimited JSON-RPC)
// with the official SDK, but reads and checks the lines itself: the SDK's own
// stdio transport ends the session on the first line it cannot decode.
//
// Every line gets an answer or a deliberate silence: a line that is not JSON
// gets a -32700 error reply, a message that is not valid JSON-RPC 2.0 (or a
// batch, or a line over MaxLineBytes) a -32600 one, with the id when it can
// be read. Valid messages go to the SDK unchanged. The answer to a call the
// client cancelled is not written. On a stop (SIGTERM) or the end of stdin,
// new calls are refused, calls in progress get ShutdownGrace to finish and
// are then cancelled, and their answers are written before Serve returns.
package stdio

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	// MaxLineBytes is the longest message accepted on stdin, without its line
	// ending. A longer line is refused and skipped up to its newline.
	MaxLineBytes = 4 << 20
	// ShutdownGrace is how long calls in progress may run on after a stop,
	// the same as over HTTP.
	ShutdownGrace = 10 * time.Second
	// answerWait is how long cancelled calls get to write their answer.
	answerWait = 5 * time.Second
	// exitWait bounds waiting for the SDK to wind down after the last read;
	// a handler that ignores its cancellation must not keep the process.
	exitWait = 2 * time.Second
)

// Transport is one stdio connection: In and Out, and how it shuts down.
// Serve runs a server over it.
type Transport struct {
	In     io.Reader
	Out    io.Writer
	Logger *slog.Logger    // nil: no logs
	Stop   <-chan struct{} // closed to shut down gracefully; nil: only the end of In does
	Grace  time.Duration   // 0: ShutdownGrace
}

// connected hands an existing conn to the SDK.
type connected struct{ c *conn }

func (t connected) Connect(context.Context) (mcp.Connection, error) { return t.c, nil }

// Serve runs s over t until In ends or ctx is done, then shuts down
// gracefully (ctx replaces t.Stop). It returns nil on a clean end.
func Serve(ctx context.Context, s *mcp.Server, t *Transport) error {
	tt := *t
	tt.Stop = ctx.Done()
	c := newConn(&tt, MaxLineBytes)
	done := make(chan error, 1)
	// The SDK closes the session as soon as Run's context ends, and writes
	// nothing after that; the stop reaches the conn instead.
	go func() { done <- s.Run(context.WithoutCancel(ctx), connected{c}) }()
	select {
	case err := <-done:
		return clean(err)
	case <-c.ended:
	}
	select {
	case err := <-done:
		return clean(err)
	case <-time.After(exitWait):
		c.logger.Warn("stdio: a call did not end after its cancellation; exiting anyway")
		return nil
	}
}

func clean(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
