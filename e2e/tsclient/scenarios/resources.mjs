// Resources: list and read (a fixed one, templates, a refused one), and a
// task log subscription that is told of new lines until the task ends.
// The Go test sets PVE_NODE_ALLOWLIST=pve1 and PVE_VMID_ALLOWLIST=100,101,200.
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

const json = (res) => JSON.parse(res.contents[0].text);

export default async function (client, check) {
  const caps = client.getServerCapabilities();
  check(caps.resources?.subscribe === true, `resources capability: ${JSON.stringify(caps)}`);
  const { resources } = await client.listResources();
  const { resourceTemplates } = await client.listResourceTemplates();
  const cluster = json(await client.readResource({ uri: "pve://cluster" }));
  const node = json(await client.readResource({ uri: "pve://nodes/pve1" }));
  const vm = json(await client.readResource({ uri: "pve://pve1/qemu/100/config" }));
  const ct = json(await client.readResource({ uri: "pve://pve1/lxc/200/config" }));
  const refused = [];
  for (const uri of ["pve://pve2/qemu/102/config", "pve://pve1/qemu/103/config", "pve://nodes/pve3"]) {
    try {
      await client.readResource({ uri });
      refused.push(`${uri}: read`);
    } catch (err) {
      refused.push(`${uri}: ${err.message}`);
    }
  }

  // A task log: start VM 101 without waiting, subscribe, count the updates.
  const updates = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updates.push(n.params.uri));
  const start = await client.callTool({ name: "pve_vm_start", arguments: { node: "pve1", vmid: 101, async: true } });
  check(!start.isError, `pve_vm_start: ${JSON.stringify(start)}`);
  const upid = start.structuredContent.upid;
  const uri = `pve://tasks/${encodeURIComponent(upid)}/log`;
  await client.subscribeResource({ uri });
  let task;
  for (let i = 0; i < 300; i++) {
    task = json(await client.readResource({ uri }));
    if (task.status === "stopped") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (let i = 0; i < 50 && !updates.includes(uri); i++) await new Promise((r) => setTimeout(r, 100));
  await client.unsubscribeResource({ uri });
  return {
    uris: resources.map((r) => r.uri),
    templates: resourceTemplates.map((t) => t.uriTemplate).sort(),
    clusterNodes: cluster.nodes.map((n) => n.node),
    guests: cluster.guests.list.map((g) => g.vmid),
    nodeGuests: node.guests.total,
    vmName: vm.config.name,
    ctHostname: ct.config.hostname,
    refused,
    task: { status: task.status, exitstatus: task.exitstatus, logLines: task.logLines },
    updates: updates.filter((u) => u === uri).length,
  };
}
