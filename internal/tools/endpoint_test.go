package tools

import (
	"slices"
	"testing"
)

func TestAt(t *testing.T) {
	e := at("/nodes/{node}/qemu/{vmid}/config", "pve1", "100")
	if e.path != "/nodes/pve1/qemu/100/config" || !slices.Equal(e.params, []string{"node", "vmid"}) {
		t.Errorf("at = %+v", e)
	}
	if e := at("/nodes/{node}/lxc", "a/b?"); e.path != "/nodes/a%2Fb%3F/lxc" {
		t.Errorf("a value was not kept to one segment: %s", e.path)
	}
	for _, values := range [][]string{{"pve1"}, {"pve1", "100", "x"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("at with %d values for 2 path parameters did not panic", len(values))
				}
			}()
			at("/nodes/{node}/qemu/{vmid}/config", values...)
		}()
	}
}
