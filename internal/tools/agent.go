package tools

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// The QEMU guest agent tools of issue 14: what the agent reports, the
// guests' addresses (agent.go, addresses.go), commands (agent_exec.go) and
// files (agent_files.go). Proxmox checks the agent the same way for every
// agent endpoint (configured, VM running, guest-ping answered), so a
// failure is explained once, by agentError.

func agentTools(d *Deps) []Tool {
	return []Tool{agentExec(d), agentFileRead(d), agentFileWrite(d)}
}

// addressTools are the qemu and lxc toolsets' address lookups, apart from
// the agent toolset so a default server builds only these.
func addressTools(d *Deps) []Tool { return []Tool{vmAddresses(d), lxcAddresses(d)} }

// agentPart is what one agent query found, or why it could not.
type agentPart struct {
	Error string `json:"error,omitempty"`
}

type agentInfoOut struct {
	Node        string        `json:"node"`
	VMID        int           `json:"vmid"`
	Agent       agentVersion  `json:"agent" jsonschema:"whether the agent answers, and its version"`
	OS          agentOSInfo   `json:"os"`
	HostName    agentHostName `json:"hostname"`
	FileSystems agentFSList   `json:"filesystems"`
	Users       agentUsers    `json:"users" jsonschema:"users logged in"`
}

type agentVersion struct {
	Running bool   `json:"running"`
	Version string `json:"version,omitempty"`
	agentPart
}

type agentOSInfo struct {
	Name    string `json:"name,omitempty"`
	ID      string `json:"id,omitempty"`
	Version string `json:"version,omitempty"`
	Kernel  string `json:"kernel,omitempty"`
	Machine string `json:"machine,omitempty"`
	agentPart
}

type agentHostName struct {
	Name string `json:"name,omitempty"`
	agentPart
}

type agentFS struct {
	Mountpoint string `json:"mountpoint"`
	Type       string `json:"type"`
	Device     string `json:"device,omitempty"`
	UsedBytes  *int64 `json:"usedBytes,omitempty"`
	TotalBytes *int64 `json:"totalBytes,omitempty"`
	Used       string `json:"used,omitempty" jsonschema:"used of total, in words"`
}

type agentFSList struct {
	Items []agentFS `json:"items,omitempty"`
	agentPart
}

type agentUser struct {
	User      string `json:"user"`
	Domain    string `json:"domain,omitempty"`
	LoginTime string `json:"loginTime,omitempty"`
}

type agentUsers struct {
	Items []agentUser `json:"items,omitempty"`
	agentPart
}

func agentInfo(d *Deps) Tool {
	return define(d, spec{name: "pve_vm_agent_info", title: "Guest agent info", toolset: "agent", effect: ReadOnly,
		desc: "What a VM's guest agent reports: agent version, OS, host name, file systems (used/total), logged-in users. Each part says its own error."},
		handle(func(ctx context.Context, c *call, in guestArgs) (agentInfoOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return agentInfoOut{}, err
			}
			out := agentInfoOut{Node: string(in.Node), VMID: int(in.VMID)}
			get := func(cmd string, v any) string {
				if err := c.PVE.Get(ctx, qemuKind.path(in.Node, in.VMID, "agent", cmd), nil, v); err != nil {
					return c.agentError(ctx, in.Node, in.VMID, err)
				}
				return ""
			}
			var info struct {
				Result struct {
					Version string `json:"version"`
				} `json:"result"`
			}
			if err := c.PVE.Get(ctx, qemuKind.path(in.Node, in.VMID, "agent", "info"), nil, &info); err != nil {
				if pve.IsNotFound(err) || errors.Is(err, errRefused) {
					// No such VM on that node (or the guard said no): nothing to
					// report parts of.
					return agentInfoOut{}, fmt.Errorf("ask the guest agent of VM %d on %s: %w", in.VMID, in.Node, err)
				}
				msg := c.agentError(ctx, in.Node, in.VMID, err)
				// Proxmox checks the agent before each command: they would all fail alike.
				skipped := "not asked: the agent's first answer failed (see agent.error)"
				out.Agent.Error, out.OS.Error, out.HostName.Error = msg, skipped, skipped
				out.FileSystems.Error, out.Users.Error = skipped, skipped
				return out, nil
			}
			out.Agent.Running, out.Agent.Version = true, info.Result.Version
			var osr struct {
				Result struct {
					ID      string `json:"id"`
					Name    string `json:"name"`
					Pretty  string `json:"pretty-name"`
					Version string `json:"version"`
					Kernel  string `json:"kernel-release"`
					Machine string `json:"machine"`
				} `json:"result"`
			}
			if out.OS.Error = get("get-osinfo", &osr); out.OS.Error == "" {
				r := osr.Result
				out.OS.Name, out.OS.ID, out.OS.Version, out.OS.Kernel, out.OS.Machine = r.Pretty, r.ID, r.Version, r.Kernel, r.Machine
				if out.OS.Name == "" {
					out.OS.Name = r.Name
				}
			}
			var host struct {
				Result struct {
					Name string `json:"host-name"`
				} `json:"result"`
			}
			if out.HostName.Error = get("get-host-name", &host); out.HostName.Error == "" {
				out.HostName.Name = host.Result.Name
			}
			var fs struct {
				Result []struct {
					Name  string   `json:"name"`
					Mount string   `json:"mountpoint"`
					Type  string   `json:"type"`
					Used  *pve.Int `json:"used-bytes"`
					Total *pve.Int `json:"total-bytes"`
				} `json:"result"`
			}
			if out.FileSystems.Error = get("get-fsinfo", &fs); out.FileSystems.Error == "" {
				for _, f := range fs.Result {
					e := agentFS{Mountpoint: f.Mount, Type: f.Type, Device: f.Name}
					if f.Used != nil && f.Total != nil {
						used, total := int64(*f.Used), int64(*f.Total)
						e.UsedBytes, e.TotalBytes = &used, &total
						e.Used = usedWords(used, total)
					}
					out.FileSystems.Items = append(out.FileSystems.Items, e)
				}
			}
			var users struct {
				Result []struct {
					User   string    `json:"user"`
					Domain string    `json:"domain"`
					Login  pve.Float `json:"login-time"`
				} `json:"result"`
			}
			if out.Users.Error = get("get-users", &users); out.Users.Error == "" {
				for _, u := range users.Result {
					e := agentUser{User: u.User, Domain: u.Domain}
					if u.Login > 0 {
						sec, frac := math.Modf(float64(u.Login))
						e.LoginTime = time.Unix(int64(sec), int64(frac*1e9)).UTC().Format(time.RFC3339)
					}
					out.Users.Items = append(out.Users.Items, e)
				}
			}
			return out, nil
		}))
}

func usedWords(used, total int64) string {
	if total <= 0 {
		return ""
	}
	return fmt.Sprintf("%s of %s (%.0f%%)", gib(used), gib(total), float64(used)*100/float64(total))
}

func gib(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// agentReason is Proxmox's reason for a failed request, without the request line.
func agentReason(err error) string {
	var api *pve.APIError
	if errors.As(err, &api) && api.Message != "" {
		return api.Message
	}
	return err.Error()
}

// agentError words why an agent request failed, with what to do when the
// cause is one of assert_agent_available's: no agent configured, the VM
// not running, or the agent not answering (where the config tells whether
// it is switched off).
func (c *call) agentError(ctx context.Context, node NodeName, vmid VMID, err error) string {
	reason := agentReason(err)
	switch {
	case strings.Contains(reason, "No QEMU guest agent configured"):
		return reason + ": enable it with pve_vm_set_config extra {\"agent\": \"enabled=1\"}, install qemu-guest-agent in the guest, " +
			"then shut the VM down and start it (the agent's device is added at start)"
	case strings.Contains(reason, fmt.Sprintf("VM %d is not running", vmid)):
		return reason + ": start it with pve_vm_start; the agent answers once the guest has booted"
	case strings.Contains(reason, "QEMU guest agent is not running"):
		if on, set := c.agentEnabled(ctx, node, vmid); set && !on {
			return reason + ": the agent is switched off in the VM's config; enable it with pve_vm_set_config extra {\"agent\": \"enabled=1\"}, " +
				"then shut the VM down and start it"
		}
		return reason + ": the VM runs but qemu-guest-agent in it does not answer: the guest may still be booting (retry in a minute), " +
			"or the agent is not installed or not started in the guest (e.g. apt install qemu-guest-agent; systemctl enable --now qemu-guest-agent), " +
			"or it was enabled while the VM ran (shut the VM down and start it)"
	}
	return reason
}

// agentEnabled reads the VM's agent setting: set is false when the config
// has none or cannot be read.
func (c *call) agentEnabled(ctx context.Context, node NodeName, vmid VMID) (on, set bool) {
	conf, err := c.configStrings(ctx, qemuKind.path(node, vmid, "config"))
	if err != nil {
		return false, false
	}
	v, ok := conf["agent"]
	if !ok {
		return false, false
	}
	enabled := ""
	for _, part := range strings.Split(v, ",") {
		k, val, kv := strings.Cut(part, "=")
		switch {
		case !kv:
			enabled = k
		case k == "enabled":
			enabled = val
		}
	}
	b, _ := pveschema.ParseBool(enabled)
	return b, true
}
