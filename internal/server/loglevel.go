package server

import (
	"context"
	"fmt"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// logLevels are the syslog levels MCP's logging/setLevel takes. The
// server does not advertise logging (deprecated by SEP-2577), but an older
// client may still send setLevel; the SDK answers it.
//
//lint:ignore SA1019 validating what older clients send
var logLevels = []mcp.LoggingLevel{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}

// checkLogLevel refuses logging/setLevel with a level MCP does not define;
// the SDK would store any string, and then compare it as the lowest level.
func checkLogLevel(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method == "logging/setLevel" {
			p, ok := req.GetParams().(*mcp.SetLoggingLevelParams) //lint:ignore SA1019 see logLevels
			if !ok || p == nil || !slices.Contains(logLevels, p.Level) {
				level := ""
				if ok && p != nil {
					level = string(p.Level)
				}
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams,
					Message: fmt.Sprintf("invalid log level %q: expected one of %v", level, logLevels)}
			}
		}
		return next(ctx, method, req)
	}
}
