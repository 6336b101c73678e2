package pve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	testTokenID = "root@pam!mcp"
	testSecret  = "0b5d3f0e-7c1a-4c55-9f59-TOPSECRET"
)

// newTestClient starts handler behind a real HTTP server and returns a client
// for it; both are closed when the test ends.
func newTestClient(t *testing.T, handler http.HandlerFunc, mod ...func(*Options)) *Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	o := Options{
		BaseURL:        srv.URL,
		TokenID:        testTokenID,
		TokenSecret:    testSecret,
		RequestTimeout: 10 * time.Second,
		RetryBase:      time.Millisecond,
	}
	for _, f := range mod {
		f(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		c.CloseIdleConnections()
		srv.CloseClientConnections()
		srv.Close()
	})
	return c
}

func noRetries(o *Options) { o.MaxRetries = -1 }

// rawResponse writes a response with an arbitrary status line, as Proxmox
// does (the reason phrase carries the error), then closes the connection.
func rawResponse(t *testing.T, w http.ResponseWriter, statusLine, contentType, body string) {
	t.Helper()
	conn, buf := hijack(t, w)
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %s\r\n", statusLine)
	if contentType != "" {
		fmt.Fprintf(buf, "Content-Type: %s\r\n", contentType)
	}
	fmt.Fprintf(buf, "Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	// A client that already gave up (a cancelled wait) closes its end first.
	if err := buf.Flush(); err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("write raw response: %v", err)
	}
}

// resetConn closes the connection without answering.
func resetConn(t *testing.T, w http.ResponseWriter) {
	t.Helper()
	conn, _ := hijack(t, w)
	conn.Close()
}

func hijack(t *testing.T, w http.ResponseWriter) (interface{ Close() error }, *bufio.ReadWriter) {
	t.Helper()
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("response writer cannot hijack")
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		panic(http.ErrAbortHandler)
	}
	return conn, buf
}

func writeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	fmt.Fprint(w, body)
}

// httptestTLS serves {"data":null} over TLS with a self-signed certificate.
func httptestTLS(t *testing.T) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, `{"data":null}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	srv.StartTLS()
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

// funcHandler is a slog.Handler that hands every record to a function.
type funcHandler func(slog.Record)

func (h funcHandler) Enabled(context.Context, slog.Level) bool      { return true }
func (h funcHandler) Handle(_ context.Context, r slog.Record) error { h(r); return nil }
func (h funcHandler) WithAttrs([]slog.Attr) slog.Handler            { return h }
func (h funcHandler) WithGroup(string) slog.Handler                 { return h }
