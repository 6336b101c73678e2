package pveacl

import (
	"fmt"
	"sync"
	"testing"
)

func TestStoreConcurrentUse(t *testing.T) {
	s := NewStore()
	mustNoErr(t, s.AddUser("u@pve", "pw", true))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				id := fmt.Sprintf("u@pve!t%d-%d", i, j)
				if err := s.AddToken(id, "s", true); err != nil {
					t.Error(err)
					return
				}
				if err := s.SetACL(fmt.Sprintf("/vms/%d", 100+j), "PVEVMUser", id, true); err != nil {
					t.Error(err)
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				s.Permissions("u@pve", "")
				s.Check("u@pve", permPower, map[string]string{"vmid": "100"})
				s.CheckToken("PVEAPIToken=u@pve!t0-0=s")
				if _, _, err := s.Login("u@pve", "pw"); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
