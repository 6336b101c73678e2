package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// simRaw sends one request to the simulator's own API (not through the
// server) as its default token, so a test sees what Proxmox holds after a
// tool call: params in the query for GET, as a form otherwise.
func (c *cluster) simRaw(t *testing.T, method, path string, params url.Values) (status int, data json.RawMessage, message string) {
	t.Helper()
	u := c.url + "/api2/json" + path
	var body io.Reader
	if method == "GET" && len(params) > 0 {
		u += "?" + params.Encode()
	} else if method != "GET" {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	id, secret := c.sim.DefaultToken()
	req.Header.Set("Authorization", "PVEAPIToken="+id+"="+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var env struct {
		Data    json.RawMessage `json:"data"`
		Message string          `json:"message"`
	}
	_ = json.Unmarshal(raw, &env)
	return res.StatusCode, env.Data, env.Message
}

// api reads the simulator's API directly.
func (c *cluster) api(t *testing.T, path string, q url.Values) (status int, data any, message string) {
	t.Helper()
	return c.apiDo(t, "GET", path, q)
}

// apiDo is simRaw with the data decoded as any JSON value.
func (c *cluster) apiDo(t *testing.T, method, path string, params url.Values) (status int, data any, message string) {
	t.Helper()
	status, raw, message := c.simRaw(t, method, path, params)
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &data)
	}
	return status, data, message
}

// simGet decodes the simulator's answer to GET path (query q) into out; any
// other status than 200 fails the test.
func (c *cluster) simGet(t *testing.T, path string, q url.Values, out any) {
	t.Helper()
	status, raw, msg := c.simRaw(t, "GET", path, q)
	if status != 200 {
		t.Fatalf("GET %s: %d %s", path, status, msg)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, raw)
	}
}

// simPut changes the simulator's state directly; any other status than 200
// fails the test.
func (c *cluster) simPut(t *testing.T, path string, form url.Values) {
	t.Helper()
	if status, _, msg := c.simRaw(t, "PUT", path, form); status != 200 {
		t.Fatalf("PUT %s: %d %s", path, status, msg)
	}
}
