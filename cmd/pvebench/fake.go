package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
)

// fake is a fixed-response Proxmox VE on loopback: its payloads are built
// once, so the bench measures the server, not the fake.
type fake struct {
	srv       *httptest.Server
	version   []byte
	nodes     []byte
	resources []byte
	status    []byte
	requests  atomic.Int64
	unknown   atomic.Int64
	taskSrv   *taskServer // tasks.go
}

const fakeNodes = 4

// newFake starts the fake with guests qemu and lxc guests spread over four nodes.
func newFake(guests int) (*fake, error) {
	f := &fake{taskSrv: newTaskServer()}
	var err error
	if f.version, err = envelope(map[string]any{"version": "9.1.3", "release": "9.1", "repoid": "e5010dc5"}); err != nil {
		return nil, err
	}
	var nodes []map[string]any
	for i := range fakeNodes {
		nodes = append(nodes, nodeRow(i))
	}
	if f.nodes, err = envelope(nodes); err != nil {
		return nil, err
	}
	if f.resources, err = envelope(resourceRows(guests)); err != nil {
		return nil, err
	}
	if f.status, err = envelope(map[string]any{"status": "running", "qmpstatus": "running", "vmid": 100, "name": "vm100",
		"cpus": 2, "maxmem": 4294967296, "mem": 1073741824, "maxdisk": 34359738368, "disk": 0, "uptime": 8825,
		"cpu": 0.02, "netin": 82601058, "netout": 1060469, "diskread": 1455539712, "diskwrite": 1072448512,
		"ha": map[string]any{"managed": 0}, "running-qemu": "9.2.0", "running-machine": "pc-i440fx-9.2+pve1"}); err != nil {
		return nil, err
	}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	return f, nil
}

func (f *fake) URL() string { return f.srv.URL }
func (f *fake) Close()      { f.srv.Close() }

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	path := strings.TrimPrefix(r.URL.Path, "/api2/json")
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case path == "/version":
		w.Write(f.version)
	case path == "/nodes":
		w.Write(f.nodes)
	case path == "/cluster/resources":
		w.Write(f.resources)
	case len(parts) == 6 && parts[0] == "nodes" && (parts[2] == "qemu" || parts[2] == "lxc") && parts[4] == "status" && parts[5] == "current":
		w.Write(f.status)
	case f.taskSrv.serve(w, r, parts):
	default:
		f.unknown.Add(1)
		w.WriteHeader(http.StatusNotImplemented)
		fmt.Fprintf(w, `{"data":null,"message":"not in the bench fake: %s %s\n"}`, r.Method, path)
	}
}

func envelope(v any) ([]byte, error) {
	b, err := json.Marshal(map[string]any{"data": v})
	if err != nil {
		return nil, fmt.Errorf("fake payload: %w", err)
	}
	return b, nil
}

func nodeName(i int) string { return fmt.Sprintf("pve%d", i+1) }

func nodeRow(i int) map[string]any {
	return map[string]any{"node": nodeName(i), "status": "online", "type": "node", "id": "node/" + nodeName(i),
		"cpu": 0.0054917623564653, "maxcpu": 32, "mem": 68719476736, "maxmem": 274877906944, "disk": 2983723008,
		"maxdisk": 482713534464, "uptime": 872961, "level": "", "ssl_fingerprint": "AA:BB"}
}

// resourceRows is /cluster/resources: the nodes, one storage each, and the
// guests (every fifth an lxc, every seventh stopped, every fiftieth a template),
// with the field set of a PVE 9 answer (pve-payloads.md section 5).
func resourceRows(guests int) []map[string]any {
	rows := make([]map[string]any, 0, guests+2*fakeNodes)
	for i := range fakeNodes {
		rows = append(rows, nodeRow(i), map[string]any{"shared": 0, "type": "storage", "status": "available",
			"plugintype": "zfspool", "id": "storage/" + nodeName(i) + "/local-zfs", "storage": "local-zfs",
			"node": nodeName(i), "disk": 98304, "content": "images,rootdir", "maxdisk": 479730032640})
	}
	for g := range guests {
		vmid := 100 + g
		kind := "qemu"
		if g%5 == 4 {
			kind = "lxc"
		}
		row := map[string]any{"id": fmt.Sprintf("%s/%d", kind, vmid), "type": kind, "vmid": vmid,
			"name": fmt.Sprintf("guest-%05d", vmid), "node": nodeName(g % fakeNodes), "status": "running",
			"template": 0, "tags": "bench;web", "maxcpu": 2 + g%7, "maxmem": int64(1+g%16) << 30,
			"maxdisk": int64(8+g%64) << 30, "mem": int64(1+g%16) << 29, "memhost": int64(1+g%16) << 29,
			"cpu": 0.0202062065371041, "disk": 0, "uptime": 8825 + g, "netin": 82601058, "netout": 1060469,
			"diskread": 1455539712, "diskwrite": 1072448512}
		if g%7 == 6 || g%50 == 49 {
			for _, k := range []string{"mem", "memhost", "cpu", "uptime", "netin", "netout", "diskread", "diskwrite"} {
				row[k] = 0
			}
			row["status"] = "stopped"
		}
		if g%50 == 49 {
			row["template"] = 1
		}
		if kind == "lxc" {
			delete(row, "memhost")
		}
		rows = append(rows, row)
	}
	return rows
}
