package tools

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// pathSamples fill path templates with values their formats accept.
var pathSamples = map[string]string{
	"node": "pve1", "vmid": "100", "storage": "local", "snapname": "snap1", "volume": "local:iso/x.iso",
	"upid": testUPID, "userid": "u@pve", "tokenid": "t1", "groupid": "g1", "roleid": "r1", "realm": "pve",
	"poolid": "pool1", "iface": "vmbr1", "service": "pveproxy", "name": "n1", "pos": "0", "cidr": "10.0.0.0/24",
	"zone": "z1", "vnet": "v1", "subnet": "z1-10.0.0.0-24", "group": "g1", "rule": "r1", "sid": "vm:100",
	"id": "id1", "mapping": "m1", "osdid": "0", "monid": "m1", "mgrid": "m1", "fsname": "f1", "plugin": "p1",
	"type": "qemu", "section": "s1", "handle": "h1", "cephfs": "c1", "controller": "c1", "fabric": "f1",
	"node_id": "n1", "flag": "noout", "dns": "d1", "fabric_id": "f1", "ipam": "pve", "pci-id-or-mapping": "0000:01:00.0",
}

// paramSamples are values for required parameters whose format a plain
// word does not meet.
var paramSamples = map[string]string{
	"id": "id1", "fingerprint": "AB:" + strings.Repeat("CD:", 30) + "EF", "sid": "vm:100", "resources": "vm:100",
	"contact": "admin@example.com", "schedule": "daily", "ip": "10.0.0.5", "password": "secret-pass-1",
	"command": "/usr/bin/df", "file": "/etc/motd", "size": "+1G", "ostemplate": "local:vztmpl/debian.tar.zst",
	"config-keys": "global:osd_pool_default_size", "key": "pve1c-0123456789", "url": "https://8.8.8.8/x.iso",
	"reference": "docker.io/library/alpine:latest", "disk": "/dev/sdb", "privs": "VM.Console",
	"map": "node=pve1,id=8086:1533", "filename": "vm-100-disk-9", "server": "8.8.8.8", "portal": "8.8.8.8",
}

// endpointSamples are values one endpoint needs, by "path param".
var endpointSamples = map[string]string{
	"/nodes/{node}/storage/{storage}/content size": "1G", "/nodes/{node}/query-oci-repo-tags reference": "docker.io/library/alpine",
	"/cluster/mapping/pci map": "node=pve1,path=0000:01:00.0,id=8086:1533", "/cluster/mapping/dir map": "node=pve1,path=/srv/share",
	"/cluster/replication id": "100-0",
}

// sampleValue is a value a parameter's schema accepts, for the walk.
func sampleValue(ep *pveschema.Endpoint, p *pveschema.Param) any {
	if v, ok := endpointSamples[ep.Path+" "+p.Name]; ok {
		return v
	}
	if len(p.Enum) > 0 {
		return p.Enum[0]
	}
	if v, ok := paramSamples[p.Name]; ok {
		return v
	}
	switch {
	case p.Type == "boolean":
		return true
	case p.Type == "integer" || p.Type == "number":
		if p.Minimum != nil {
			return *p.Minimum
		}
		return 1
	}
	switch p.Format {
	case "pve-node":
		return "pve1"
	case "pve-vmid":
		return "100"
	case "pve-storage-id":
		return "local"
	case "pve-userid":
		return "u@pve"
	case "pve-vmid-list":
		return "100"
	}
	return "x1"
}

// TestAPIWalkEverySchemaEndpoint reaches every endpoint of the 9.1 schema
// through the three tools: each is described, found by its path, and
// called; a call either reaches Proxmox with the endpoint's method and
// path, or the guard refuses it by a rule it states.
func TestAPIWalkEverySchemaEndpoint(t *testing.T) {
	s, err := testSchemas.Load("9.1")
	if err != nil {
		t.Fatal(err)
	}
	e, _ := elicitEnvOpts(t, "accept", envOpts{selection: Selection{Toolsets: []string{"api"}}, hostAccess: true})
	reached, refused := 0, map[string]int{}
	for _, ep := range s.Endpoints() {
		var d apiDescribeOut
		decodeStructured(t, e, "pve_api_describe", map[string]any{"path": ep.Path, "method": ep.Method}, &d)
		if d.Path != ep.Path || d.Method != ep.Method || d.Privilege == "" {
			t.Errorf("describe %s %s: got %s %s %q", ep.Method, ep.Path, d.Method, d.Path, d.Privilege)
		}
		var found apiSearchOut
		decodeStructured(t, e, "pve_api_search", map[string]any{"query": ep.Path, "method": ep.Method}, &found)
		if len(found.Items) == 0 || found.Items[0].Path != ep.Path || found.Items[0].Method != ep.Method {
			t.Errorf("search %s %s: first hit %+v", ep.Method, ep.Path, found.Items)
		}
		path := ep.Path
		for _, name := range ep.PathParams() {
			v, ok := pathSamples[name]
			if name == "id" && strings.Contains(ep.Path, "/replication/") {
				v = "100-0"
			}
			if !ok {
				t.Fatalf("%s: no sample for {%s}", ep.Path, name)
			}
			path = strings.Replace(path, "{"+name+"}", pveEscape(v), 1)
		}
		params := map[string]any{}
		for _, n := range ep.ParamNames() {
			p := ep.Params[n]
			if !p.Optional && !strings.Contains(ep.Path, "{"+n+"}") && !p.Indexed {
				params[n] = sampleValue(ep, p)
			}
		}
		args := map[string]any{"method": ep.Method, "path": path}
		if len(params) > 0 {
			args["params"] = params
		}
		if ep.Method != "GET" {
			args["confirm"] = true
		}
		want, err := apiPath(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		before := len(e.fake.log())
		res, text := e.call(t, "pve_api_call", args)
		sent := false
		for _, r := range e.fake.log()[before:] {
			if strings.HasPrefix(r, ep.Method+" "+want+"?") {
				sent = true
			}
		}
		switch {
		case sent:
			reached++
		case res.IsError && strings.Contains(text, "refused"):
			refused[refusalKind(text)]++
			if testing.Verbose() {
				t.Logf("%s %s refused: %.300s", ep.Method, path, text)
			}
		default:
			t.Errorf("%s %s: neither sent nor refused by the guard: %s", ep.Method, path, text)
		}
	}
	t.Logf("%d endpoints: %d reached Proxmox, refused by the guard: %v", len(s.Endpoints()), reached, refused)
	// The only refusals are the rules for consoles, credentials, the batch
	// executor, sendkey and backup file downloads, which no value gets past.
	for k := range refused {
		if !slices.Contains([]string{"console", "credentials", "execute", "sendkey", "out of a backup"}, k) {
			t.Errorf("refused as %q: %d endpoints (run with -v for each)", k, refused[k])
		}
	}
}

func refusalKind(text string) string {
	for _, k := range []string{"console", "credentials", "execute", "sendkey", "out of a backup", "Proxmox would refuse it", "allowlist", "ALLOWLIST", "root"} {
		if strings.Contains(text, k) {
			return k
		}
	}
	return fmt.Sprintf("other: %.120s", text)
}

func pveEscape(v string) string { return strings.ReplaceAll(v, "/", "%2F") }
