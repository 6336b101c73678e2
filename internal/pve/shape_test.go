package pve

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// envelopeProbe reads the whole answer, as tools' network listing does.
type envelopeProbe struct {
	Data    []json.RawMessage `json:"data"`
	Changes string            `json:"changes"`
}

func (e *envelopeProbe) ReadEnvelope(raw []byte) error {
	type plain envelopeProbe
	return json.Unmarshal(raw, (*plain)(e))
}

// A read is decoded only when the answer's data has the shape of the
// destination; otherwise the error names the request and what came back.
func TestDecodeChecksShape(t *testing.T) {
	type item struct {
		VMID Int `json:"vmid"`
	}
	list := func() any { return &[]item{} }
	rawList := func() any { return &[]json.RawMessage{} }
	object := func() any { return &item{} }
	mapOf := func() any { return &map[string]any{} }
	obj := func() any { return new(Object) }
	cases := []struct {
		body string
		out  func() any
		want string // "" = decoded
	}{
		{`{"data":null}`, list, "GET /nodes/pve1/qemu answered null where a list was expected"},
		{`{}`, rawList, "answered no data where a list was expected"},
		{`{"data":"str"}`, list, `answered a string "str" where a list was expected`},
		{`{"data":{"vmid":100}}`, rawList, `answered an object {"vmid":100} where a list was expected`},
		{`{"data":[{"vmid":100},null]}`, list, "answered null as item 1 where a list of objects was expected"},
		{`{"data":[{"vmid":100},"101"]}`, list, `answered a string "101" as item 1 where a list of objects`},
		{`{"data":[]}`, list, ""},
		{`{"data":[{"vmid":"100"}]}`, list, ""},
		{`{"data":[1,null,"x"]}`, rawList, ""}, // raw items decide for themselves
		{`{"data":null}`, object, "answered null where an object was expected"},
		{`{"data":[]}`, object, "answered a list [] where an object was expected"},
		{`{"data":"str"}`, mapOf, `answered a string "str" where an object was expected`},
		{`{"data":true}`, obj, "answered a boolean true where an object was expected"},
		{`{"data":{}}`, obj, ""},
		{`{"data":{"vmid":100}}`, mapOf, ""},
		{`{"data":null}`, func() any { return &envelopeProbe{} }, "answered null where a list was expected"},
		{`{"data":[{"iface":"vmbr0"}],"changes":"+auto vmbr1"}`, func() any { return &envelopeProbe{} }, ""},
		{`{"data":null}`, func() any { return new(json.RawMessage) }, ""}, // writes answer null
		{`{"data":"UPID:pve1:x"}`, func() any { return new(string) }, ""},
		{`{"data":null}`, func() any { return nil }, ""},
	}
	for _, tc := range cases {
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tc.body) }, noRetries)
		out := tc.out()
		err := c.Get(context.Background(), "/nodes/pve1/qemu", nil, out)
		var se *ShapeError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s into %T: %v", tc.body, out, err)
		case tc.want != "" && (!errors.As(err, &se) || !IsShape(err) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s into %T: err = %v, want a ShapeError with %q", tc.body, out, err, tc.want)
		case tc.want != "" && (se.Method != "GET" || se.Path != "/nodes/pve1/qemu" || IsUnknownOutcome(err)):
			t.Errorf("%s: %+v", tc.body, se)
		}
	}
	// The envelope reader got the keys beside data.
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, `{"data":[{"iface":"vmbr0"}],"changes":"+auto vmbr1"}`)
	})
	var env envelopeProbe
	if err := c.Get(context.Background(), "/nodes/pve1/network", nil, &env); err != nil || len(env.Data) != 1 || env.Changes != "+auto vmbr1" {
		t.Errorf("envelope: %+v, %v", env, err)
	}
}

// What a ShapeError quotes is bounded and free of credentials; after a
// write it also says the write was accepted and may have run.
func TestShapeErrorBoundedScrubbedAndAfterWrites(t *testing.T) {
	long := `{"data":"` + testSecret + strings.Repeat("x", 5000) + `"}`
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, long) }, noRetries)
	var out []json.RawMessage
	err := c.Get(context.Background(), "/cluster/resources", nil, &out)
	if !IsShape(err) || len(err.Error()) > 400 || strings.Contains(err.Error(), testSecret) || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("len %d: %v", len(err.Error()), err)
	}
	var item struct{ ID string }
	err = c.Post(context.Background(), "/nodes/pve1/qemu", nil, &item)
	var ue *UnknownOutcomeError
	if !IsShape(err) || !errors.As(err, &ue) || !ue.Accepted || !strings.Contains(err.Error(), "Proxmox accepted the POST, so it may have been carried out") {
		t.Errorf("POST: %v", err)
	}
}
