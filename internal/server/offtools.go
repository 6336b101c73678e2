package server

import (
	"context"
	"errors"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// explainOffTools replaces the SDK's "unknown tool" answer to tools/call
// with why the tool is off (read-only mode, PVE_DISABLE_DESTRUCTIVE, a
// toolset not enabled) and the setting that turns it on.
func explainOffTools(box *tools.Toolbox) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			var rpcErr *jsonrpc.Error
			if method != "tools/call" || !errors.As(err, &rpcErr) || !strings.HasPrefix(rpcErr.Message, "unknown tool") {
				return res, err
			}
			call, ok := req.(*mcp.CallToolRequest)
			if !ok || call.Params == nil {
				return res, err
			}
			if why := box.WhyOff(call.Params.Name); why != "" {
				return res, &jsonrpc.Error{Code: rpcErr.Code, Message: why}
			}
			return res, err
		}
	}
}
