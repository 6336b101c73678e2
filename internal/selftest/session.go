package selftest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
)

// toolsets are the ones the sweep calls into.
var toolsets = []string{"cluster", "nodes", "tasks", "qemu", "lxc", "guestops", "snapshots",
	"storage", "network", "backup", "backupjobs", "api"}

// session is an MCP client session with the server built the way the
// binary builds it, writes enabled.
type session struct {
	cs *mcp.ClientSession
	ss *mcp.ServerSession
}

// sweepConfig is cfg with writes (destructive ones too) and the sweep's
// toolsets enabled, whatever PVE_READONLY and the tool selection say.
func sweepConfig(cfg *config.Config) *config.Config {
	c := *cfg
	c.ReadOnly, c.DisableDestructive, c.HideUnpermitted = false, false, false
	c.Toolsets, c.Tools, c.ExcludeTools = toolsets, nil, nil
	return &c
}

// connect builds the server on a Proxmox client and connects an in-memory
// client session whose elicitation handler accepts every question: the
// sweep asks only about what it made itself.
func connect(cfg *config.Config, logger *slog.Logger) (*session, error) {
	client, err := server.NewClient(cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("selftest: proxmox client: %w", err)
	}
	ms, err := server.New(cfg, client, logger)
	if err != nil {
		return nil, fmt.Errorf("selftest: mcp server: %w", err)
	}
	// The session outlives the sweep's context: cleanup still needs it
	// after Ctrl-C.
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := ms.Connect(ctx, st, nil)
	if err != nil {
		return nil, fmt.Errorf("selftest: server session: %w", err)
	}
	accept := func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		return &mcp.ElicitResult{Action: "accept", Content: map[string]any{}}, nil
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "proxmox-mcp-selftest", Version: server.Version()},
		&mcp.ClientOptions{ElicitationHandler: accept}).Connect(ctx, ct, nil)
	if err != nil {
		ss.Close()
		return nil, fmt.Errorf("selftest: client session: %w", err)
	}
	return &session{cs: cs, ss: ss}, nil
}

func (s *session) close() {
	s.cs.Close()
	s.ss.Wait()
}

// call calls a tool and decodes its structured result into out (when not
// nil); a tool error becomes an error with the tool's text.
func (s *session) call(ctx context.Context, name string, args map[string]any, out any) error {
	res, err := s.cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if res.IsError {
		var texts []string
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				texts = append(texts, tc.Text)
			}
		}
		return fmt.Errorf("%s: %s", name, strings.Join(texts, " "))
	}
	if out == nil {
		return nil
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return fmt.Errorf("%s: result: %w", name, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: decode result: %w", name, err)
	}
	return nil
}

// taskResult is what a task-starting tool answers.
type taskResult struct {
	UPID       string `json:"upid"`
	Status     string `json:"status"`
	ExitStatus string `json:"exitStatus"`
}

// task calls a task-starting tool and wants the task to have ended OK.
func (s *session) task(ctx context.Context, name string, args map[string]any) error {
	var t taskResult
	if err := s.call(ctx, name, args, &t); err != nil {
		return err
	}
	if !strings.HasPrefix(t.ExitStatus, "OK") && !strings.HasPrefix(t.ExitStatus, "WARNINGS") {
		return fmt.Errorf("%s: task %s ended %q", name, t.UPID, t.ExitStatus)
	}
	return nil
}

// m builds tool arguments from key, value pairs.
func m(kv ...any) map[string]any {
	out := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}
