// Runs one scenario (scenarios/NAME.mjs) with the official TypeScript SDK
// client connected to the server over stdio:
//   node run.mjs NAME BINARY [ARG...]
// The server gets this process's environment (the Go test sets PROXMOX_*).
// A scenario exports `default async function (client, check)`; it throws
// (or calls check(false, why)) to fail, and may return a value that is
// printed as JSON on the last line of stdout for the Go test to read.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [name, binary, ...args] = process.argv.slice(2);
const scenario = (await import(`./scenarios/${name}.mjs`)).default;
const capabilities = scenario.capabilities ?? {};
const client = new Client({ name: "e2e-ts", version: "1" }, { capabilities });
const transport = new StdioClientTransport({ command: binary, args, env: process.env, stderr: "inherit" });
const check = (ok, why) => {
  if (!ok) throw new Error(why);
};
let code = 0;
try {
  await client.connect(transport);
  const out = await scenario(client, check);
  console.log(JSON.stringify(out ?? null));
} catch (err) {
  console.error(`scenario ${name}: ${err?.stack ?? err}`);
  code = 1;
} finally {
  await client.close().catch(() => {});
}
process.exit(code);
