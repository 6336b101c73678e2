// The Tasks extension (io.modelcontextprotocol/tasks) through the official
// TypeScript SDK client: it declares the extension, and sends the tasks/*
// requests with its generic request() (its own tasks API speaks the
// 2025-11-25 experimental form, not the extension's).
import { ElicitRequestSchema, ResultSchema } from "@modelcontextprotocol/sdk/types.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(client, check, taskId, status) {
  for (let i = 0; i < 300; i++) {
    const t = await client.request({ method: "tasks/get", params: { taskId } }, ResultSchema);
    check(t.taskId === taskId && t.resultType === "complete", `tasks/get: ${JSON.stringify(t)}`);
    if (t.status !== "working") {
      check(t.status === status, `task ended ${t.status}, want ${status}: ${JSON.stringify(t)}`);
      return t;
    }
    await sleep(Math.min(t.pollIntervalMs ?? 1000, 300));
  }
  throw new Error(`task ${taskId} still working`);
}

export default async function scenario(client, check) {
  const asked = [];
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(req.params.message);
    return { action: "accept", content: {} };
  });
  const call = (name, args) => client.request({ method: "tools/call", params: { name, arguments: args } }, ResultSchema);

  const started = await call("pve_vm_start", { node: "pve1", vmid: 101 });
  check(started.resultType === "task" && started.status === "working", `start: ${JSON.stringify(started)}`);
  const done = await until(client, check, started.taskId, "completed");
  check(!done.result.isError && done.result.structuredContent.exitStatus === "OK", `start result: ${JSON.stringify(done.result)}`);

  const clone = await call("pve_vm_clone", { node: "pve1", vmid: 9000, newid: 770, full: true });
  check(clone.resultType === "task", `clone: ${JSON.stringify(clone)}`);
  const ack = await client.request({ method: "tasks/cancel", params: { taskId: clone.taskId } }, ResultSchema);
  check(ack.resultType === "complete", `cancel: ${JSON.stringify(ack)}`);
  check(asked.length === 1 && asked[0].startsWith("Stop the qmclone task on pve1"), `questions: ${JSON.stringify(asked)}`);
  const cancelled = await until(client, check, clone.taskId, "cancelled");
  return { start: done.result.structuredContent, cancelled: cancelled.statusMessage, asked };
}

scenario.capabilities = { elicitation: {}, extensions: { "io.modelcontextprotocol/tasks": {} } };
