package tools

import "testing"

func TestLXCCreateParameters(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.ok(t, "pve_lxc_create", map[string]any{
		"node": "pve1", "vmid": 300, "ostemplate": "local:vztmpl/debian-12.tar.zst", "hostname": "ct1",
		"rootfs":   map[string]any{"storage": "local-lvm", "sizeGb": 4},
		"net":      map[string]any{"ip": "10.0.0.5/24", "gateway": "10.0.0.1"},
		"password": "hunter22", "sshPublicKeys": "ssh-ed25519 AAAA x@y",
	})
	f := form(e.fake.writes()[0])
	for k, want := range map[string]string{
		"vmid": "300", "ostemplate": "local:vztmpl/debian-12.tar.zst", "rootfs": "local-lvm:4", "swap": "512",
		"unprivileged": "1", "net0": "name=eth0,bridge=vmbr0,ip=10.0.0.5/24,gw=10.0.0.1", "ssh-public-keys": "ssh-ed25519 AAAA x@y",
	} {
		if got := f.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
