package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// What a generic write does, in the words the user is asked in. DELETEs and
// the calls known to lose data or interrupt work say so.

// destructiveEnds are path ends of POSTs and PUTs that lose data or
// interrupt work, with what they do.
var destructiveEnds = map[string]string{
	"/status/stop":                  "forces the guest off at once; unsaved work is lost (destructive)",
	"/status/reset":                 "resets the guest like its reset button; unsaved work is lost (destructive)",
	"/status/shutdown":              "shuts the guest down; its services stop",
	"/status/reboot":                "reboots the guest; its services are interrupted",
	"/status/suspend":               "suspends the guest; its services pause",
	"/snapshot/{snapname}/rollback": "rolls the guest back to the snapshot; every change since is lost (destructive)",
	"/resize":                       "grows a disk; it cannot be shrunk back",
	"/template":                     "turns the guest into a template, for good (destructive)",
	"/unlink":                       "detaches disks and may delete them (destructive)",
	"/move_disk":                    "moves a disk; with delete the source is removed",
	"/move_volume":                  "moves a volume; with delete the source is removed",
	"/migrate":                      "moves the guest to another node",
}

func writeEffect(e *pveschema.Endpoint, method, path string, form url.Values) string {
	if method == http.MethodDelete {
		what := "deletes " + path
		if strings.Contains(e.Path, "/snapshot/") || strings.HasSuffix(e.Path, "/{vmid}") || strings.Contains(e.Path, "/content/") {
			what += " and its data"
		}
		return what + "; it cannot be undone (destructive)"
	}
	for end, what := range destructiveEnds {
		if strings.HasSuffix(e.Path, end) {
			return what
		}
	}
	if e.Path == "/nodes/{node}/status" {
		return form.Get("command") + "s the node; every guest on it stops or moves (destructive)"
	}
	if del := form.Get("delete"); del != "" {
		return "changes settings and removes " + del + " (destructive)"
	}
	if method == http.MethodPost {
		return "creates or starts something: " + summary(e.Description, 100)
	}
	return "changes settings: " + summary(e.Description, 100)
}

// paramsText lists the parameters for the question, secrets hidden.
func paramsText(form url.Values) string {
	if len(form) == 0 {
		return ""
	}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := strings.Join(form[k], ",")
		if secretParam(k) {
			v = "(hidden)"
		}
		parts = append(parts, k+"="+v) // in full: a cut value could hide what is sent
	}
	return " with " + strings.Join(parts, " ")
}

// secretParam: values never repeated in a question or an answer.
func secretParam(k string) bool {
	switch strings.ToLower(k) {
	case "password", "cipassword", "secret", "keyring", "encryption-key", "ticket", "csrfpreventiontoken", "token", "private-key",
		"client-key", "header", "headers", "tsig-key", "api-key", "apikey", "passphrase":
		return true
	}
	k = strings.ToLower(k)
	return strings.HasSuffix(k, "-password") || strings.HasSuffix(k, "_password")
}

// secretWords are quick signs that an answer may hold a secret; most hold none.
var secretWords = [][]byte{[]byte("password"), []byte("ticket"), []byte("CSRFPrevention"), []byte("secret"), []byte("keyring"),
	[]byte("encryption-key"), []byte(`"token"`), []byte(`"value"`), []byte("PRIVATE KEY"), []byte(`"data"`),
	[]byte("-key"), []byte("header"), []byte("passphrase"), []byte(`"key"`)}

// hideSecrets replaces secret values in an answer with "(hidden)": API
// token secrets (token create), tickets, ACME plugin credentials, keys.
func hideSecrets(e *pveschema.Endpoint, raw json.RawMessage) json.RawMessage {
	if strings.HasSuffix(e.Path, "/cloudinit/dump") {
		// user-data holds the password hash, Windows' meta-data the password
		var text string
		if json.Unmarshal(raw, &text) == nil {
			masked, _ := json.Marshal(maskSecrets(text))
			return masked
		}
	}
	found := false
	for _, w := range secretWords {
		if bytes.Contains(raw, w) {
			found = true
			break
		}
	}
	if !found {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return raw
	}
	acme := strings.HasPrefix(e.Path, "/cluster/acme/plugins")
	token := e.Path == "/access/users/{userid}/token/{tokenid}" // a new token's secret is its value
	subscription := strings.HasSuffix(e.Path, "/subscription")  // the key is what was bought
	changed := false
	hide := func() any { changed = true; return "(hidden)" }
	var walk func(x any) any
	walk = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			// config lists as {"key":"cipassword","value":...,"pending":...}
			if name, ok := x["key"].(string); ok && secretParam(name) {
				for _, k := range []string{"value", "pending", "old", "new"} {
					if _, ok := x[k]; ok {
						x[k] = hide()
					}
				}
			}
			for k, val := range x {
				s, isStr := val.(string)
				switch {
				case val == nil || (isStr && s == ""):
				case secretParam(k) || (acme && k == "data") || (token && k == "value") || (subscription && k == "key"):
					x[k] = hide() // whatever its type: webhook secrets are lists
				case isStr && strings.Contains(s, "PRIVATE KEY"):
					x[k] = hide()
				default:
					x[k] = walk(val)
				}
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		}
		return x
	}
	v = walk(v)
	if !changed {
		return raw
	}
	out, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(fmt.Sprintf("%q", "(answer hidden: it held secrets)"))
	}
	return out
}
