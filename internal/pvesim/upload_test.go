package pvesim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
)

// multipartUpload builds the body proxmoxer (requests) sends: the plain
// fields first, then the file part with its Content-Type.
func multipartUpload(fields [][2]string, fileField, fileName string, data []byte) ([]byte, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		_ = w.WriteField(f[0], f[1])
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, fileField, fileName))
	h.Set("Content-Type", "application/octet-stream")
	part, _ := w.CreatePart(h)
	_, _ = part.Write(data)
	_ = w.Close()
	return b.Bytes(), w.FormDataContentType()
}

func (e *env) upload(node, storage, auth string, body []byte, ct string) resp {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api2/json/nodes/"+node+"/storage/"+storage+"/upload", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", auth)
	return e.send(req)
}

func (e *env) volumeOf(node, storage, volid string) map[string]any {
	for _, v := range e.ok("GET", "/nodes/"+node+"/storage/"+storage+"/content", nil).([]any) {
		if m := v.(map[string]any); m["volid"] == volid {
			return m
		}
	}
	return nil
}

func TestUpload(t *testing.T) {
	e := newEnv(t, Options{})
	data := bytes.Repeat([]byte("PVE-ISO\x00\r\n--x"), 90000) // > 512 KiB, CRLFs inside
	sum := sha256.Sum256(data)
	body, ct := multipartUpload([][2]string{{"content", "iso"}, {"checksum-algorithm", "sha256"}, {"checksum", hex.EncodeToString(sum[:])}},
		"filename", "my tools.iso", data)
	r := e.upload("pve1", "local", e.token, body, ct)
	if r.status != 200 || !strings.Contains(r.data.(string), ":imgcopy::root@pam!mcp:") {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	upid := r.data.(string)
	if e.waitTask(upid) != "OK" {
		t.Fatalf("task: %v", e.taskLog(upid))
	}
	log := e.taskLog(upid)
	tmp := strings.TrimPrefix(log[0], "starting file import from: ")
	want := []string{"starting file import from: " + tmp, "calculating checksum...OK, checksum verified", "target node: pve1",
		"target file: /var/lib/vz/template/iso/my_tools.iso", fmt.Sprintf("file size is: %d", len(data)),
		"command: cp -- " + tmp + " /var/lib/vz/template/iso/my_tools.iso", "finished file import successfully", "TASK OK"}
	if len(tmp) != len("/var/tmp/pveupload-")+32 || strings.Join(log, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log:\n%s", strings.Join(log, "\n"))
	}
	if v := e.volumeOf("pve1", "local", "local:iso/my_tools.iso"); v == nil || v["size"] != float64(len(data)) || v["format"] != "iso" {
		t.Fatalf("content: %v", v)
	}
	// another node: copied there with scp
	body, ct = multipartUpload([][2]string{{"content", "vztmpl"}}, "filename", "custom-ct_1.0_amd64.tar.zst", []byte("tar"))
	r = e.upload("pve2", "local", e.token, body, ct)
	if r.status != 200 || e.waitTask(r.data.(string)) != "OK" || e.volumeOf("pve2", "local", "local:vztmpl/custom-ct_1.0_amd64.tar.zst") == nil {
		t.Fatalf("remote: %d %s", r.status, r.raw)
	}
	if log := e.taskLog(r.data.(string)); !strings.HasPrefix(log[4], "command: /usr/bin/scp -o BatchMode=yes -o HostKeyAlias=pve2 ") ||
		!strings.HasSuffix(log[4], " [192.168.100.12]:/var/lib/vz/template/cache/custom-ct_1.0_amd64.tar.zst") {
		t.Fatalf("scp: %v", log)
	}
	// a checksum mismatch fails the task
	body, ct = multipartUpload([][2]string{{"content", "iso"}, {"checksum-algorithm", "sha256"}, {"checksum", strings.Repeat("0", 64)}},
		"filename", "bad.iso", []byte("iso"))
	r = e.upload("pve1", "local", e.token, body, ct)
	got := hex.EncodeToString(func() []byte { s := sha256.Sum256([]byte("iso")); return s[:] }())
	if exit := e.waitTask(r.data.(string)); exit != "checksum mismatch: got '"+got+"' != expect '"+strings.Repeat("0", 64)+"'" {
		t.Fatalf("mismatch: %q", exit)
	}
	if e.volumeOf("pve1", "local", "local:iso/bad.iso") != nil {
		t.Fatal("bad.iso stored")
	}
}

func TestUploadErrors(t *testing.T) {
	e := newEnv(t, Options{})
	up := func(storage, content, field, name string) resp {
		body, ct := multipartUpload([][2]string{{"content", content}}, field, name, []byte("data"))
		return e.upload("pve1", storage, e.token, body, ct)
	}
	cases := []struct {
		r      resp
		status int
		msg    string
	}{
		{up("local", "iso", "filename", "notes.txt"), 400, "filename: wrong file extension"},
		{up("local", "vztmpl", "filename", "ct.zip"), 400, "filename: wrong file extension"},
		{up("local", "import", "filename", "disk.qcow2"), 500, "storage 'local' does not support 'import' content"},
		{up(SharedStorage, "iso", "filename", "x.iso"), 500, "storage 'nas' does not support 'iso' content"},
		{up("local-lvm", "iso", "filename", "x.iso"), 500, "can't upload to storage type 'lvmthin'"},
		{up("local", "iso", "file", "x.iso"), 500, "wrong field name 'file' for file upload, expected 'filename' at /usr/share/perl5/PVE/APIServer/AnyEvent.pm line 1322."},
	}
	for i, c := range cases {
		msg := strings.TrimSpace(c.r.message)
		if c.r.status == 400 {
			for k, v := range c.r.errors {
				msg = k + ": " + strings.TrimSpace(v)
			}
		}
		if c.status == 500 && c.r.message == "" {
			msg = strings.TrimSpace(c.r.raw)
		}
		if c.r.status != c.status || msg != c.msg {
			t.Errorf("case %d: %d %q (%s)", i, c.r.status, msg, c.r.raw)
		}
	}
	// pveproxy takes only the three fields before the file, in order
	body, ct := multipartUpload([][2]string{{"checksum", "abc"}, {"content", "iso"}}, "filename", "x.iso", []byte("d"))
	if r := e.upload("pve1", "local", e.token, body, ct); r.status != 500 || !strings.HasPrefix(r.raw, "wrong Content-Disposition 'form-data; name=\"checksum\"") {
		t.Errorf("field order: %d %s", r.status, r.raw)
	}
	// a body that is not multipart
	req, _ := http.NewRequest("POST", e.srv.URL+"/api2/json/nodes/pve1/storage/local/upload", strings.NewReader("content=iso&filename=x.iso"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", e.token)
	if r := e.send(req); r.status != 506 || r.reason != "upload 'Content-Type 'application/x-www-form-urlencoded' not implemented" {
		t.Errorf("urlencoded: %d %q", r.status, r.reason)
	}
	// no body at all: the API has no temporary file
	if r := e.do("POST", "/nodes/pve1/storage/local/upload?content=iso&filename=x.iso", nil); r.status != 500 || r.message != "missing temporary file name\n" {
		t.Errorf("no body: %d %q", r.status, r.message)
	}
	// the permission is checked before the body is read
	must(t, e.sim.AddAuditorToken("audit@pve!ro", "s"))
	body, ct = multipartUpload([][2]string{{"content", "iso"}}, "filename", "x.iso", []byte("d"))
	if r := e.upload("pve1", "local", "PVEAPIToken=audit@pve!ro=s", body, ct); r.status != 403 ||
		r.message != "Permission check failed (/storage/local, Datastore.AllocateTemplate)\n" {
		t.Errorf("perm: %d %q", r.status, r.message)
	}
	// a ticket needs no CSRF token for an upload
	tk := e.rootTicket()
	req, _ = http.NewRequest("POST", e.srv.URL+"/api2/json/nodes/pve1/storage/local/upload", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.AddCookie(&http.Cookie{Name: "PVEAuthCookie", Value: tk.ticket})
	if r := e.send(req); r.status != 200 {
		t.Errorf("ticket upload: %d %s", r.status, r.raw)
	}
}
