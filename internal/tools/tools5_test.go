package tools

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestExtraCheckedAgainstSchema(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.refused(t, "pve_vm_create", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"onbot": 1}}, `"onbot"`, "onboot")
	e.refused(t, "pve_vm_create", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"balloon": -5}}, "extra.balloon")
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"net0": "virtio,bridge=vmbr0,bogus=1"}}, "extra.net0")
	e.refused(t, "pve_lxc_create", map[string]any{"node": "pve1", "vmid": 300, "ostemplate": "local:vztmpl/x.tar.zst",
		"rootfs": map[string]any{"storage": "local-lvm", "sizeGb": 1}, "extra": map[string]any{"ostype": "windows"}}, "extra.ostype")
	e.ok(t, "pve_vm_create", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"onboot": true, "net1": "virtio,bridge=vmbr0"}})
}

func TestDestructiveExtraNeedsConfirm(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"delete": "scsi1"}}, "confirm: true", "delete")
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"scsi0": "local-lvm:8"}}, "confirm: true", "scsi0")
	e.ok(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 200, "confirm": true, "extra": map[string]any{"delete": "scsi1"}})
	e.ok(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"onboot": 1}})
}

func TestAsyncReturnsUPIDAtOnce(t *testing.T) {
	e := newEnv(t, envOpts{})
	var out taskOut
	decode(t, e.ok(t, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 100, "async": true}), &out)
	if out.UPID != testUPID || out.Status != "running" || out.ExitStatus != "" {
		t.Fatalf("async: %+v", out)
	}
	for _, r := range e.fake.log() {
		if strings.Contains(r, "/tasks/") {
			t.Errorf("async call polled the task: %s", r)
		}
	}
	var w taskWaitOut
	decode(t, e.ok(t, "pve_task_wait", map[string]any{"upid": out.UPID}), &w)
	if w.Status != "stopped" || w.ExitStatus != "OK" {
		t.Fatalf("wait: %+v", w)
	}
	st := e.ok(t, "pve_task_status", map[string]any{"upid": out.UPID})
	if !strings.Contains(st, `"exitstatus":"OK"`) || !strings.Contains(st, "TASK OK") {
		t.Errorf("status: %s", st)
	}
	e.refused(t, "pve_task_status", map[string]any{"upid": "UPID:pve1/../x"}, "upid")
	e.refused(t, "pve_task_stop", map[string]any{"upid": out.UPID}, "confirm: true")
}

func TestTaskToolsRespectAllowlists(t *testing.T) {
	e := newEnv(t, envOpts{nodes: []string{"pve2"}})
	e.refused(t, "pve_task_log", map[string]any{"upid": testUPID}, "PVE_NODE_ALLOWLIST")
	e2 := newEnv(t, envOpts{vmids: []int{101}})
	e2.refused(t, "pve_task_status", map[string]any{"upid": testUPID}, "PVE_VMID_ALLOWLIST")
}

func elicitEnv(t *testing.T, answer string) (*env, *[]string) {
	var mu sync.Mutex
	var asked []string
	opts := &mcp.ClientOptions{ElicitationHandler: func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		mu.Lock()
		asked = append(asked, req.Params.Message)
		mu.Unlock()
		return &mcp.ElicitResult{Action: answer, Content: map[string]any{}}, nil
	}}
	return newEnv(t, envOpts{client: opts}), &asked
}

func TestElicitationAccept(t *testing.T) {
	e, asked := elicitEnv(t, "accept")
	e.ok(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 100})
	if len(*asked) != 1 || (*asked)[0] != "Delete VM 100 on pve1 and all its disks?" {
		t.Errorf("asked %q", *asked)
	}
	if w := e.fake.writes(); len(w) != 1 || !strings.HasPrefix(w[0], "DELETE /nodes/pve1/qemu/100") {
		t.Errorf("writes %v", w)
	}
}

func TestElicitationDeclineChangesNothing(t *testing.T) {
	for _, answer := range []string{"decline", "cancel"} {
		e, asked := elicitEnv(t, answer)
		res, text := e.call(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 100})
		if !res.IsError || !strings.Contains(text, "declined") {
			t.Errorf("%s: %v %s", answer, res.IsError, text)
		}
		if len(*asked) != 1 {
			t.Errorf("%s: asked %d times", answer, len(*asked))
		}
		if l := e.fake.log(); len(l) != 0 {
			t.Errorf("%s: requests sent: %v", answer, l)
		}
	}
}

func TestElicitationNotAskedBeforeLocalChecks(t *testing.T) {
	e, asked := elicitEnv(t, "accept")
	e.refused(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirmVmid": 100}, "confirm: true")
	e.refused(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 101}, "101")
	if len(*asked) != 0 {
		t.Errorf("asked before checks: %v", *asked)
	}
}

func TestProgressDuringWait(t *testing.T) {
	var mu sync.Mutex
	var got []float64
	opts := &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
		mu.Lock()
		got = append(got, req.Params.Progress)
		mu.Unlock()
	}}
	e := newEnv(t, envOpts{client: opts})
	e.fake.running = 3 // status polls that still say running
	params := &mcp.CallToolParams{Name: "pve_vm_start", Arguments: map[string]any{"node": "pve1", "vmid": 100}}
	params.SetProgressToken("p1")
	res, err := e.session.CallTool(context.Background(), params)
	if err != nil || res.IsError {
		t.Fatalf("call: %v %v", err, res)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("no progress notifications")
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("progress not increasing: %v", got)
		}
	}
}

func TestExtraCannotRestoreOrBorrowDisks(t *testing.T) {
	e := newEnv(t, envOpts{vmids: []int{100}})
	e.refused(t, "pve_vm_create", map[string]any{"node": "pve1", "vmid": 100,
		"extra": map[string]any{"archive": "local:backup/vzdump-qemu-105-2024_01_01-00_00_00.vma.zst", "force": true}}, "pve_restore")
	e.refused(t, "pve_lxc_create", map[string]any{"node": "pve1", "vmid": 100, "ostemplate": "local:backup/vzdump-lxc-105.tar.zst",
		"rootfs": map[string]any{"storage": "local-lvm", "sizeGb": 1}}, "ostemplate")
	e.refused(t, "pve_lxc_create", map[string]any{"node": "pve1", "vmid": 100, "ostemplate": "local:vztmpl/x.tar.zst",
		"rootfs": map[string]any{"storage": "local-lvm", "sizeGb": 1}, "extra": map[string]any{"restore": true}}, "pve_restore")
	e.refused(t, "pve_vm_create", map[string]any{"node": "pve1", "vmid": 100, "extra": map[string]any{"scsi1": "local-lvm:vm-105-disk-0"}}, "105")
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "confirm": true,
		"extra": map[string]any{"virtio1": "nfs:105/vm-105-disk-1.qcow2,iothread=1"}}, "105")
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "confirm": true,
		"extra": map[string]any{"scsi2": "file=local-lvm:vm-105-disk-0,ssd=1"}}, "105")
	e.refused(t, "pve_restore", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu",
		"archive": "local:backup/vzdump-qemu-105-2024_01_01-00_00_00.vma.zst", "confirm": true, "confirmVmid": 100}, "105")
	e.refused(t, "pve_restore", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu",
		"archive": "pbs:backup/vm/105/2024-01-01T00:00:00Z", "confirm": true, "confirmVmid": 100}, "105")
	// Own volumes, new disks and ISOs stay fine.
	e.ok(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "confirm": true,
		"extra": map[string]any{"scsi1": "local-lvm:8", "scsi2": "local-lvm:vm-100-disk-3", "ide2": "local:iso/debian-12.iso,media=cdrom"}})
	e.ok(t, "pve_restore", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu",
		"archive": "local:backup/vzdump-qemu-100-2024_01_01-00_00_00.vma.zst", "confirm": true, "confirmVmid": 100})
}
