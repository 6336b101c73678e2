// Prompts: list them, get one with its argument, and one refused.
export default async function (client, check) {
  const { prompts } = await client.listPrompts();
  const got = await client.getPrompt({ name: "troubleshoot_guest", arguments: { vmid: "100", symptom: "slow" } });
  const drain = await client.getPrompt({ name: "drain_node", arguments: { node: "pve1" } });
  const errors = [];
  for (const req of [{ name: "troubleshoot_guest", arguments: {} }, { name: "troubleshoot_guest", arguments: { vmid: "102" } }]) {
    try {
      await client.getPrompt(req);
      errors.push("no error");
    } catch (err) {
      errors.push(err.message);
    }
  }
  check(got.messages.length === 1 && got.messages[0].role === "user", `messages: ${JSON.stringify(got)}`);
  return {
    prompts: prompts.map((p) => ({ name: p.name, args: (p.arguments ?? []).map((a) => a.name + (a.required ? "!" : "")) })),
    troubleshoot: got.messages[0].content.text,
    drain: drain.messages[0].content.text,
    errors,
  };
}
