package tools

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return f[host], nil
}

func TestDownloadURLChecks(t *testing.T) {
	r := fakeResolver{"intranet.example": {netip.MustParseAddr("10.1.2.3")}, "cdn.example": {netip.MustParseAddr("93.184.216.34")}}
	ctx := context.Background()
	for raw, ok := range map[string]bool{
		"https://cdn.example/x.iso":               true,
		"https://unresolvable.example/x.iso":      true,
		"file:///etc/passwd":                      false,
		"ftp://cdn.example/x.iso":                 false,
		"http://127.0.0.1/x.iso":                  false,
		"http://localhost:8080/x.iso":             false,
		"http://169.254.169.254/latest/meta-data": false,
		"http://[::1]/x.iso":                      false,
		"http://[fe80::1]/x.iso":                  false,
		"https://intranet.example/x.iso":          false,
		"http://192.168.1.10/x.iso":               false,
		"https://user:pw@cdn.example/x.iso":       false,
		"http://[::ffff:127.0.0.1]/x.iso":         false,
		"http://100.64.1.1/x.iso":                 false,
		"http://127.1/x.iso":                      false,
		"http://2130706433/x.iso":                 false,
		"http://0x7f000001/x.iso":                 false,
		"http://0177.0.0.1/x.iso":                 false,
		"http://[::127.0.0.1]/x.iso":              false,
		"http://[64:ff9b::a9fe:a9fe]/x.iso":       false,
		"http://[2606:4700::1111]/x.iso":          true,
	} {
		err := checkDownloadURL(ctx, raw, false, r)
		if (err == nil) != ok {
			t.Errorf("%s: ok=%v err=%v", raw, ok, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("credentials echoed: %v", err)
		}
	}
	if err := checkDownloadURL(ctx, "http://10.0.0.1/x.iso", true, r); err != nil {
		t.Errorf("allowed private: %v", err)
	}
}

func TestDownloadVersionGate(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /version"] = `{"version":"7.1-10","release":"7.1","repoid":"abc"}`
	args := map[string]any{"node": "pve1", "storage": "local", "url": "https://93.184.216.34/x.iso", "filename": "x.iso"}
	res, text := e.call(t, "pve_download_iso", args)
	if !res.IsError || !strings.Contains(text, "7.2") || !strings.Contains(text, "7.1-10") {
		t.Fatalf("got %v %s", res.IsError, text)
	}
	if len(e.fake.writes()) != 0 {
		t.Fatal("download-url called on an old node")
	}
	e.fake.routes["GET /version"] = `{"version":"9.1.3","release":"9.1","repoid":"abc"}`
	e2 := newEnv(t, envOpts{})
	e2.fake.routes["GET /version"] = `{"version":"9.1.3","release":"9.1","repoid":"abc"}`
	e2.ok(t, "pve_download_iso", args)
	f := form(e2.fake.writes()[0])
	if f.Get("content") != "iso" || f.Get("filename") != "x.iso" || f.Get("url") != "https://93.184.216.34/x.iso" {
		t.Errorf("sent %v", f)
	}
}

func TestDownloadChecksNodeVersionAndName(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /nodes/pve2/version"] = `{"version":"7.1-10","release":"7.1","repoid":"abc"}`
	e.fake.routes["GET /version"] = `{"version":"9.1.3","release":"9.1","repoid":"abc"}`
	args := map[string]any{"node": "pve2", "storage": "local", "url": "https://93.184.216.34/x.iso", "filename": "x.iso"}
	res, text := e.call(t, "pve_download_iso", args)
	if !res.IsError || !strings.Contains(text, "pve2 runs 7.1-10") || len(e.fake.writes()) != 0 {
		t.Errorf("old node: %v %s", res.IsError, text)
	}
	args["filename"], args["node"] = "x.tar.zst", "pve1"
	e.refused(t, "pve_download_iso", args, "filename", ".iso")
}
