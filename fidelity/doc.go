// Package fidelity drives the `proxmox-mcp-server sim` command with a real,
// widely used Proxmox API client library that no one here wrote
// (github.com/luthermonson/go-proxmox), through the library's own API, as a
// black-box run of issue 13 would. It is a nested module so the library never
// becomes a dependency of the product; its tests build the binary from the
// parent module and talk to it over loopback HTTPS only.
package fidelity
