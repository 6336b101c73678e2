package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

// TestSimAPIGuestTools walks the guest tool endpoints over HTTPS as a
// client library does: migration pre-flight and feature checks, cloud-init
// set up, inspected and regenerated, a disk unlinked, a backup's config
// extracted, an ISO uploaded as multipart/form-data, and an appliance
// template downloaded.
func TestSimAPIGuestTools(t *testing.T) {
	t.Parallel()
	a := startSimAPI(t)
	pre, _ := a.ok("GET", "/nodes/pve1/qemu/100/migrate", nil).(map[string]any)
	if pre["running"] != float64(1) || len(pre["allowed_nodes"].([]any)) != 2 || len(pre["local_disks"].([]any)) != 1 {
		t.Fatalf("pre-flight %v", pre)
	}
	if f, _ := a.ok("GET", "/nodes/pve1/qemu/9000/feature", form("feature", "clone")).(map[string]any); f["hasFeature"] != float64(1) {
		t.Fatalf("feature %v", f)
	}

	// cloud-init on VM 101
	a.ok("PUT", "/nodes/pve1/qemu/101/config", form("ide2", "local-lvm:cloudinit", "ciuser", "admin",
		"ipconfig0", "ip=dhcp", "sshkeys", "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIH3rOJZ6%20admin%40laptop"))
	pending, _ := a.ok("GET", "/nodes/pve1/qemu/101/cloudinit", nil).([]any)
	if len(pending) != 3 {
		t.Fatalf("cloudinit pending %v", pending)
	}
	user, _ := a.ok("GET", "/nodes/pve1/qemu/101/cloudinit/dump", form("type", "user")).(string)
	if !strings.Contains(user, "user: admin\n") || !strings.Contains(user, "  - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3rOJZ6 admin@laptop\n") {
		t.Fatalf("user-data %q", user)
	}
	a.ok("PUT", "/nodes/pve1/qemu/101/cloudinit", nil)
	pending, _ = a.ok("GET", "/nodes/pve1/qemu/101/cloudinit", nil).([]any)
	for _, p := range pending {
		if p.(map[string]any)["pending"] != nil {
			t.Fatalf("still pending after regenerate: %v", pending)
		}
	}

	// unlink a new disk for good
	a.ok("PUT", "/nodes/pve1/qemu/101/config", form("scsi1", "local-lvm:1"))
	a.ok("PUT", "/nodes/pve1/qemu/101/unlink", form("idlist", "scsi1", "force", "1"))
	for _, v := range a.ok("GET", "/nodes/pve1/storage/local-lvm/content", form("vmid", "101")).([]any) {
		if v.(map[string]any)["volid"] == "local-lvm:vm-101-disk-1" {
			t.Fatal("unlinked volume still listed")
		}
	}

	// a backup's config
	var backup string
	for _, v := range a.ok("GET", "/nodes/pve1/storage/local/content", form("content", "backup")).([]any) {
		if id := v.(map[string]any)["volid"].(string); strings.Contains(id, "qemu-100") {
			backup = id
		}
	}
	conf, _ := a.ok("GET", "/nodes/pve1/vzdump/extractconfig", form("volume", backup)).(string)
	if !strings.Contains(conf, "name: web01\n") || !strings.Contains(conf, "#qmdump#map:scsi0:drive-scsi0:local-lvm:raw:\n") {
		t.Fatalf("extractconfig %q", conf)
	}

	// an upload as proxmoxer sends it
	data := bytes.Repeat([]byte("ISO"), 300000)
	sum := sha256.Sum256(data)
	upid := a.upload("pve1", "local", [][2]string{{"content", "iso"}, {"checksum-algorithm", "sha256"},
		{"checksum", hex.EncodeToString(sum[:])}}, "tools.iso", data)
	if exit := a.waitTask("pve1", upid); exit != "OK" {
		t.Fatalf("upload task %q", exit)
	}
	found := false
	for _, v := range a.ok("GET", "/nodes/pve1/storage/local/content", form("content", "iso")).([]any) {
		if m := v.(map[string]any); m["volid"] == "local:iso/tools.iso" && m["size"] == float64(len(data)) {
			found = true
		}
	}
	if !found {
		t.Fatal("uploaded ISO not listed with its size")
	}

	// an appliance template
	var tmpl string
	for _, ap := range a.ok("GET", "/nodes/pve1/aplinfo", nil).([]any) {
		if name := ap.(map[string]any)["template"].(string); strings.HasPrefix(name, "debian-13-standard") {
			tmpl = name
		}
	}
	upid, _ = a.ok("POST", "/nodes/pve1/aplinfo", form("storage", "local", "template", tmpl)).(string)
	if exit := a.waitTask("pve1", upid); exit != "OK" {
		t.Fatalf("download %q", exit)
	}
	if ans := a.do("POST", "/nodes/pve1/aplinfo", form("storage", "local", "template", "nope.tar.zst")); ans.Status != 400 ||
		ans.Errors["template"] != "no such template" {
		t.Fatalf("unknown template: %d %s", ans.Status, ans.Raw)
	}
}

// upload posts a multipart/form-data body: the fields, then the file part
// named "filename", and answers the task's UPID.
func (a *simAPI) upload(node, storage string, fields [][2]string, name string, data []byte) string {
	a.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		_ = w.WriteField(f[0], f[1])
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="filename"; filename="`+name+`"`)
	h.Set("Content-Type", "application/octet-stream")
	part, _ := w.CreatePart(h)
	_, _ = part.Write(data)
	_ = w.Close()
	req, _ := http.NewRequest("POST", a.base+"/nodes/"+node+"/storage/"+storage+"/upload", &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", a.auth)
	res, err := a.client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var env struct {
		Data string `json:"data"`
	}
	if res.StatusCode != 200 || json.Unmarshal(raw, &env) != nil {
		a.t.Fatalf("upload: %d %s", res.StatusCode, raw)
	}
	return env.Data
}
