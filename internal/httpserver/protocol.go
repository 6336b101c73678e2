package httpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const (
	protocolHeader = "Mcp-Protocol-Version"
	// sessionlessVersion is the first protocol version without sessions
	// (SEP-2575): no initialize, no resumable streams, no ping or
	// logging/setLevel. The SDK serves it only without sessions.
	sessionlessVersion = "2026-07-28"
	// latestSessionVersion is the newest version with the initialize
	// handshake, which a stateful server negotiates.
	latestSessionVersion = "2025-11-25"
)

// sessionVersions are the protocol versions a stateful server speaks.
var sessionVersions = slices.DeleteFunc(mcp.SupportedProtocolVersions(), func(v string) bool { return v >= sessionlessVersion })

// refuseDiscover answers server/discover on a stateful server. The SDK
// answers it with a success listing only the session versions, which
// mark3labs/mcp-go reads as agreement to 2026-07-28 and then sees every
// later request refused. The error the SDK gives every other 2026-07-28
// request here, UnsupportedProtocolVersion with the versions it supports,
// makes mcp-go and the go-sdk client alike fall back to initialize.
func refuseDiscover(w http.ResponseWriter, r *http.Request, msg message) {
	requested := msg.version
	if requested == "" {
		requested = r.Header.Get(protocolHeader)
	}
	data, _ := json.Marshal(mcp.UnsupportedProtocolVersionData{Supported: sessionVersions, Requested: requested})
	writeRPCErrorData(w, http.StatusBadRequest, msg.id, mcp.CodeUnsupportedProtocolVersion, fmt.Sprintf(
		"protocol version %q is not served with sessions; use initialize with one of %v, or run the server with --stateless",
		requested, sessionVersions), data)
}

// asSessionRequest lets a stateless server answer ping and
// logging/setLevel sent with a 2026-07-28 header but without the _meta that
// version requires. The go-sdk client sends them so; 2026-07-28 dropped both
// methods, and the SDK refuses them for the missing _meta. Served as the
// 2025-11-25 requests they are, a ping is answered and a level is checked
// (it lasts, as every stateless setting, for that request only).
func asSessionRequest(r *http.Request, msg message) {
	if (msg.method == "ping" || msg.method == "logging/setLevel") && msg.version == "" &&
		r.Header.Get(protocolHeader) >= sessionlessVersion {
		r.Header.Set(protocolHeader, latestSessionVersion)
	}
}

// capabilityGate answers the prompts, resources and completion methods with
// MethodNotFound when the server declared no such capability: the SDK
// answers prompts/list with an empty list all the same, which tells a
// 2026-07-28 client the server has prompts after all (a MUST of SEP-2575).
// The declared capabilities are read off the server's own initialize and
// server/discover answers.
type capabilityGate struct {
	caps atomic.Pointer[mcp.ServerCapabilities]
}

func (g *capabilityGate) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if c := g.caps.Load(); c != nil {
			if family := undeclared(c, method); family != "" {
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeMethodNotFound,
					Message: fmt.Sprintf("method %q not found: this server has no %s", method, family)}
			}
		}
		res, err := next(ctx, method, req)
		switch r := res.(type) {
		case *mcp.InitializeResult:
			if r != nil && r.Capabilities != nil {
				g.caps.Store(r.Capabilities)
			}
		case *mcp.DiscoverResult:
			if r != nil && r.Capabilities != nil {
				g.caps.Store(r.Capabilities)
			}
		}
		return res, err
	}
}

// undeclared names the capability method belongs to when c lacks it.
func undeclared(c *mcp.ServerCapabilities, method string) string {
	switch {
	case strings.HasPrefix(method, "prompts/") && c.Prompts == nil:
		return "prompts"
	case strings.HasPrefix(method, "resources/") && c.Resources == nil:
		return "resources"
	case method == "completion/complete" && c.Completions == nil:
		return "completions"
	}
	return ""
}
