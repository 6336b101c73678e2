'use strict';
const assert = require('node:assert/strict');

// proxmox-api throws "... connection failed with 501 <status text> ..." for
// a 501: an endpoint the simulator does not implement yet.
function notImplemented(e) {
  return /connection failed with 501 Method '.*' not implemented/.test(String(e && e.message));
}

class SimBug extends Error {}

// step runs one step of a session: a 501 "not implemented" skips it (it
// turns on by itself once the endpoint lands); anything else, a SimBug (a
// known difference from Proxmox) included, fails it.
async function step(t, fn) {
  try {
    await fn();
  } catch (e) {
    if (notImplemented(e)) {
      t.skip(`waiting for endpoint: ${e.message.replace(/ return:.*/s, '')}`);
      return;
    }
    throw e;
  }
}

// waitTask polls a task's status until it stopped and returns its exitstatus.
async function waitTask(api, upid) {
  assert.match(upid, /^UPID:[^:]+:/);
  const node = upid.split(':')[1];
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    const st = await api.nodes.$(node).tasks.$(upid).status.$get();
    if (st.status === 'stopped') return st.exitstatus;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`task ${upid} did not stop`);
}

async function taskOK(api, upid) {
  assert.equal(await waitTask(api, upid), 'OK', upid);
}

// rejects asserts that a call Proxmox refuses fails with Proxmox's message.
async function rejects(promise, text) {
  try {
    await promise;
  } catch (e) {
    if (notImplemented(e)) throw e;
    assert.ok(e.message.includes(text), `${e.message}\nProxmox says: ${text}`);
    return e;
  }
  assert.fail(`accepted; Proxmox refuses it with ${text}`);
}

module.exports = { step, SimBug, waitTask, taskOK, rejects, notImplemented };
