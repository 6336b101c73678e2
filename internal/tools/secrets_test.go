package tools

import (
	"strings"
	"testing"
)

func TestSecretNeverInResults(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.exit = "failed"
	_, text := e.call(t, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 100})
	_, text2 := e.call(t, "pve_node_status", map[string]any{"node": "nowhere"})
	if strings.Contains(text+text2, "s3cr3t-token") {
		t.Fatal("secret leaked")
	}
}

func TestSecretArgumentsNotEchoed(t *testing.T) {
	e := newEnv(t, envOpts{})
	pw := strings.Repeat("s3cr3t", 20)
	_, text := e.call(t, "pve_lxc_create", map[string]any{"node": "pve1", "vmid": 300, "ostemplate": "local:vztmpl/x.tar.zst",
		"rootfs": map[string]any{"storage": "local-lvm", "sizeGb": 1}, "password": pw})
	if strings.Contains(text, pw) || !strings.Contains(text, "password") {
		t.Errorf("error: %s", text)
	}
}
