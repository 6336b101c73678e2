package e2e

import "testing"

// TestExtraByClusterRelease: extra is read by the API schema of the release
// the cluster reports in GET /version, not the newest one. allow-ksm came
// with PVE 9.0: a cluster reporting 8.4 refuses it before anything is sent,
// one reporting 9.1 takes it; balloon, known to both, passes on both.
func TestExtraByClusterRelease(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		schema string
		ksmOK  bool
	}{{"8.4", false}, {"9.1", true}} {
		t.Run(c.schema, func(t *testing.T) {
			cl := newClusterSchema(t, 0.02, c.schema)
			s := cl.connect(t, clientOpts{})
			set := func(k string, v any) map[string]any {
				return m("node", "pve1", "vmid", 100, "extra", m(k, v))
			}
			s.ok("pve_vm_set_config", set("balloon", 1024), nil)
			if !c.ksmOK {
				s.fails("pve_vm_set_config", set("allow-ksm", false),
					`extra.allow-ksm: Proxmox's PUT /nodes/{node}/qemu/{vmid}/config has no parameter "allow-ksm"`)
				for _, r := range cl.sim.Requests() {
					if r.Params.Has("allow-ksm") {
						t.Errorf("the refused key reached the cluster: %s %s", r.Method, r.Path)
					}
				}
				return
			}
			s.ok("pve_vm_set_config", set("allow-ksm", false), nil)
			var conf struct {
				AllowKSM any `json:"allow-ksm"`
			}
			s.ok("pve_vm_config", m("node", "pve1", "vmid", 100), &conf)
			if conf.AllowKSM == nil {
				t.Errorf("allow-ksm not stored: %+v", conf)
			}
		})
	}
}
