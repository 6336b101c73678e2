package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// rpcCodes gives the SDK's plain errors a JSON-RPC code: the SDK sends
// them with code 0, which no JSON-RPC client can classify. A second
// initialize is an invalid request in the session's state (as the
// TypeScript SDK answers it); any other plain error is an internal one.
func rpcCodes(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		res, err := next(ctx, method, req)
		var rpcErr *jsonrpc.Error
		if err == nil || errors.As(err, &rpcErr) || errors.Is(err, context.Canceled) {
			return res, err
		}
		code := int64(jsonrpc.CodeInternalError)
		if method == "initialize" && strings.Contains(err.Error(), "duplicate") {
			code = jsonrpc.CodeInvalidRequest
			err = errors.New("invalid request: the session is already initialized; initialize is sent once")
		}
		return res, &jsonrpc.Error{Code: code, Message: err.Error()}
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
