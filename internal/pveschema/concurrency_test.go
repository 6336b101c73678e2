package pveschema

import (
	"sync"
	"testing"
)

// Validate and Lookup are used by many simulator goroutines on one *Schema.
func TestConcurrentValidate(t *testing.T) {
	var r Registry
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := r.Load("9.1")
			if err != nil {
				t.Error(err)
				return
			}
			for j := 0; j < 20; j++ {
				e, p, ok := s.Lookup("POST", "/nodes/pve1/qemu")
				if !ok {
					t.Error("lookup failed")
					return
				}
				p["vmid"], p["scsi0"], p["net0"] = "100", "local-lvm:32,wwn=0x5000c500a1b2c3d4", "virtio,bridge=vmbr0"
				if errs := e.Validate(p); errs != nil {
					t.Error(errs)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkLoad91(b *testing.B) {
	for b.Loop() {
		if _, err := Load("9.1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateCreateVM(b *testing.B) {
	s := mustLoad(b, "9.1")
	e, _ := s.Endpoint("POST", "/nodes/{node}/qemu")
	p := map[string]string{"node": "pve1", "vmid": "100", "name": "web", "memory": "2048", "cores": "2",
		"scsi0": "local-lvm:32,iothread=1", "net0": "virtio,bridge=vmbr0", "boot": "order=scsi0;net0"}
	for b.Loop() {
		if errs := e.Validate(p); errs != nil {
			b.Fatal(errs)
		}
	}
}
