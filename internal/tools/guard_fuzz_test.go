package tools

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Run one with: go test -run=^$ -fuzz=FuzzGuardNode -fuzztime=60s ./internal/tools
// The corpora under testdata/fuzz are replayed by plain go test.

// FuzzGuardNode: an accepted node name is a plain path segment (nothing to
// escape, no dots) and the allowlist admits only its members.
func FuzzGuardNode(f *testing.F) {
	for _, s := range []string{"pve1", "pve-2", "-pve", "pve/../x", "pve1?x", "a.b", "", strings.Repeat("a", 64), "PVE", "ü"} {
		f.Add(s)
	}
	open, listed := guard.NewAllowlist(nil, nil), guard.NewAllowlist([]string{"pve1", "pve-2"}, nil)
	f.Fuzz(func(t *testing.T, s string) {
		err := open.Node("node", s)
		if err != nil {
			if listed.Node("node", s) == nil {
				t.Fatalf("%q refused without and accepted with an allowlist", s)
			}
			return
		}
		if len(s) == 0 || len(s) > 63 || strings.ContainsAny(s, "./?#%\\ ") {
			t.Fatalf("%q accepted", s)
		}
		if p := pve.Path("nodes", s, "qemu"); p != "/nodes/"+s+"/qemu" {
			t.Fatalf("%q needs escaping: %q", s, p)
		}
		if err := listed.Node("node", s); (err == nil) != (s == "pve1" || s == "pve-2") {
			t.Fatalf("allowlist on %q: %v", s, err)
		}
	})
}

// FuzzGuardVMID: exactly 100..999999999 pass, and the allowlist admits only its members.
func FuzzGuardVMID(f *testing.F) {
	for _, n := range []int{100, 99, 999999999, 1000000000, -1, 0, 101, 1 << 40} {
		f.Add(n)
	}
	open, listed := guard.NewAllowlist(nil, nil), guard.NewAllowlist(nil, []int{100, 101})
	f.Fuzz(func(t *testing.T, n int) {
		inRange := n >= 100 && n <= 999999999
		if err := open.VMID("vmid", n); (err == nil) != inRange {
			t.Fatalf("VMID %d: %v", n, err)
		}
		if err := listed.VMID("vmid", n); (err == nil) != (n == 100 || n == 101) {
			t.Fatalf("allowlisted VMID %d: %v", n, err)
		}
	})
}

// fieldPattern reads a field's pattern tag, so the fuzz targets check the
// patterns the tools really advertise.
func fieldPattern(t reflect.Type, field string) *regexp.Regexp {
	f, ok := t.FieldByName(field)
	if !ok {
		panic("no field " + field)
	}
	if p, ok := f.Tag.Lookup("pattern"); ok {
		return regexp.MustCompile(p)
	}
	ts, ok := typeSchemas()[f.Type] // a named type carries its pattern
	if !ok || ts.Pattern == "" {
		panic("no pattern for field " + field)
	}
	return regexp.MustCompile(ts.Pattern)
}

func fieldEnum(t reflect.Type, field string) []string {
	f, _ := t.FieldByName(field)
	return strings.Split(f.Tag.Get("enum"), ",")
}

func schemaParam(t testing.TB, s *pveschema.Schema, template, name string) *pveschema.Param {
	ep, ok := s.Endpoint("POST", template)
	if !ok {
		t.Fatalf("no POST %s", template)
	}
	p, ok := ep.Param(name)
	if !ok {
		t.Fatalf("no %s in POST %s", name, template)
	}
	return p
}

// checkProps parses a property string the way Proxmox does and compares
// its keys and values with the intended ones.
func checkProps(t *testing.T, p *pveschema.Param, value string, want map[string]string) {
	t.Helper()
	got, err := pveschema.ParsePropertyString(p, value)
	if err != nil {
		t.Fatalf("%s=%q does not parse: %v", p.Name, value, err)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("%s=%q parses to %v, want %v", p.Name, value, got, want)
	}
}

// FuzzNetProps: any bridge, model, VLAN, interface name, IP and gateway the
// input schema accepts yield net0 strings with exactly the intended keys.
func FuzzNetProps(f *testing.F) {
	f.Add("vmbr0", "virtio", 0, "eth0", "dhcp", "")
	f.Add("", "", 4094, "", "10.0.0.5/24", "10.0.0.1")
	f.Add("vmbr1,tag=5", "e1000,firewall=1", 5, "eth0,ip=x", "manual", "1.2.3.4,mtu=1")
	f.Add("br.x-y_z", "vmxnet3", 1, "e.1-2_3", "255.255.255.255/32", "0.0.0.0")
	schema, err := pveschema.Load("9.1")
	if err != nil {
		f.Fatal(err)
	}
	qemuNet := schemaParam(f, schema, "/nodes/{node}/qemu", "net0")
	lxcNet := schemaParam(f, schema, "/nodes/{node}/lxc", "net0")
	vmT, ctT := reflect.TypeFor[vmNetArgs](), reflect.TypeFor[ctNetArgs]()
	vmBridge, models := fieldPattern(vmT, "Bridge"), fieldEnum(vmT, "Model")
	ctBridge, ctName, ctIP, ctGW := fieldPattern(ctT, "Bridge"), fieldPattern(ctT, "Name"), fieldPattern(ctT, "IP"), fieldPattern(ctT, "Gateway")
	ok := func(re *regexp.Regexp, s string) bool { return s == "" || re.MatchString(s) }

	f.Fuzz(func(t *testing.T, bridge, model string, vlan int, name, ip, gw string) {
		if ok(vmBridge, bridge) && (model == "" || slices.Contains(models, model)) && vlan >= 0 && vlan <= 4094 {
			want := map[string]string{"model": cmpOr(model, "virtio"), "bridge": cmpOr(bridge, "vmbr0")}
			if vlan > 0 {
				want["tag"] = strconv.Itoa(vlan)
			}
			checkProps(t, qemuNet, vmNet(vmNetArgs{Bridge: BridgeName(bridge), Model: model, VLAN: vlan}), want)
		}
		if ok(ctBridge, bridge) && ok(ctName, name) && ok(ctIP, ip) && ok(ctGW, gw) {
			want := map[string]string{"name": cmpOr(name, "eth0"), "bridge": cmpOr(bridge, "vmbr0"), "ip": cmpOr(ip, "dhcp")}
			if gw != "" {
				want["gw"] = gw
			}
			checkProps(t, lxcNet, ctNet(ctNetArgs{Bridge: BridgeName(bridge), Name: IfaceName(name), IP: CTIPConfig(ip), Gateway: IPv4(gw)}), want)
		}
	})
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// capture is an http.RoundTripper that records write forms and answers
// every write with a UPID, without a network.
type capture struct {
	mu    sync.Mutex
	forms []url.Values
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	body := `{"data":"UPID:pve1:0000ABCD:00112233:65A0B0C0:qmcreate:100:root@pam!mcp:"}`
	if r.Body != nil {
		raw, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.forms = append(c.forms, form)
		c.mu.Unlock()
	}
	if r.Method == http.MethodGet {
		body = `{"data":null}`
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

func (c *capture) take() []url.Values {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.forms
	c.forms = nil
	return out
}

// FuzzCreateForms drives pve_vm_create and pve_lxc_create with fuzzed disk,
// ISO and network arguments: whatever the input schema lets through must
// become a request Proxmox accepts, with disk, CD and NIC property strings
// holding exactly the intended keys.
func FuzzCreateForms(f *testing.F) {
	f.Add("local-lvm", 32, "scsi", "local", "debian-12.iso", "vmbr0", "virtio", 10, "eth0", "10.0.0.5/24", "10.0.0.1")
	f.Add("a1", 1, "virtio", "b.c", "x.img", "", "", 0, "", "", "")
	f.Add("local,size=1", 131072, "ide", "local:iso", "a,media=disk.iso", "vmbr0,tag=1", "e1000", 4094, "eth0,x=1", "dhcp", "1.1.1.1")
	f.Add("L_-.9", 7, "sata", "nfs-iso", "Win~11+x.ISO", "br.1", "rtl8139", 1, "n", "manual", "")
	schema, err := pveschema.Load("9.1")
	if err != nil {
		f.Fatal(err)
	}
	qemuEP, _ := schema.Endpoint("POST", "/nodes/{node}/qemu")
	lxcEP, _ := schema.Endpoint("POST", "/nodes/{node}/lxc")
	rt := &capture{}
	client, err := pve.New(pve.Options{BaseURL: "https://pve.example:8006", TokenID: "root@pam!mcp", TokenSecret: "s3cr3t",
		HTTPClient: &http.Client{Transport: rt}, MaxRetries: -1})
	if err != nil {
		f.Fatal(err)
	}
	deps := &Deps{Guard: guard.New(client, guard.Options{Release: "9.1", Schemas: testSchemas})}
	tools := map[string]Tool{}
	for _, tl := range Inventory(deps) {
		tools[tl.Def.Name] = tl
	}
	run := func(t *testing.T, name string, args map[string]any) (url.Values, bool) {
		raw, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tools[name].Handle(context.Background(), &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: name, Arguments: raw}})
		forms := rt.take()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if res.IsError {
			if len(forms) > 0 {
				t.Fatalf("%s failed but sent %v", name, forms)
			}
			return nil, false
		}
		if len(forms) != 1 {
			t.Fatalf("%s sent %d writes", name, len(forms))
		}
		return forms[0], true
	}
	f.Fuzz(func(t *testing.T, storage string, size int, bus, isoStorage, isoFile, bridge, model string, vlan int, ifname, ip, gw string) {
		vmArgs := map[string]any{"node": "pve1", "vmid": 100, "async": true,
			"disk": map[string]any{"storage": storage, "sizeGb": size, "bus": bus},
			"iso":  map[string]any{"storage": isoStorage, "file": isoFile},
			"net":  map[string]any{"bridge": bridge, "model": model, "vlan": vlan}}
		omitEmpty(vmArgs["net"].(map[string]any))
		omitEmpty(vmArgs["disk"].(map[string]any))
		if form, ok := run(t, "pve_vm_create", vmArgs); ok {
			checkValid(t, qemuEP, form)
			b := cmpOr(bus, "scsi")
			checkProps(t, schemaParam(t, schema, "/nodes/{node}/qemu", b+"0"), form.Get(b+"0"), map[string]string{"file": storage + ":" + strconv.Itoa(size)})
			checkProps(t, schemaParam(t, schema, "/nodes/{node}/qemu", "ide2"), form.Get("ide2"),
				map[string]string{"file": isoStorage + ":iso/" + isoFile, "media": "cdrom"})
			want := map[string]string{"model": cmpOr(model, "virtio"), "bridge": cmpOr(bridge, "vmbr0")}
			if vlan > 0 {
				want["tag"] = strconv.Itoa(vlan)
			}
			checkProps(t, schemaParam(t, schema, "/nodes/{node}/qemu", "net0"), form.Get("net0"), want)
		}
		ctArgs := map[string]any{"node": "pve1", "vmid": 200, "async": true, "ostemplate": "local:vztmpl/debian-12.tar.zst",
			"rootfs": map[string]any{"storage": storage, "sizeGb": size},
			"net":    map[string]any{"bridge": bridge, "name": ifname, "ip": ip, "gateway": gw}}
		omitEmpty(ctArgs["net"].(map[string]any))
		if form, ok := run(t, "pve_lxc_create", ctArgs); ok {
			checkValid(t, lxcEP, form)
			checkProps(t, schemaParam(t, schema, "/nodes/{node}/lxc", "rootfs"), form.Get("rootfs"), map[string]string{"volume": storage + ":" + strconv.Itoa(size)})
			want := map[string]string{"name": cmpOr(ifname, "eth0"), "bridge": cmpOr(bridge, "vmbr0"), "ip": cmpOr(ip, "dhcp")}
			if gw != "" {
				want["gw"] = gw
			}
			checkProps(t, schemaParam(t, schema, "/nodes/{node}/lxc", "net0"), form.Get("net0"), want)
		}
	})
}

// omitEmpty drops zero values, as a client leaving optional arguments out would.
func omitEmpty(m map[string]any) {
	for k, v := range m {
		if v == "" || v == 0 {
			delete(m, k)
		}
	}
}

// checkValid: the whole request passes the PVE 9.1 schema.
func checkValid(t *testing.T, ep *pveschema.Endpoint, form url.Values) {
	t.Helper()
	params := map[string]string{"node": "pve1"}
	for k, v := range form {
		if len(v) != 1 {
			t.Fatalf("%s sent %d times", k, len(v))
		}
		params[k] = v[0]
	}
	if errs := ep.Validate(params); len(errs) > 0 {
		t.Fatalf("Proxmox would refuse %v: %v", params, errs)
	}
}
