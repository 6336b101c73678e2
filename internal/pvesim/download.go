package pvesim

import (
	"fmt"
	"hash/fnv"
	"net/url"
	"path"
	"strings"
	"time"
)

func (s *Sim) downloadURL(c *call) (any, error) {
	ns, err := c.storageOnNode()
	if err != nil {
		return nil, err
	}
	d := ns.def
	content, rawURL, filename := c.params["content"], c.params["url"], c.params["filename"]
	if d.path == "" {
		return nil, failf("can't upload to storage type '%s', not a file based storage!", d.typ)
	}
	if !hasContent(d, content) {
		return nil, failf("storage '%s' is not configured for content-type '%s'", d.id, content)
	}
	if strings.Contains(filename, "/") {
		return nil, paramErr("filename", "invalid filename")
	}
	var volid, dest string
	switch content {
	case "iso":
		if !isoExtRe.MatchString(filename) {
			return nil, paramErr("filename", "wrong file extension")
		}
		volid, dest = d.id+":iso/"+filename, d.path+"/template/iso/"+filename
	case "vztmpl":
		if !vztmplExtRe.MatchString(filename) {
			return nil, paramErr("filename", "wrong file extension")
		}
		volid, dest = d.id+":vztmpl/"+filename, d.path+"/template/cache/"+filename
	default:
		volid, dest = d.id+":import/"+filename, d.path+"/import/"+filename
	}
	host := urlHost(rawURL)
	size := downloadSize(filename)
	nodeName := c.params["node"]
	start := c.now
	tmp := fmt.Sprintf("%s.tmp_dwnl.%d", dest, c.st.nextPID+1)
	lines := wgetLines(rawURL, dest, tmp, size, start)
	if c.params["checksum"] != "" {
		lines = append(lines, taskLine{at: 0.97, text: "calculating checksum...OK, checksum verified"})
	}
	lines = append(lines, taskLine{at: 1, text: "download of '" + rawURL + "' to '" + dest + "' finished"})
	sp := taskSpec{node: nodeName, typ: "download", id: encodeText(filename), user: c.authid,
		dur: 3*time.Second + time.Duration(size/(50<<20))*time.Second, lines: lines,
		onOK: func(end time.Time) error {
			format := "iso"
			if content == "vztmpl" {
				format = "t" + strings.TrimPrefix(path.Ext(filename), ".")
				if strings.HasSuffix(filename, ".tar.zst") {
					format = "tzst"
				}
			}
			c.st.addVolume(nodeName, &volume{volid: volid, content: content, format: format, size: size, ctime: end.Unix()})
			return nil
		}}
	if strings.HasSuffix(host, ".invalid") || host == "" {
		sp.lines = at(0, "downloading "+rawURL+" to "+dest, "--"+start.Format("2006-01-02 15:04:05")+"--  "+rawURL,
			"Resolving "+host+" ("+host+")... failed: Name or service not known.",
			"wget: unable to resolve host address '"+host+"'")
		sp.failMsg = "download failed: wget: unable to resolve host address '" + host + "'"
		sp.dur = time.Second
	}
	t := s.startTask(sp)
	return t.upid, nil
}

// downloadSize is a stable size for a downloaded file (300 MiB .. 1.3 GiB).
func downloadSize(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int64(300<<20) + int64(h.Sum32()%1024)<<20
}

// encodeText is PVE::Tools::encode_text for task ids: escape ':' '%' and
// non-printable bytes.
func encodeText(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c == ':' || c == '%' || c < 0x20 || c >= 0x7f {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// urlHost is the host name of a URL, "" when it has none.
func urlHost(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Hostname()
	}
	return ""
}
