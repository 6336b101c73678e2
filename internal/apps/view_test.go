package apps_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/apps"
)

// The view is one file with nothing to fetch: a CSP meta tag that admits
// only its own inline script and style, and no reference to anywhere else.
func TestViewIsSelfContained(t *testing.T) {
	html := apps.HTML()
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindStringSubmatch(html)
	if csp == nil {
		t.Fatal("no CSP meta tag")
	}
	for _, want := range []string{"default-src 'none'", "connect-src 'none'", "frame-src 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp[1], want) {
			t.Errorf("CSP %q lacks %q", csp[1], want)
		}
	}
	if strings.Contains(csp[1], "http") || strings.Contains(csp[1], "*") || strings.Contains(csp[1], "unsafe-") {
		t.Errorf("CSP admits more than the file: %s", csp[1])
	}
	for _, ref := range []string{"<script src", "<link", "<img src=\"http", "@import"} {
		if strings.Contains(html, ref) {
			t.Errorf("the view references %q", ref)
		}
	}
}

// TestBuiltViewIsCurrent rebuilds the view from ui/ and compares the bytes
// with the embedded file. It needs Node and ui/node_modules (npm ci in ui/,
// as .ci/apps.sh does); without them it is skipped.
func TestBuiltViewIsCurrent(t *testing.T) {
	ui := filepath.Join("..", "..", "ui")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node")
	}
	if _, err := os.Stat(filepath.Join(ui, "node_modules", "esbuild")); err != nil {
		t.Skip("ui/node_modules not installed (npm ci in ui/)")
	}
	out := filepath.Join(t.TempDir(), "app.html")
	cmd := exec.Command(node, "build.mjs", out)
	cmd.Dir = ui
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, []byte(apps.HTML())) {
		t.Error("internal/apps/dist/app.html is not what ui/ builds: run `npm run build` in ui/ and commit it")
	}
}
