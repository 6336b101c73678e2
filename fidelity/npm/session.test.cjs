'use strict';
// An admin's session through the proxmox-api npm client against the sim
// command, with the API token: every call goes through the library's own
// proxy API (api.nodes.$('pve1').qemu.$(101).status.start.$post()).
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const proxmoxApi = require('proxmox-api').default;
const { startSim } = require('./sim.cjs');
const { step, SimBug, waitTask, taskOK, rejects } = require('./helpers.cjs');

let sim;
let api;
before(async () => {
  sim = await startSim();
  api = proxmoxApi({ host: sim.host, port: sim.port, tokenID: sim.tokenID, tokenSecret: sim.tokenSecret, fetch: sim.fetch });
});
after(async () => {
  console.log(`proxmox-api token session: ${sim.counter.requests} requests`);
  await sim.stop();
});
const pve1 = () => api.nodes.$('pve1');

test('version and nodes', (t) => step(t, async () => {
  const v = await api.version.$get();
  assert.equal(v.release, '9.1');
  assert.match(v.version, /^9\.1/);
  const nodes = await api.nodes.$get();
  assert.equal(nodes.length, 3);
  for (const n of nodes) {
    assert.equal(n.status, 'online');
    assert.equal(typeof n.maxcpu, 'number');
  }
  const st = await pve1().status.$get();
  assert.match(st.pveversion, /^pve-manager\/9\.1/);
  assert.equal(typeof st.memory.total, 'number');
}));

test('cluster status, nextid and resources', (t) => step(t, async () => {
  const status = await api.cluster.status.$get();
  assert.equal(status.filter((s) => s.type === 'node').length, 3);
  assert.equal(status.find((s) => s.type === 'cluster').quorate, 1);
  assert.equal(await api.cluster.nextid.$get(), '104');
  await rejects(api.cluster.nextid.$get({ vmid: 100 }), 'VM 100 already exists');
  const vms = await api.cluster.resources.$get({ type: 'vm' });
  assert.equal(vms.length, 7);
  const storage = await api.cluster.resources.$get({ type: 'storage' });
  assert.ok(storage.length > 0);
}));

test('list guests and read config', (t) => step(t, async () => {
  const vms = await pve1().qemu.$get();
  assert.deepEqual(vms.map((v) => v.vmid).sort(), [100, 101, 9000]);
  const cts = await pve1().lxc.$get();
  assert.deepEqual(cts.map((c) => c.vmid), [200]);
  const conf = await pve1().qemu.$(101).config.$get();
  assert.equal(conf.name, 'db01');
  assert.equal(conf.cores, 4);
  const cur = await pve1().qemu.$(101).status.current.$get();
  assert.equal(cur.status, 'stopped');
}));

test('power cycle with task waits', (t) => step(t, async () => {
  const vm = pve1().qemu.$(101);
  await taskOK(api, await vm.status.start.$post());
  assert.equal((await vm.status.current.$get()).status, 'running');
  await taskOK(api, await vm.status.reboot.$post());
  await taskOK(api, await vm.status.shutdown.$post({ timeout: 30 }));
  assert.equal((await vm.status.current.$get()).status, 'stopped');
  await taskOK(api, await vm.status.start.$post());
  await taskOK(api, await vm.status.stop.$post());
  const ct = pve1().lxc.$(200);
  await taskOK(api, await ct.status.suspend.$post());
  await taskOK(api, await ct.status.resume.$post());
}));

test('snapshots', (t) => step(t, async () => {
  const vm = pve1().qemu.$(101);
  await taskOK(api, await vm.snapshot.$post({ snapname: 'npm', description: 'from proxmox-api', vmstate: false }));
  const snaps = await vm.snapshot.$get();
  assert.ok(snaps.some((s) => s.name === 'npm'));
  assert.ok(snaps.some((s) => s.name === 'current'));
  const conf = await vm.snapshot.$('npm').config.$get();
  assert.equal(conf.name, 'db01');
  await taskOK(api, await vm.snapshot.$('npm').rollback.$post());
  await taskOK(api, await vm.snapshot.$('npm').$delete());
  assert.ok(!(await vm.snapshot.$get()).some((s) => s.name === 'npm'));
  await rejects(vm.snapshot.$('nope').rollback.$post(), "snapshot 'nope' does not exist");
}));

test('config edit: booleans as 1/0, delete as a list', (t) => step(t, async () => {
  const vm = pve1().qemu.$(101);
  await vm.config.$put({ description: 'edited by proxmox-api', onboot: true, memory: '4096' });
  let conf = await vm.config.$get();
  assert.equal(conf.description, 'edited by proxmox-api');
  assert.equal(conf.onboot, 1);
  assert.equal(conf.memory, '4096');
  await vm.config.$put({ delete: 'description,onboot' });
  conf = await vm.config.$get();
  assert.equal(conf.description, undefined);
  assert.equal(conf.onboot, undefined);
  await taskOK(api, await vm.config.$post({ cores: 2, tags: 'db;npm' }));
  assert.equal((await vm.config.$get()).cores, 2);
  const pending = await vm.pending.$get();
  assert.ok(pending.some((p) => p.key === 'cores'));
}));

test('config delete as an array (repeated keys)', (t) => step(t, async () => {
  // proxmox-api sends an array as repeated keys; PVE 8+ decodes them to an
  // array and refuses it for the string parameter delete.
  const vm = pve1().qemu.$(101);
  await vm.config.$put({ description: 'x' });
  try {
    await vm.config.$put({ delete: ['description', 'tags'] });
  } catch (e) {
    if (/Error 500 .*only root can set/.test(e.message)) {
      throw new SimBug(`repeated form keys are NUL-joined instead of an array: ${e.message}`);
    }
    assert.match(e.message, /return Error 400 .*type check \('string'\) failed - got ARRAY/);
    return;
  }
  assert.fail('accepted; PVE 9.1 refuses repeated delete keys');
}));

test('resize, clone, migrate, template, destroy', (t) => step(t, async () => {
  await taskOK(api, await pve1().qemu.$(101).resize.$put({ disk: 'scsi0', size: '+1G' }));
  assert.match((await pve1().qemu.$(101).config.$get()).scsi0, /size=65G/);
  const newid = Number(await api.cluster.nextid.$get());
  await taskOK(api, await pve1().qemu.$(9000).clone.$post({ newid, name: 'npm-clone', full: true, storage: 'local-lvm' }));
  assert.equal((await pve1().qemu.$(newid).config.$get()).name, 'npm-clone');
  await taskOK(api, await pve1().qemu.$(newid).migrate.$post({ target: 'pve2' }));
  const pve2 = api.nodes.$('pve2');
  assert.equal((await pve2.qemu.$(newid).status.current.$get()).status, 'stopped');
  const upid = await pve2.qemu.$(newid).template.$post();
  if (upid) await taskOK(api, upid);
  assert.equal((await pve2.qemu.$(newid).config.$get()).template, 1);
  await rejects(pve2.qemu.$(newid).status.start.$post().then((u) => waitTask(api, u)).then((exit) => {
    if (exit !== 'OK') throw new Error(exit);
  }), "you can't start a vm if it's a template");
  await taskOK(api, await pve2.qemu.$(newid).$delete({ purge: true }));
  await rejects(pve2.qemu.$(newid).config.$get(), 'does not exist');
}));

test('backup and storage content', (t) => step(t, async () => {
  await taskOK(api, await pve1().vzdump.$post({ vmid: '101', storage: 'local', mode: 'snapshot', compress: 'zstd' }));
  const local = pve1().storage.$('local');
  const backups = await local.content.$get({ content: 'backup' });
  const b = backups.find((c) => c.vmid === 101);
  assert.ok(b, 'no backup of 101');
  assert.match(b.volid, /^local:backup\/vzdump-qemu-101-/);
  const attrs = await local.content.$(b.volid).$get(); // '/' sent as %2F
  assert.equal(attrs.format, 'vma.zst');
  const del = await local.content.$(b.volid).$delete();
  if (del) await taskOK(api, del);
  assert.ok(!(await local.content.$get({ content: 'backup' })).some((c) => c.volid === b.volid));
  const st = await local.status.$get();
  assert.equal(st.active, 1);
  const isos = await local.content.$get({ content: 'iso' });
  assert.ok(isos.some((c) => c.volid === 'local:iso/debian-12.8.0-amd64-netinst.iso'));
}));

test('download an ISO and delete it', (t) => step(t, async () => {
  const local = pve1().storage.$('local');
  await taskOK(api, await local['download-url'].$post({
    content: 'iso', filename: 'npm.iso',
    url: 'https://cdimage.debian.org/debian-cd/current/amd64/iso-cd/debian-12.8.0-amd64-netinst.iso',
  }));
  assert.ok((await local.content.$get({ content: 'iso' })).some((c) => c.volid === 'local:iso/npm.iso'));
  const del = await local.content.$('local:iso/npm.iso').$delete();
  if (del) await taskOK(api, del);
}));

test('container from a vztmpl', (t) => step(t, async () => {
  const vmid = Number(await api.cluster.nextid.$get());
  await taskOK(api, await pve1().lxc.$post({
    vmid, ostemplate: 'local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz', hostname: 'npm-ct',
    storage: 'local-lvm', rootfs: 'local-lvm:2', memory: 256, cores: 1, unprivileged: true,
    net0: 'name=eth0,bridge=vmbr0,ip=dhcp', password: 'Secret-123',
  }));
  const ct = pve1().lxc.$(vmid);
  assert.equal((await ct.config.$get()).hostname, 'npm-ct');
  await taskOK(api, await ct.status.start.$post());
  const ifaces = await ct.interfaces.$get();
  assert.ok(ifaces.some((i) => i.name === 'eth0'));
  await taskOK(api, await ct.snapshot.$post({ snapname: 'npmct' }));
  await taskOK(api, await ct.snapshot.$('npmct').$delete());
  await taskOK(api, await ct.status.shutdown.$post({ timeout: 30 }));
  await taskOK(api, await ct.resize.$put({ disk: 'rootfs', size: '+1G' }));
  await taskOK(api, await ct.$delete());
}));

test('network and tasks', (t) => step(t, async () => {
  const bridges = await pve1().network.$get({ type: 'bridge' });
  assert.ok(bridges.some((n) => n.iface === 'vmbr0'));
  await pve1().network.$post({ iface: 'vmbr8', type: 'bridge', autostart: true, comments: 'npm' });
  assert.equal((await pve1().network.$('vmbr8').$get()).type, 'bridge');
  await pve1().network.$delete();
  const tasks = await pve1().tasks.$get({ limit: 5 });
  assert.ok(tasks.length > 0 && tasks.length <= 5);
  const log = await pve1().tasks.$(tasks[0].upid).log.$get({ start: 0, limit: 50 });
  assert.ok(log.length > 0);
  assert.ok((await api.cluster.tasks.$get()).length > 0);
}));

test('backup jobs', (t) => step(t, async () => {
  await api.cluster.backup.$post({ id: 'npm-nightly', vmid: '101', storage: 'local', schedule: '02:30', enabled: true, mode: 'snapshot' });
  assert.equal((await api.cluster.backup.$('npm-nightly').$get()).schedule, '02:30');
  await api.cluster.backup.$('npm-nightly').$put({ schedule: '03:00' });
  assert.equal((await api.cluster.backup.$('npm-nightly').$get()).schedule, '03:00');
  await api.cluster.backup.$('npm-nightly').$delete();
}));

test('pools', (t) => step(t, async () => {
  const pools = await api.pools.$get();
  assert.ok(pools.some((p) => p.poolid === 'prod'));
  await api.pools.$post({ poolid: 'npm', comment: 'proxmox-api' });
  await api.pools.$put({ poolid: 'npm', vms: '101' });
  const [p] = await api.pools.$get({ poolid: 'npm' });
  assert.ok(p.members.some((m) => m.vmid === 101));
  await api.pools.$put({ poolid: 'npm', vms: '101', delete: true });
  await api.pools.$delete({ poolid: 'npm' });
}));

test('users, groups, ACLs and tokens', (t) => step(t, async () => {
  const users = await api.access.users.$get();
  assert.ok(users.some((u) => u.userid === 'root@pam'));
  await api.access.groups.$post({ groupid: 'npm-ops' });
  await api.access.users.$post({ userid: 'npm@pve', password: 'Secret-123', groups: 'npm-ops', email: 'npm@example.com' });
  await api.access.acl.$put({ path: '/vms/101', roles: 'PVEVMUser', users: 'npm@pve' });
  assert.ok((await api.access.acl.$get()).some((a) => a.ugid === 'npm@pve'));
  const tok = await api.access.users.$('npm@pve').token.$('ci').$post({ privsep: false });
  assert.equal(tok['full-tokenid'], 'npm@pve!ci');
  await api.access.users.$('npm@pve').token.$('ci').$delete();
  await api.access.users.$('npm@pve').$delete();
  await api.access.groups.$('npm-ops').$delete();
}));

test('HA, firewall, RRD', (t) => step(t, async () => {
  const rrd = await pve1().rrddata.$get({ timeframe: 'hour' });
  assert.ok(rrd.length > 0);
  await pve1().qemu.$(100).rrddata.$get({ timeframe: 'hour', cf: 'AVERAGE' });
  await api.cluster.firewall.rules.$post({ type: 'in', action: 'ACCEPT', proto: 'tcp', dport: '22', enable: 1 });
  const rules = await api.cluster.firewall.rules.$get();
  await api.cluster.firewall.rules.$(rules[0].pos).$delete();
  await api.cluster.ha.resources.$post({ sid: 'vm:101' });
  assert.ok((await api.cluster.ha.resources.$get()).some((r) => r.sid === 'vm:101'));
  await api.cluster.ha.resources.$('vm:101').$delete();
}));

test('guest agent and cloud-init', (t) => step(t, async () => {
  const vm = pve1().qemu.$(100);
  const ifaces = await vm.agent['network-get-interfaces'].$get();
  assert.ok(ifaces.result.length > 0);
  await vm.agent.ping.$post();
  const os = await vm.agent['get-osinfo'].$get();
  assert.ok(os.result.id);
  const { pid } = await vm.agent.exec.$post({ command: ['uname', '-a'] });
  assert.equal(typeof pid, 'number');
  await pve1().qemu.$(9000).config.$put({ ide0: 'local-lvm:cloudinit', ciuser: 'debian', ipconfig0: 'ip=dhcp' });
  const user = await pve1().qemu.$(9000).cloudinit.dump.$get({ type: 'user' });
  assert.match(user, /#cloud-config/);
}));

test('node system', (t) => step(t, async () => {
  const time = await pve1().time.$get();
  assert.equal(typeof time.time, 'number');
  const dns = await pve1().dns.$get();
  assert.ok(dns.dns1);
  assert.ok((await pve1().services.$get()).length > 0);
  assert.ok((await pve1().syslog.$get({ limit: 10 })).length > 0);
  assert.ok((await pve1().disks.list.$get()).length > 0);
  await pve1().apt.update.$get();
}));

test('errors are Proxmox\'s', (t) => step(t, async () => {
  await rejects(pve1().qemu.$(999).config.$get(), "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist");
  await rejects(pve1().qemu.$(101).config.$put({ memory: 'lots' }), 'Parameter verification failed.');
  await rejects(pve1().qemu.$(101).migrate.$post({ target: 'pve1' }), 'target is local node.');
  await rejects(pve1().qemu.$(9000).clone.$post({ newid: 101 }), 'already exists');
}));
