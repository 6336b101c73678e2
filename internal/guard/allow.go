package guard

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// ErrRefused marks the guard's refusals, so callers and tests can tell them
// from Proxmox's errors.
var ErrRefused = errors.New("refused")

// Allowlist is PVE_NODE_ALLOWLIST and PVE_VMID_ALLOWLIST.
type Allowlist struct {
	nodes []string // empty: every node (unless noNodes)
	vmids []int    // empty: every guest (unless noVMIDs)
	// noNodes, noVMIDs: lists narrowed to nothing (Narrow), which admit none.
	noNodes, noVMIDs bool
}

// Narrow is the allowlist that admits what both a and b admit: a
// cluster's lists narrowed by a principal's policy.
func (a Allowlist) Narrow(b Allowlist) Allowlist {
	out := Allowlist{noNodes: a.noNodes || b.noNodes, noVMIDs: a.noVMIDs || b.noVMIDs}
	out.nodes, out.noNodes = narrowList(a.nodes, b.nodes, out.noNodes)
	out.vmids, out.noVMIDs = narrowList(a.vmids, b.vmids, out.noVMIDs)
	return out
}

func narrowList[T comparable](a, b []T, none bool) ([]T, bool) {
	switch {
	case none:
		return nil, true
	case len(a) == 0:
		return slices.Clone(b), false
	case len(b) == 0:
		return slices.Clone(a), false
	}
	var out []T
	for _, v := range a {
		if slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out, len(out) == 0
}

// NewAllowlist copies the configured lists.
func NewAllowlist(nodes []string, vmids []int) Allowlist {
	return Allowlist{nodes: slices.Clone(nodes), vmids: slices.Clone(vmids)}
}

// Node checks a node name argument (arg names it in the error).
func (a Allowlist) Node(arg, node string) error {
	if !pveid.ValidNode(node) {
		return fmt.Errorf("invalid argument %q: got %q; expected a node name (letters, digits and '-', as pvecm nodes shows)", arg, node)
	}
	if !a.NodeAllowed(node) {
		return fmt.Errorf("%w: %s %q is not in PVE_NODE_ALLOWLIST (%s)", ErrRefused, arg, node, orNone(strings.Join(a.nodes, ", ")))
	}
	return nil
}

// VMID checks a guest id argument.
func (a Allowlist) VMID(arg string, id int) error {
	if !pveid.ValidVMID(id) {
		return fmt.Errorf("invalid argument %q: got %d; expected a guest id from %d to %d", arg, id, pveid.MinVMID, pveid.MaxVMID)
	}
	if !a.VMIDAllowed(id) {
		return fmt.Errorf("%w: %s %d is not in PVE_VMID_ALLOWLIST (%s)", ErrRefused, arg, id, orNone(joinInts(a.vmids)))
	}
	return nil
}

// NodeAllowed tells whether node n may be touched or shown.
func (a Allowlist) NodeAllowed(n string) bool {
	return !a.noNodes && (len(a.nodes) == 0 || slices.Contains(a.nodes, n))
}

// VMIDAllowed tells whether guest id may be touched or shown.
func (a Allowlist) VMIDAllowed(id int) bool {
	return !a.noVMIDs && (len(a.vmids) == 0 || slices.Contains(a.vmids, id))
}

// VMIDs is PVE_VMID_ALLOWLIST in ascending order (empty: every guest).
func (a Allowlist) VMIDs() []int {
	ids := slices.Clone(a.vmids)
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Nodes is PVE_NODE_ALLOWLIST (empty: every node, unless HasNodes).
func (a Allowlist) Nodes() []string { return slices.Clone(a.nodes) }

// HasNodes reports whether a node allowlist is set.
func (a Allowlist) HasNodes() bool { return len(a.nodes) > 0 || a.noNodes }

// HasVMIDs reports whether a guest-id allowlist is set.
func (a Allowlist) HasVMIDs() bool { return len(a.vmids) > 0 || a.noVMIDs }

// Any reports whether either list is set.
func (a Allowlist) Any() bool { return a.HasNodes() || a.HasVMIDs() }

// orNone shows an allowlist narrowed to nothing.
func orNone(list string) string {
	if list == "" {
		return "none: the policy and the cluster's lists have no entry in common"
	}
	return list
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
