// Completions: node names and guest ids for prompt arguments and resource
// template variables, with the guests' labels in _meta.
export default async function (client, check) {
  const caps = client.getServerCapabilities();
  check(caps.completions !== undefined, `no completions capability: ${JSON.stringify(caps)}`);
  const complete = (ref, name, value, args) =>
    client.complete({ ref, argument: { name, value }, ...(args ? { context: { arguments: args } } : {}) });
  const nodes = await complete({ type: "ref/prompt", name: "drain_node" }, "node", "");
  const guests = await complete({ type: "ref/prompt", name: "troubleshoot_guest" }, "vmid", "");
  const byName = await complete({ type: "ref/prompt", name: "troubleshoot_guest" }, "vmid", "web");
  const configs = await complete({ type: "ref/resource", uri: "pve://{node}/qemu/{vmid}/config" }, "vmid", "", { node: "pve1" });
  const snaps = await complete({ type: "ref/prompt", name: "troubleshoot_guest" }, "snapshot", "", { vmid: "100" });
  return {
    nodes: nodes.completion.values,
    guests: guests.completion.values,
    labels: guests._meta?.["io.github.proxmox-mcp/labels"] ?? {},
    byName: byName.completion.values,
    configs: configs.completion.values,
    snapshots: snaps.completion.values,
  };
}
