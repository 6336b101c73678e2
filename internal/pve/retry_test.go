package pve

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Which requests are retried, how often, and what stops a retry.

func TestGetRetriedOnProxyFailure(t *testing.T) {
	var n atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			rawResponse(t, w, "596 Connection timed out", "", "")
			return
		}
		writeJSON(w, `{"data":"ok"}`)
	})
	var s string
	if err := c.Get(context.Background(), "/nodes/pve2/storage/cephfs/content", nil, &s); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 3 || s != "ok" {
		t.Errorf("requests %d data %q", n.Load(), s)
	}
}

func TestGetRetriedOnConnectionReset(t *testing.T) {
	var n atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			resetConn(t, w)
			return
		}
		writeJSON(w, `{"data":"ok"}`)
	})
	if err := c.Get(context.Background(), "/version", nil, nil); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 2 {
		t.Errorf("requests = %d, want 2", n.Load())
	}
}

func TestGetRetriesAreBounded(t *testing.T) {
	for _, tc := range []struct {
		retries, want int
	}{{-1, 1}, {2, 3}, {0, 4}} {
		var n atomic.Int32
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			rawResponse(t, w, "595 Connection refused", "", "")
		}, func(o *Options) { o.MaxRetries = tc.retries })
		err := c.Get(context.Background(), "/nodes/pve3/status", nil, nil)
		if !IsProxyFailure(err) {
			t.Errorf("MaxRetries %d: err = %v", tc.retries, err)
		}
		if int(n.Load()) != tc.want {
			t.Errorf("MaxRetries %d: %d requests, want %d", tc.retries, n.Load(), tc.want)
		}
	}
}

func TestGetNotRetriedOnOrdinaryErrors(t *testing.T) {
	for _, status := range []string{"500 VM 100 not running", "400 Parameter verification failed.", "403 Permission check failed (/, Sys.Audit)", "401 No ticket", "501 Method 'GET /x' not implemented"} {
		var n atomic.Int32
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			rawResponse(t, w, status, "", "")
		})
		if err := c.Get(context.Background(), "/x", nil, nil); err == nil {
			t.Errorf("%s: no error", status)
		}
		if n.Load() != 1 {
			t.Errorf("%s: %d requests, want 1", status, n.Load())
		}
	}
}

func TestWritesNeverRetried(t *testing.T) {
	faults := map[string]func(*testing.T, http.ResponseWriter){
		"596": func(t *testing.T, w http.ResponseWriter) { rawResponse(t, w, "596 Broken pipe", "", "") },
		"595": func(t *testing.T, w http.ResponseWriter) { rawResponse(t, w, "595 Connection refused", "", "") },
		"502": func(t *testing.T, w http.ResponseWriter) {
			rawResponse(t, w, "502 Bad Gateway", "text/html", "<html>bad gateway</html>")
		},
		"reset": resetConn,
	}
	for name, fault := range faults {
		var n atomic.Int32
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			fault(t, w)
		})
		ctx := context.Background()
		for method, call := range map[string]func() error{
			"POST":   func() error { return c.Post(ctx, "/nodes/pve1/qemu/100/clone", url.Values{"newid": {"101"}}, nil) },
			"PUT":    func() error { return c.Put(ctx, "/nodes/pve1/qemu/100/config", url.Values{"memory": {"2048"}}, nil) },
			"DELETE": func() error { return c.Delete(ctx, "/nodes/pve1/qemu/100", nil, nil) },
		} {
			n.Store(0)
			if err := call(); err == nil {
				t.Errorf("%s %s: no error", name, method)
			}
			if n.Load() != 1 {
				t.Errorf("%s %s: server saw %d requests, want exactly 1", name, method, n.Load())
			}
		}
	}
}

func TestRetryWaitStopsOnCancel(t *testing.T) {
	var n atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancel exactly when the client announces its (hour-long) retry wait.
	onRetry := slog.New(funcHandler(func(r slog.Record) {
		if strings.Contains(r.Message, "retrying") {
			cancel()
		}
	}))
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		rawResponse(t, w, "596 Connection timed out", "", "")
	}, func(o *Options) { o.RetryBase = time.Hour; o.Logger = onRetry })
	start := time.Now()
	err := c.Get(ctx, "/x", nil, nil)
	if !errors.Is(err, context.Canceled) || !IsProxyFailure(err) {
		t.Errorf("err = %v", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if n.Load() != 1 {
		t.Errorf("requests = %d", n.Load())
	}
}

func TestCanceledContextNotRetried(t *testing.T) {
	var n atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1); writeJSON(w, `{"data":1}`) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := c.Get(ctx, "/x", nil, nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if n.Load() != 0 {
		t.Errorf("requests = %d", n.Load())
	}
}

func TestPerRequestTimeout(t *testing.T) {
	var n atomic.Int32
	release := make(chan struct{})
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}, func(o *Options) { o.RequestTimeout = 50 * time.Millisecond })
	defer close(release)
	err := c.Get(context.Background(), "/nodes/pve1/storage/nfs/content", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
	if n.Load() != 1 {
		t.Errorf("a timed-out GET is not repeated: %d requests", n.Load())
	}
}

func TestBackoff(t *testing.T) {
	base := 250 * time.Millisecond
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	for n, w := range want {
		if got := backoff(base, n); got != w {
			t.Errorf("backoff(%d) = %v, want %v", n, got, w)
		}
	}
	for _, n := range []int{40, 63, 64, 1000} {
		if got := backoff(time.Hour, n); got != 5*time.Second {
			t.Errorf("backoff(1h, %d) = %v", n, got)
		}
	}
}

func TestCertificateErrorNotRetried(t *testing.T) {
	var n atomic.Int32
	srv := httptestTLS(t)
	// Count handshakes through a client that verifies (and so fails every time).
	c, err := New(Options{BaseURL: srv, TokenID: testTokenID, TokenSecret: testSecret, RetryBase: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	tr := c.hc.Transport.(*http.Transport)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		n.Add(1)
		return dial(ctx, network, addr)
	}
	if err := c.Get(context.Background(), "/version", nil, nil); err == nil {
		t.Fatal("no error")
	}
	if n.Load() != 1 {
		t.Errorf("%d connections, want 1 (no retry on a certificate error)", n.Load())
	}
}
