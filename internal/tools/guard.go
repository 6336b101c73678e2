package tools

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Guard holds the allowlists and checks every identifier a call names.
type Guard struct {
	nodes []string // empty: every node
	vmids []int    // empty: every guest
}

// NewGuard builds a guard from the configured allowlists.
func NewGuard(nodes []string, vmids []int) *Guard {
	return &Guard{nodes: slices.Clone(nodes), vmids: slices.Clone(vmids)}
}

var nodeRe = regexp.MustCompile(nodePattern)

// Node validates a node name argument and checks it against PVE_NODE_ALLOWLIST.
func (g *Guard) Node(arg string, n NodeName) error {
	s := string(n)
	if len(s) > 63 || !nodeRe.MatchString(s) {
		return fmt.Errorf("invalid argument %q: got %q; expected %s", arg, s, hints[nodePattern])
	}
	if len(g.nodes) > 0 && !slices.Contains(g.nodes, s) {
		return fmt.Errorf("%w: %s %q is not in PVE_NODE_ALLOWLIST (%s)", errRefused, arg, s, strings.Join(g.nodes, ", "))
	}
	return nil
}

// VMID validates a guest id argument and checks it against PVE_VMID_ALLOWLIST.
func (g *Guard) VMID(arg string, id VMID) error {
	if id < 100 || id > 999999999 {
		return fmt.Errorf("invalid argument %q: got %d; expected a guest id from 100 to 999999999", arg, id)
	}
	if len(g.vmids) > 0 && !slices.Contains(g.vmids, int(id)) {
		return fmt.Errorf("%w: %s %d is not in PVE_VMID_ALLOWLIST (%s)", errRefused, arg, id, joinInts(g.vmids))
	}
	return nil
}

// NodeAllowed tells whether list entries on node n may be shown.
func (g *Guard) NodeAllowed(n string) bool {
	return len(g.nodes) == 0 || slices.Contains(g.nodes, n)
}

// VMIDAllowed tells whether list entries about guest id may be shown.
func (g *Guard) VMIDAllowed(id int) bool {
	return len(g.vmids) == 0 || slices.Contains(g.vmids, id)
}

// HasVMIDList reports whether a guest-id allowlist is set.
func (g *Guard) HasVMIDList() bool { return len(g.vmids) > 0 }

// confirm refuses a destructive call without confirm: true or with a failed
// echo check (more), then asks the user where the client can. what says, in
// plain words, what the call would do.
func (c *call) confirm(ok bool, what string, more ...error) error {
	if !ok {
		return fmt.Errorf("%w: this would %s; set confirm: true to proceed", errRefused, what)
	}
	for _, err := range more {
		if err != nil {
			return err
		}
	}
	return c.ask(what)
}

// echoVMID refuses when confirmVmid differs from the target.
func echoVMID(vmid, echo VMID) error {
	if vmid != echo {
		return fmt.Errorf("%w: confirmVmid %d does not match vmid %d; repeat the target's id in confirmVmid", errRefused, echo, vmid)
	}
	return nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// HasNodeList reports whether a node allowlist is set.
func (g *Guard) HasNodeList() bool { return len(g.nodes) > 0 }
