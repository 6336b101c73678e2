package mcpctx

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// arg is a prompt argument; kind says what completes it and how it is
// checked ("node", "guest", "vmtemplate", "storage", "snapshot", "iso",
// "text").
type arg struct {
	name, desc, kind string
	required         bool
	content          string // storage: the content type it must hold
}

// prompt is a runbook: its text names the tools to call and their safety
// steps, with the arguments filled in.
type prompt struct {
	name, title, desc string
	args              []arg
	text              func(a map[string]string) string
}

// or is a's value for k, or def when it was not given.
func or(a map[string]string, k, def string) string {
	if v := a[k]; v != "" {
		return v
	}
	return def
}

// Prompts is the list of runbooks, for tests that check the tools they name.
func Prompts() []*mcp.Prompt {
	var out []*mcp.Prompt
	for _, p := range runbooks() {
		out = append(out, p.def())
	}
	return out
}

func (p prompt) def() *mcp.Prompt {
	d := &mcp.Prompt{Name: p.name, Title: p.title, Description: p.desc}
	for _, a := range p.args {
		d.Arguments = append(d.Arguments, &mcp.PromptArgument{Name: a.name, Description: a.desc, Required: a.required})
	}
	return d
}

func (x *Context) addPrompts(s *mcp.Server) {
	for _, p := range x.prompts() {
		s.AddPrompt(p.def(), func(ctx context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			args, err := x.checkArgs(p, x.guard(ctx).Allow(), req.Params.Arguments)
			if err != nil {
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("prompt %s: %v", p.name, err)}
			}
			return &mcp.GetPromptResult{Description: p.desc, Messages: []*mcp.PromptMessage{
				{Role: "user", Content: &mcp.TextContent{Text: p.text(args)}}}}, nil
		})
	}
}

var (
	snapName = lazyre.New(`^[A-Za-z][A-Za-z0-9_-]{0,39}$`)
	isoVolID = lazyre.New(`^[A-Za-z][A-Za-z0-9_.-]*:iso/[^/\s]+\.(iso|img)$`)
	ageText  = lazyre.New(`^[0-9]{1,4}[hdw]$`)
)

// checkArgs refuses unknown and missing arguments and values the kind or
// the allowlists refuse, naming the argument and what is accepted.
func (x *Context) checkArgs(p prompt, allow guard.Allowlist, in map[string]string) (map[string]string, error) {
	for k := range in {
		if !slices.ContainsFunc(p.args, func(a arg) bool { return a.name == k }) {
			var names []string
			for _, a := range p.args {
				names = append(names, a.name)
			}
			return nil, fmt.Errorf("unknown argument %q (accepted: %s)", k, strings.Join(names, ", "))
		}
	}
	out := map[string]string{}
	for _, a := range p.args {
		v := strings.TrimSpace(in[a.name])
		if v == "" {
			if a.required {
				return nil, fmt.Errorf("missing argument %q: %s", a.name, a.desc)
			}
			continue
		}
		switch a.kind {
		case "node":
			if err := allow.Node(a.name, v); err != nil {
				return nil, err
			}
		case "guest", "vmtemplate":
			id, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("invalid argument %q: got %q; expected a guest id from %d to %d", a.name, v, pveid.MinVMID, pveid.MaxVMID)
			}
			if err := allow.VMID(a.name, id); err != nil {
				return nil, err
			}
		case "storage":
			if !pveid.ValidStorageID(v) {
				return nil, fmt.Errorf("invalid argument %q: got %q; expected a storage id such as local-lvm", a.name, v)
			}
		case "snapshot":
			if !snapName.MatchString(v) {
				return nil, fmt.Errorf("invalid argument %q: got %q; expected a snapshot name (a letter, then letters, digits, - or _)", a.name, v)
			}
		case "iso":
			if !isoVolID.MatchString(v) {
				return nil, fmt.Errorf("invalid argument %q: got %q; expected an ISO volume STORAGE:iso/FILE.iso", a.name, v)
			}
		case "age":
			if !ageText.MatchString(v) {
				return nil, fmt.Errorf("invalid argument %q: got %q; expected a number and h, d or w, such as 36h, 7d, 2w", a.name, v)
			}
		case "cluster": // pickGuard found it among the caller's clusters
		default: // free text, kept on one line and short: it lands in the prompt as is
			v = strings.Join(strings.Fields(v), " ")
			if len(v) > 500 {
				v = v[:500]
			}
		}
		out[a.name] = v
	}
	return out, nil
}
