// MCP Apps (io.modelcontextprotocol/ui): a client that declares the
// extension gets the view, served with its MIME type and _meta, the tools
// linked to it, and a confirm card instead of a delete.
const UI = "io.modelcontextprotocol/ui";
const MIME = "text/html;profile=mcp-app";

export default async function scenario(client, check) {
  check(client.getServerCapabilities()?.extensions?.[UI], "the server does not declare the extension");
  const { tools } = await client.listTools();
  const byName = new Map(tools.map((t) => [t.name, t]));
  const uri = byName.get("pve_vm_delete")?._meta?.ui?.resourceUri;
  check(uri === "ui://proxmox-mcp/app.html", `pve_vm_delete links ${uri}`);
  check(JSON.stringify(byName.get("pve_app_confirm")?._meta?.ui?.visibility) === '["app"]', "pve_app_confirm is not app-only");
  const { resources } = await client.listResources();
  const listed = resources.find((r) => r.uri === uri);
  check(listed?.mimeType === MIME, `resources/list: ${JSON.stringify(listed)}`);
  const { contents } = await client.readResource({ uri });
  const view = contents[0];
  check(view.mimeType === MIME && view.text.startsWith("<!doctype html>"), `resources/read: ${view.mimeType}`);
  const csp = view._meta?.ui?.csp ?? {};
  check(["connectDomains", "resourceDomains", "frameDomains", "baseUriDomains"].every((k) => Array.isArray(csp[k]) && csp[k].length === 0),
    `csp: ${JSON.stringify(csp)}`);
  const del = await client.callTool({ name: "pve_vm_delete", arguments: { node: "pve1", vmid: 101, confirm: true, confirmVmid: 101 } });
  const card = del._meta?.["proxmox-mcp/card"];
  check(del.isError && card?.token, `the delete ran without the card: ${JSON.stringify(del)}`);
  const left = await client.callTool({ name: "pve_cluster_resources", arguments: { type: "vm", fields: "vmid", limit: 0 } });
  check(left.structuredContent.items.some((g) => g.vmid === 101), "the model's delete deleted the guest");
  return { tools: tools.length, action: card.action };
}
scenario.capabilities = { extensions: { [UI]: { mimeTypes: [MIME] } } };
