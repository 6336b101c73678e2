package pvesim

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// File uploads (POST /nodes/{node}/storage/{storage}/upload). pveproxy
// streams a multipart/form-data body to /var/tmp/pveupload-<md5>, taking
// the fields content, checksum-algorithm and checksum (in that order) and
// then the file part named "filename", and hands the API the temporary
// file's name; the API copies it into the storage in an "imgcopy" task.
// The simulator keeps no bytes: it counts them and hashes them with the
// algorithm asked for.

var uploadPathRe = lazyre.New(`^/api2/json/nodes/[^/]+/storage/([^/]+)/upload/?$`)

// isUpload is pveproxy's isUpload: a POST to a storage's upload path.
func isUpload(r *http.Request) bool {
	return r.Method == "POST" && uploadPathRe.MatchString(r.URL.Path)
}

// uploadedFile is what pveproxy left in /var/tmp for the API call.
type uploadedFile struct {
	tmpname string
	size    int64
	algo    string
	digest  string // hex, of algo
}

// readParams reads the request parameters; an upload with a body is
// parsed as pveproxy does, everything else by readParams.
func (s *Sim) readParams(c *call, r *http.Request) (url.Values, map[string]string, error) {
	if !isUpload(r) || r.ContentLength == 0 || r.Body == nil {
		return readParams(r)
	}
	q, shapes := r.URL.Query(), map[string]string{}
	// pveproxy checks the upload permission before it reads the body
	sid := uploadPathRe.FindStringSubmatch(r.URL.Path)[1]
	if u, err := url.PathUnescape(sid); err == nil {
		sid = u
	}
	s.mu.Lock()
	allowed := s.has(c.authid, "/storage/"+sid, "Datastore.AllocateTemplate")
	tmpSeq := s.st.nextPID
	s.mu.Unlock()
	if !allowed {
		return q, shapes, permError("/storage/"+sid, "Datastore.AllocateTemplate")
	}
	ct := r.Header.Get("Content-Type")
	mt, mp, _ := mime.ParseMediaType(ct)
	if mt != "multipart/form-data" || mp["boundary"] == "" {
		return q, shapes, &apiError{status: 506, msg: fmt.Sprintf("upload 'Content-Type '%s' not implemented", ct)}
	}
	if q.Has("tmpfilename") {
		return q, shapes, failf("'tmpfilename' query parameter is not allowed for file uploads")
	}
	sum := md5.Sum([]byte(fmt.Sprintf("%d%d%d", tmpSeq, s.now().Unix(), 0x2a5)))
	up := &uploadedFile{tmpname: "/var/tmp/pveupload-" + hex.EncodeToString(sum[:])}
	if err := s.parseUpload(r.Body, mp["boundary"], q, up); err != nil {
		return q, shapes, &apiError{status: 500, msg: err.Error(), rawBody: err.Error()}
	}
	q.Set("tmpfilename", up.tmpname)
	c.upload = up
	return q, shapes, nil
}

// parseUpload follows AnyEvent.pm's file_upload_multipart on a body: the
// three fields must come first, in order, each directly at the start of
// what is left, then the file part; the file data runs up to the closing
// delimiter (parts after the file are file data, as there).
func (s *Sim) parseUpload(body io.Reader, boundary string, q url.Values, up *uploadedFile) error {
	delim := "--" + regexp.QuoteMeta(boundary) + `\r?\n`
	closeDelim := []byte("--" + boundary + "--")
	dieAt := func(msg string, lines map[int]int) error {
		return errors.New(s.perlDie(msg, "PVE/APIServer/AnyEvent.pm", lines) + "\n")
	}
	uploadFailed := func() error { return dieAt("upload failed", map[int]int{7: 1263, 8: 1317, 9: 1367}) }
	// the head: everything up to the end of the file part's headers
	var head []byte
	fileHdr := regexp.MustCompile(`(?s)^` + delim + `Content-Disposition: (.*?); name="(.*?)"; filename="([^"]+)"`)
	buf := make([]byte, 32<<10)
	for {
		if i := bytes.Index(head, []byte(`filename="`)); i >= 0 {
			if j := regexp.MustCompile(`(\r?\n){2}`).FindIndex(head[i:]); j != nil {
				break
			}
		}
		if len(head) > 1<<20 {
			return uploadFailed()
		}
		n, err := body.Read(buf)
		head = append(head, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("upload failed - %v", err)
		}
	}
	rest := string(head)
	// phase 0: drop what comes before the first delimiter
	if loc := regexp.MustCompile(`(?s)^.*?(` + delim + `)`).FindStringSubmatchIndex(rest); loc != nil {
		rest = rest[loc[2]:]
	} else {
		return uploadFailed()
	}
	removeUntilData := func(s string) string {
		if loc := regexp.MustCompile(`(?s)^.*?(\r?\n){2}`).FindStringIndex(s); loc != nil {
			return s[loc[1]:]
		}
		return s
	}
	for _, name := range []string{"content", "checksum-algorithm", "checksum"} {
		re := regexp.MustCompile(`(?s)^` + delim + `.*?Content-Disposition: (.*?); name="` + regexp.QuoteMeta(name) + `"(.*?` + delim + `)`)
		m := re.FindStringSubmatchIndex(rest)
		if m == nil {
			continue
		}
		if disp := rest[m[2]:m[3]]; disp != "form-data" {
			return wrongDisposition(disp)
		}
		rest = removeUntilData(rest[m[4]:m[5]] + rest[m[1]:])
		vm := regexp.MustCompile(`(?s)^(.*?)(` + delim + `)`).FindStringSubmatchIndex(rest)
		if vm == nil {
			return uploadFailed()
		}
		q.Set(name, strings.TrimSpace(rest[vm[2]:vm[3]]))
		rest = rest[vm[4]:]
	}
	m := fileHdr.FindStringSubmatchIndex(rest)
	if m == nil {
		return uploadFailed()
	}
	if disp := rest[m[2]:m[3]]; disp != "form-data" {
		return wrongDisposition(disp)
	}
	if field := rest[m[4]:m[5]]; field != "filename" {
		return dieAt(fmt.Sprintf("wrong field name '%s' for file upload, expected 'filename'", field), map[int]int{7: 1227, 8: 1281, 9: 1322})
	}
	q.Set("filename", strings.TrimSpace(rest[m[6]:m[7]]))
	data := []byte(removeUntilData(rest[m[1]:]))
	// phase 2: the file data, up to the closing delimiter
	up.algo = q.Get("checksum-algorithm")
	h := newHash(up.algo)
	keep := len(closeDelim) + 2
	for {
		if i := bytes.Index(data, closeDelim); i >= 0 {
			d := data[:i]
			d = bytes.TrimSuffix(d, []byte("\n"))
			d = bytes.TrimSuffix(d, []byte("\r"))
			h.Write(d)
			up.size += int64(len(d))
			_, _ = io.Copy(io.Discard, body)
			break
		}
		if len(data) > keep {
			h.Write(data[:len(data)-keep])
			up.size += int64(len(data) - keep)
			data = append([]byte(nil), data[len(data)-keep:]...)
		}
		n, err := body.Read(buf)
		data = append(data, buf[:n]...)
		if err == io.EOF && n == 0 {
			if bytes.Contains(data, closeDelim) {
				continue
			}
			return uploadFailed()
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("upload failed - %v", err)
		}
	}
	up.digest = hex.EncodeToString(h.Sum(nil))
	return nil
}

func newHash(algo string) hash.Hash {
	switch algo {
	case "md5":
		return md5.New()
	case "sha1":
		return sha1.New()
	case "sha224":
		return sha256.New224()
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	}
	return sha256.New()
}

var (
	uploadISORe    = lazyre.New(`(?i)[^/]+\.(?:iso|img)$`)
	uploadVztmplRe = lazyre.New(`(?i)[^/]+\.(?:tar|tar\.(?:gz|xz|zst|bz2))$`)
	uploadImportRe = lazyre.New(`[a-zA-Z0-9\-.+=_]+\.(ova|qcow2|raw|vmdk)$`)
	unsafeNameRe   = lazyre.New(`[^a-zA-Z0-9_.-]`)
)

// uploadFile is the API side: checks, then the imgcopy task that puts the
// file into the storage's content.
func (s *Sim) uploadFile(c *call) (any, error) {
	nodeName, sid := c.params["node"], c.params["storage"]
	d := c.st.storageDef(sid)
	if d == nil {
		return nil, failf("storage '%s' does not exist", sid)
	}
	ns := c.st.storageOn(nodeName, sid)
	if ns == nil {
		return nil, failf("storage '%s' is not available on node '%s'", sid, nodeName)
	}
	if d.path == "" {
		return nil, failf("can't upload to storage type '%s'", d.typ)
	}
	content := c.params["content"]
	tmp := c.params["tmpfilename"]
	if tmp == "" {
		return nil, failf("missing temporary file name")
	}
	up := c.upload
	if up == nil || up.tmpname != tmp {
		return nil, failf("temporary file '%s' does not exist", tmp)
	}
	name := c.params["filename"]
	name = strings.TrimRight(name, "\n")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = unsafeNameRe.ReplaceAllString(name, "_")
	var volname, dir, format string
	switch content {
	case "iso":
		if !uploadISORe.MatchString(name) {
			return nil, paramErr("filename", "wrong file extension")
		}
		volname, dir, format = "iso/"+name, d.path+"/template/iso", "iso"
	case "vztmpl":
		if !uploadVztmplRe.MatchString(name) {
			return nil, paramErr("filename", "wrong file extension")
		}
		volname, dir = "vztmpl/"+name, d.path+"/template/cache"
		format = "t" + strings.TrimPrefix(path.Ext(name), ".")
	case "import":
		m := uploadImportRe.FindStringSubmatch(name)
		if m == nil {
			return nil, paramErr("filename", "invalid filename or wrong extension")
		}
		volname, dir, format = "import/"+name, d.path+"/import", m[1]
	default:
		return nil, paramErr("content", fmt.Sprintf("upload content type '%s' not allowed", content))
	}
	if !hasContent(d, content) {
		return nil, failf("storage '%s' does not support '%s' content", sid, content)
	}
	dest := dir + "/" + name
	local := c.st.nodes[0]
	cmd := "cp -- " + tmp + " " + dest
	if nodeName != local.name {
		ip := c.st.node(nodeName).ip
		opts := "-o BatchMode=yes"
		if s.major() >= 8 {
			opts += " -o HostKeyAlias=" + nodeName + " -o UserKnownHostsFile=/etc/pve/nodes/" + nodeName +
				"/ssh_known_hosts -o GlobalKnownHostsFile=none"
		}
		cmd = "/usr/bin/scp " + opts + " -p -- " + tmp + " [" + ip + "]:" + dest
	}
	lines := at(0, "starting file import from: "+tmp)
	failMsg := ""
	if want := c.params["checksum"]; c.params["checksum-algorithm"] != "" {
		if !strings.EqualFold(want, up.digest) {
			lines = append(lines, taskLine{at: 0.3, text: "calculating checksum..."})
			failMsg = fmt.Sprintf("checksum mismatch: got '%s' != expect '%s'", up.digest, want)
		} else {
			lines = append(lines, taskLine{at: 0.3, text: "calculating checksum...OK, checksum verified"})
		}
	}
	lines = append(lines, at(0.4, "target node: "+nodeName, "target file: "+dest,
		fmt.Sprintf("file size is: %d", up.size), "command: "+cmd)...)
	lines = append(lines, taskLine{at: 1, text: "finished file import successfully"})
	volid := sid + ":" + volname
	size := up.size
	dur := time.Second + time.Duration(size/(200<<20))*time.Second
	return c.startTask(taskSpec{node: local.name, typ: "imgcopy", dur: dur, lines: lines, failMsg: failMsg, failAt: 0.3,
		onOK: func(end time.Time) error {
			c.st.addVolume(nodeName, &volume{volid: volid, content: content, format: format, size: size, ctime: end.Unix()})
			return nil
		}})
}

// wrongDisposition is assert_form_disposition's die (with its newline).
func wrongDisposition(disp string) error {
	return errors.New(fmt.Sprintf("wrong Content-Disposition '%s' in multipart, expected 'form-data'", disp) + "\n")
}
