package pvesim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

func writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	switch {
	case e.empty:
		writeRaw(w, r, e.status, e.reason(), "", nil)
	case e.rawBody != "":
		writeRaw(w, r, e.status, e.reason(), "text/plain", []byte(e.rawBody))
	default:
		body := map[string]any{"data": nil, "message": e.msg}
		if len(e.errs) > 0 {
			body["errors"] = e.errs
		}
		buf, _ := json.Marshal(body)
		writeRaw(w, r, e.status, e.reason(), "application/json;charset=UTF-8", buf)
	}
}

// writeRaw sends a response with a custom reason phrase. net/http always uses
// the standard phrase, so when the phrase differs the connection is hijacked
// and the response written by hand (then closed: a real node closes after
// any status >= 400 too). Without a hijackable connection (HTTP/2,
// recorders) the standard phrase is used and the real one is put in a header.
func writeRaw(w http.ResponseWriter, r *http.Request, status int, reason, ctype string, body []byte) {
	h := w.Header()
	h.Set("Server", "pve-api-daemon/3.0")
	h.Set("Cache-Control", "max-age=0")
	h.Set("Pragma", "no-cache")
	h.Set("Expires", time.Now().UTC().Format(http.TimeFormat))
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if status >= 400 {
		h.Set("Connection", "close")
	}
	if reason == http.StatusText(status) || reason == "" {
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok || r.ProtoMajor != 1 {
		h.Set("X-Pve-Reason", sanitizeReason(reason))
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		w.WriteHeader(status)
		_, _ = w.Write(body)
		return
	}
	defer conn.Close()
	h.Set("Connection", "close")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	writeHijacked(rw.Writer, status, sanitizeReason(reason), h, body)
}

func writeHijacked(bw *bufio.Writer, status int, reason string, h http.Header, body []byte) {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", status, reason)
	_ = h.Write(bw)
	bw.WriteString("\r\n")
	bw.Write(body)
	_ = bw.Flush()
}

// sanitizeReason keeps a reason phrase on one line of printable bytes.
func sanitizeReason(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c == 0x7f {
			b[i] = ' '
		}
	}
	return string(b)
}
