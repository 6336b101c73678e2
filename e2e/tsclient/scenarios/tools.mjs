// The baseline: the TypeScript client lists the tools and calls one.
export default async function (client, check) {
  const { tools } = await client.listTools();
  check(tools.some((t) => t.name === "pve_list_nodes"), "pve_list_nodes is not listed");
  const res = await client.callTool({ name: "pve_list_nodes", arguments: {} });
  check(!res.isError, `pve_list_nodes failed: ${JSON.stringify(res)}`);
  const text = res.content.map((c) => c.text ?? "").join("");
  check(text.includes("pve1"), `pve_list_nodes did not name pve1: ${text}`);
  return { tools: tools.length, server: client.getServerVersion() };
}
