'use strict';
// proxmox-api logging in with root@pam's password: a form POST to
// /access/ticket, then the ticket in the PVEAuthCookie cookie and the
// CSRFPreventionToken header on every call.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { proxmoxApi, ProxmoxEngine } = require('proxmox-api');
const { startSim } = require('./sim.cjs');
const { step, taskOK, rejects } = require('./helpers.cjs');

let sim;
before(async () => { sim = await startSim(); });
after(async () => {
  console.log(`proxmox-api ticket session: ${sim.counter.requests} requests`);
  await sim.stop();
});
const engineFor = (password) => new ProxmoxEngine({ host: sim.host, port: sim.port, username: 'root@pam', password, fetch: sim.fetch });
const login = (password) => proxmoxApi(engineFor(password));

test('ticket session reads and writes', (t) => step(t, async () => {
  const api = login(sim.rootPW);
  assert.equal((await api.version.$get()).release, '9.1');
  assert.equal((await api.nodes.$get()).length, 3);
  const vm = api.nodes.$('pve3').qemu.$(103);
  await taskOK(api, await vm.status.start.$post());
  await taskOK(api, await vm.snapshot.$post({ snapname: 'ticket' }));
  await taskOK(api, await vm.snapshot.$('ticket').$delete());
  await taskOK(api, await vm.status.stop.$post());
  await vm.config.$put({ description: 'edited with a ticket' });
  assert.equal((await vm.config.$get()).description, 'edited with a ticket');
}));

test('many logins (tickets with a "+" sent raw)', (t) => step(t, async () => {
  // A node signs a new ticket each second: log in for up to 8 s until a
  // ticket with a '+' went through a read and a write.
  const deadline = Date.now() + 8000;
  const seen = new Set();
  let plus = 0;
  for (let i = 0; i < 20 || (plus === 0 && Date.now() < deadline); i++) {
    const engine = engineFor(sim.rootPW);
    const api = proxmoxApi(engine);
    await api.cluster.status.$get();
    await api.nodes.$('pve3').qemu.$(103).config.$put({ description: `login ${i}` });
    seen.add(engine.ticket);
    if (engine.ticket.includes('+')) plus++;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (plus === 0) t.skip(`no ticket with a '+' came in ${seen.size} distinct tickets`);
}));

test('wrong password', (t) => step(t, async () => {
  await rejects(login('wrong').version.$get(), 'Auth https://127.0.0.1');
}));
