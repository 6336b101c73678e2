// Command proxmox-mcp-server serves the Model Context Protocol for a Proxmox VE cluster.
package main

import (
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/modelcontextprotocol/go-sdk/mcp"
	_ "go.uber.org/goleak"
)

func main() {}
