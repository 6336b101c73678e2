package pve

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestListReleaseRecycles reads lists of several sizes, with and without
// a Content-Length, each into the buffer the one before released: every
// list reads as sent, never with bytes of an earlier one.
func TestListReleaseRecycles(t *testing.T) {
	body := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"data":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"vmid":%d,"name":"guest-%d-%s"}`, 100+i, n, strings.Repeat("x", i%50))
		}
		b.WriteString(`]}`)
		return b.String()
	}
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		raw := body(len(r.URL.Query().Get("n")) * 1000)
		if r.URL.Query().Get("len") != "" {
			w.Header().Set("Content-Length", fmt.Sprint(len(raw)))
		}
		w.Write([]byte(raw)) // without a length: chunked
	})
	for _, n := range []string{"nnn", "n", "nnnnn", "nn", "nnnnnn", "n"} {
		for _, withLen := range []string{"", "1"} {
			l := List{Want: []string{"vmid"}}
			if err := c.Get(context.Background(), "/cluster/resources", map[string][]string{"n": {n}, "len": {withLen}}, &l); err != nil {
				t.Fatal(err)
			}
			count := len(n) * 1000
			if len(l.Items) != count || string(l.Value(count-1, 0)) != fmt.Sprint(99+count) ||
				!strings.HasPrefix(string(l.Items[count-1]), fmt.Sprintf(`{"vmid":%d,"name":"guest-%d-`, 99+count, count)) {
				t.Fatalf("n %d (length %q): %d items, last %s", count, withLen, len(l.Items), l.Items[len(l.Items)-1])
			}
			l.Release()
			if l.Items != nil {
				t.Fatal("released list keeps its items")
			}
		}
	}
}

// TestBodyLimit refuses an answer larger than maxBodyBytes, announced or
// chunked, into a List's recycled buffer or not.
func TestBodyLimit(t *testing.T) {
	big := `{"data":"` + strings.Repeat("x", maxBodyBytes) + `"}`
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("len") != "" {
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		}
		w.Write([]byte(big))
	}, noRetries)
	for _, withLen := range []string{"", "1"} {
		for _, out := range []any{&List{}, new(string)} {
			err := c.Get(context.Background(), "/x", map[string][]string{"len": {withLen}}, out)
			if err == nil || !strings.Contains(err.Error(), "larger than") {
				t.Errorf("length %q, %T: %v", withLen, out, err)
			}
		}
	}
}
