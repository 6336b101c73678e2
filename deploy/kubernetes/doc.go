// Package kubernetes holds the Kubernetes manifests of proxmox-mcp-server
// (kubectl apply -k deploy/kubernetes) and their test: every manifest
// decodes strictly into the Kubernetes API types (an unknown or misspelt
// field fails), and the Deployment keeps the invariants the server needs
// (stateless mode, the probe paths and environment variables the server
// really has, the secrets as files, a locked-down security context).
package kubernetes
