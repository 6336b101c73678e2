// The browser test of the MCP Apps view (.ci/apps.sh): headless Chromium
// (Debian's package) driven by playwright-core hosts the view through the
// official ext-apps AppBridge; this process is the host's MCP client, a
// session of the real server binary over stdio, against the simulator.
//
// It renders the dashboard from the simulator (and saves the screenshot
// the README shows), follows a task's progress to the end, and checks that
// the model's delete with confirm: true deletes nothing while the person's
// click on the confirm card does.
//
// usage: node test/apps.test.mjs SERVER_BINARY [SCREENSHOT]
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const [bin, shot] = process.argv.slice(2);
if (!bin) throw new Error("usage: node test/apps.test.mjs SERVER_BINARY [SCREENSHOT]");
const UI = { "io.modelcontextprotocol/ui": { mimeTypes: ["text/html;profile=mcp-app"] } };
const step = (s) => console.log(`apps: ${s}`);

// The simulator prints the PROXMOX_* lines the server needs.
function startSim() {
  const sim = spawn(bin, ["sim", "--plain-http", "--listen", "127.0.0.1:0", "--speed", "0.1"], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    sim.on("exit", (code) => reject(new Error(`sim exited (${code})`)));
    sim.stdout.on("data", (d) => {
      out += d;
      if (!out.includes("PROXMOX_TOKEN_SECRET")) return;
      const env = {};
      for (const m of out.matchAll(/^export (\w+)='?([^'\n]*?)'?$/gm)) env[m[1]] = m[2];
      resolve({ sim, env });
    });
  });
}

async function connect(env) {
  const transport = new StdioClientTransport({
    command: bin, args: [], stderr: "ignore",
    env: { ...env, PATH: process.env.PATH, PVE_READONLY: "false", PVE_TOOLSETS: "cluster,nodes,tasks,qemu,lxc,metrics" },
  });
  const client = new Client({ name: "apps-browser-test", version: "1.0.0" }, { capabilities: { extensions: UI } });
  await client.connect(transport);
  return client;
}

async function guestExists(client, vmid) {
  const r = await client.callTool({ name: "pve_cluster_resources", arguments: { type: "vm", fields: "vmid", limit: 0 } });
  return r.structuredContent.items.some((g) => g.vmid === vmid);
}

const { sim, env } = await startSim();
// The simulator goes with this process however it ends.
process.on("exit", () => sim.kill());
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => process.exit(1));
let browser, client;
try {
  client = await connect(env);
  assert.ok(client.getServerCapabilities()?.extensions?.["io.modelcontextprotocol/ui"], "the server declares the extension");
  const tools = new Map((await client.listTools()).tools.map((t) => [t.name, t]));
  const uri = tools.get("pve_cluster_resources")?._meta?.ui?.resourceUri;
  assert.equal(uri, "ui://proxmox-mcp/app.html");
  assert.deepEqual(tools.get("pve_app_confirm")?._meta?.ui?.visibility, ["app"]);
  const read = await client.readResource({ uri });
  const view = read.contents[0];
  assert.equal(view.mimeType, "text/html;profile=mcp-app");
  assert.deepEqual(view._meta.ui.csp, { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] });
  assert.equal(view.text, readFileSync(here("../../internal/apps/dist/app.html"), "utf8"), "the server serves the built file");
  step("the server declares the extension and serves the view");

  const host = await build({ entryPoints: [here("host.js")], bundle: true, format: "esm", write: false, logLevel: "warning" });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
  const page = await browser.newPage({ viewport: { width: 1060, height: 760 } });
  const appCalls = [];
  const outside = [];
  page.on("request", (r) => { if (!r.url().startsWith("about:") && !r.url().startsWith("data:")) outside.push(r.url()); });
  page.on("console", (m) => { if (m.type() === "error") console.log(`browser: ${m.text()}`); });
  await page.exposeFunction("hostCallTool", async (params) => {
    appCalls.push(params.name);
    return client.callTool(params);
  });
  await page.exposeFunction("hostReadResource", (params) => client.readResource(params));
  await page.setContent(`<!doctype html><html><body style="margin:0;background:#fff"><script type="module">${host.outputFiles[0].text}</script></body></html>`);
  await page.waitForFunction(() => typeof window.mountView === "function");
  const frame = page.frameLocator("#view");

  // 1. The dashboard, as a host shows it with the model's pve_cluster_resources.
  const resArgs = {};
  const resResult = await client.callTool({ name: "pve_cluster_resources", arguments: resArgs });
  await page.evaluate(([h, t, a, r]) => window.mountView(h, t, a, r), [view.text, tools.get("pve_cluster_resources"), resArgs, resResult]);
  await frame.locator('tr[data-vmid="100"]').waitFor();
  assert.match(await frame.locator('tr[data-vmid="100"]').innerText(), /web01[\s\S]*running/);
  assert.equal(await frame.locator(".node").count(), 3, "three nodes");
  for (const n of ["pve1", "pve2", "pve3"]) {
    await frame.locator(`.node[data-node="${n}"] button`, { hasText: "Charts" }).click();
    await frame.locator(`.node[data-node="${n}"] .chart svg path`).first().waitFor({ state: "attached" });
  }
  await frame.locator('[data-testid="search"]').fill("db01");
  assert.equal(await frame.locator("tbody tr").count(), 1, "the search keeps one guest");
  await frame.locator('[data-testid="search"]').fill("");
  if (shot) {
    await page.waitForTimeout(300);
    await page.locator("#view").screenshot({ path: shot });
  }
  step("the dashboard renders the simulator's nodes, guests and charts");

  // 1b. The dashboard's own Delete gets a card too, and runs on its click.
  await frame.locator('tr[data-vmid="201"] button', { hasText: "Delete" }).click();
  await frame.locator('[data-testid="panel"] [data-testid="card-guest"]', { hasText: "dns (id 201)" }).waitFor();
  assert.ok(await guestExists(client, 201), "the dashboard's Delete alone deleted nothing");
  await frame.locator('[data-testid="panel"] [data-testid="card-confirm"]').click();
  await frame.locator('[data-testid="panel"] [data-testid="confirm-card"][data-state="done"]').waitFor({ timeout: 60000 });
  assert.equal(await guestExists(client, 201), false, "the card's click deleted the container");
  step("the dashboard's Delete opened a card, and its click deleted the container");

  // 2. A task's progress to the end: the model's async clone, in the task view.
  const cloneArgs = { node: "pve1", vmid: 101, newid: 150, name: "db01-copy", full: true, async: true };
  const cloneResult = await client.callTool({ name: "pve_vm_clone", arguments: cloneArgs });
  assert.ok(cloneResult.structuredContent?.upid, "the clone returns its UPID");
  await page.evaluate(([h, t, a, r]) => window.mountView(h, t, a, r), [view.text, tools.get("pve_vm_clone"), cloneArgs, cloneResult]);
  const task = frame.locator('[data-testid="task"]');
  await task.waitFor();
  const seen = new Set();
  for (let i = 0; i < 600 && (await task.getAttribute("data-state")) !== "stopped"; i++) {
    seen.add(await task.getAttribute("data-progress"));
    await page.waitForTimeout(100);
  }
  assert.equal(await task.getAttribute("data-state"), "stopped", "the task ends");
  assert.equal(await task.getAttribute("data-exit"), "OK");
  assert.equal(await task.getAttribute("data-progress"), "100");
  assert.ok(seen.size > 1, `progress moved: ${[...seen]}`);
  assert.match(await frame.locator('[data-testid="task-log"]').innerText(), /TASK OK/);
  step(`the task view followed the clone to the end (progress seen: ${[...seen].join(", ")})`);

  // 2b. Cancel from the task view: pve_task_stop asks on a card too.
  const longArgs = { node: "pve1", vmid: 101, newid: 151, full: true, async: true };
  const longResult = await client.callTool({ name: "pve_vm_clone", arguments: longArgs });
  await page.evaluate(([h, t, a, r]) => window.mountView(h, t, a, r), [view.text, tools.get("pve_vm_clone"), longArgs, longResult]);
  await task.waitFor();
  await frame.locator("button", { hasText: "Cancel task" }).click();
  await frame.locator('[data-testid="card-action"]', { hasText: "Stop the qmclone task on pve1" }).waitFor();
  assert.equal(await task.getAttribute("data-state"), "running", "the card alone stops nothing");
  await frame.locator('[data-testid="card-confirm"]').click();
  await frame.locator('[data-testid="task"][data-state="stopped"]').waitFor({ timeout: 60000 });
  assert.notEqual(await task.getAttribute("data-exit"), "OK", "the stopped task did not finish");
  step(`the task view's cancel, confirmed on its card, stopped the task (${await task.getAttribute("data-exit")})`);

  // 3. The model's delete with confirm: true deletes nothing on this client...
  const delArgs = { node: "pve1", vmid: 150, confirm: true, confirmVmid: 150 };
  const delResult = await client.callTool({ name: "pve_vm_delete", arguments: delArgs });
  assert.equal(delResult.isError, true);
  assert.ok(delResult._meta?.["proxmox-mcp/card"]?.token, "the result carries a card");
  assert.ok(await guestExists(client, 150), "the model's call deleted nothing");
  const forged = await client.callTool({ name: "pve_app_confirm", arguments: { tool: "pve_vm_delete", arguments: delArgs, token: "AX" + "A".repeat(74) } });
  assert.equal(forged.isError, true);
  assert.ok(await guestExists(client, 150), "a forged token deleted nothing");
  step("the model's delete with confirm: true, and a forged token, deleted nothing");

  // ...the person's click on the card does.
  await page.evaluate(([h, t, a, r]) => window.mountView(h, t, a, r), [view.text, tools.get("pve_vm_delete"), delArgs, delResult]);
  const card = frame.locator('[data-testid="confirm-card"]');
  await card.waitFor();
  await frame.locator('[data-testid="card-guest"]', { hasText: "db01-copy (id 150)" }).waitFor();
  assert.match(await frame.locator('[data-testid="card-action"]').innerText(), /Delete VM 150 on pve1/);
  if (process.env.APPS_CARD_SHOT) await page.locator("#view").screenshot({ path: process.env.APPS_CARD_SHOT });
  await frame.locator('[data-testid="card-confirm"]').click();
  await frame.locator('[data-testid="confirm-card"][data-state="done"]').waitFor({ timeout: 60000 });
  assert.equal(await guestExists(client, 150), false, "the click deleted the guest");
  assert.ok(appCalls.includes("pve_app_confirm"), "the card called pve_app_confirm");
  step("the click on the confirm card deleted the guest");

  assert.deepEqual(outside, [], "the view loaded nothing from outside");
  step("ok");
} finally {
  await browser?.close();
  await client?.close();
  sim.kill();
}
