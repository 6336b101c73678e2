package tools

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// The last step of pve_vm_provision: the guest agent's addresses, or
// without an agent what Proxmox knows from cloud-init's ipconfig.

type agentIface struct {
	Name string `json:"name"`
	MAC  string `json:"hardware-address"`
	IPs  []struct {
		Type   string  `json:"ip-address-type"`
		Addr   string  `json:"ip-address"`
		Prefix pve.Int `json:"prefix"`
	} `json:"ip-addresses"`
}

func (c *call) provisionAddresses(ctx context.Context, out *provisionOut, node NodeName, vmid VMID, agent bool, timeoutSec int) error {
	if !agent || timeoutSec == 0 {
		why := "no guest agent configured (the VM needs agent: 1 and the image qemu-guest-agent)"
		if agent {
			why = "not waited for (agent_timeout 0)"
		}
		return c.ipconfigFallback(ctx, out, node, vmid, why)
	}
	path := qemuKind.path(node, vmid, "agent", "network-get-interfaces")
	deadline := time.Now().Add(time.Duration(timeoutSec) * time.Second)
	pause := agentPollFirst
	var last error
	for {
		var res struct {
			Result []agentIface `json:"result"`
		}
		err := c.PVE.Get(ctx, path, nil, &res)
		switch {
		case err == nil:
			addrs := agentAddrs(res.Result)
			if len(addrs) > 0 {
				out.Addresses, out.Source = addrs, "guest agent"
				out.Steps = append(out.Steps, provisionStep{Step: "agent", Status: "ok", Detail: "the guest agent answered"})
				return nil
			}
			last = errors.New("the agent answers, but the guest has no address yet")
		case strings.Contains(err.Error(), "No QEMU guest agent configured"):
			return c.ipconfigFallback(ctx, out, node, vmid, "no guest agent configured")
		case pve.IsPermission(err):
			return fmt.Errorf("reading the guest agent was refused: %w (it needs VM.GuestAgent.Audit on /vms/%d on PVE 9, VM.Monitor on earlier releases)", err, vmid)
		case errors.Is(err, guard.ErrRefused):
			return err
		case ctx.Err() != nil:
			return fmt.Errorf("waiting for the guest agent: %w", ctx.Err())
		default:
			last = err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("the guest agent gave no address within %ds (last answer: %v); the guest may still be booting, or its image lacks qemu-guest-agent", timeoutSec, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the guest agent: %w", ctx.Err())
		case <-time.After(min(pause, left)):
		}
		pause = min(2*pause, agentPollMax)
	}
}

// agentAddrs keeps the interfaces with an address a client could reach:
// no loopback, no link-local.
func agentAddrs(list []agentIface) []guestAddr {
	var out []guestAddr
	for _, i := range list {
		a := guestAddr{Iface: i.Name, MAC: i.MAC}
		for _, ip := range i.IPs {
			addr, err := netip.ParseAddr(ip.Addr)
			if err != nil || addr.IsLoopback() || addr.IsLinkLocalUnicast() || addr.IsUnspecified() {
				continue
			}
			s := addr.String() + "/" + strconv.Itoa(int(ip.Prefix))
			if addr.Is4() {
				a.IPv4 = append(a.IPv4, s)
			} else {
				a.IPv6 = append(a.IPv6, s)
			}
		}
		if len(a.IPv4)+len(a.IPv6) > 0 {
			out = append(out, a)
		}
	}
	return out
}

// ipconfigFallback reports the static addresses of the VM's ipconfigN.
func (c *call) ipconfigFallback(ctx context.Context, out *provisionOut, node NodeName, vmid VMID, why string) error {
	out.Steps = append(out.Steps, provisionStep{Step: "agent", Status: "skipped", Detail: why})
	cfg, err := c.configStrings(ctx, qemuKind.path(node, vmid, "config"))
	if err != nil {
		out.Note = "without the agent the addresses could not be read from the config either: " + err.Error()
		return nil
	}
	out.Source = "cloud-init ipconfig (what Proxmox told the guest; not confirmed by an agent)"
	var dhcp []string
	for i := 0; i < 32; i++ {
		n := strconv.Itoa(i)
		ipc, ok := cfg["ipconfig"+n]
		if _, hasNet := cfg["net"+n]; !hasNet {
			continue
		}
		a := guestAddr{Iface: "net" + n, MAC: macOfNet(cfg["net"+n])}
		ip4, ip6 := "dhcp", ""
		if ok {
			ip4, ip6 = propOf(ipc, "ip"), propOf(ipc, "ip6")
		}
		for _, v := range []string{ip4, ip6} {
			switch {
			case v == "dhcp" || v == "auto":
				dhcp = append(dhcp, "net"+n+" "+v)
			case strings.Contains(v, ":"):
				a.IPv6 = append(a.IPv6, v)
			case v != "":
				a.IPv4 = append(a.IPv4, v)
			}
		}
		if len(a.IPv4)+len(a.IPv6) > 0 {
			out.Addresses = append(out.Addresses, a)
		}
	}
	if len(dhcp) > 0 {
		slices.Sort(dhcp)
		out.Note = "addresses from DHCP or SLAAC (" + strings.Join(dhcp, ", ") + ") are known only to the guest agent or the network's DHCP server"
	}
	return nil
}

// propOf reads key= from a property string.
func propOf(prop, key string) string {
	for _, part := range strings.Split(prop, ",") {
		if v, ok := strings.CutPrefix(part, key+"="); ok {
			return v
		}
	}
	return ""
}

// macOfNet reads the MAC of a netN value: model=MAC or macaddr=.
func macOfNet(v string) string {
	first, _, _ := strings.Cut(v, ",")
	if _, mac, ok := strings.Cut(first, "="); ok && strings.Count(mac, ":") == 5 {
		return strings.ToLower(mac)
	}
	return strings.ToLower(propOf(v, "macaddr"))
}
