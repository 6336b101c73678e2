'use strict';
// Starts `proxmox-mcp-server sim` over HTTPS on a free loopback port, reads
// the PROXMOX_* lines, the fingerprint and the ticket-login line it prints,
// and gives proxmox-api a fetch that talks to it with the certificate pinned
// by that fingerprint. FIDELITY_BIN names the binary (.ci/fidelity.sh builds
// it); without it, it is built from the repository.
const { spawn, execFileSync } = require('node:child_process');
const net = require('node:net');
const tls = require('node:tls');
const os = require('node:os');
const path = require('node:path');
const fs = require('node:fs');
const { Agent, fetch } = require('undici');

function binary() {
  if (process.env.FIDELITY_BIN) return process.env.FIDELITY_BIN;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fidelity-npm-')), 'proxmox-mcp-server');
  execFileSync('go', ['build', '-o', out, './cmd/proxmox-mcp-server'], { cwd: path.join(__dirname, '..', '..'), stdio: 'inherit' });
  return out;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
    srv.on('error', reject);
  });
}

// fingerprintOf reads the server certificate's SHA-256 fingerprint.
function fingerprintOf(port) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

async function startSim(...extra) {
  const port = await freePort();
  const child = spawn(binary(), ['sim', '--listen', `127.0.0.1:${port}`, '--speed', '0.02', ...extra],
    { stdio: ['ignore', 'pipe', 'ignore'], env: { PATH: process.env.PATH } });
  const env = {};
  let fingerprint = '';
  let rootPW = '';
  await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('sim did not print its environment')), 20000);
    child.on('exit', (code) => reject(new Error(`sim exited ${code}`)));
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let m;
        if ((m = line.match(/^# TLS certificate SHA-256 fingerprint: (.*)$/))) fingerprint = m[1];
        if ((m = line.match(/^# ticket login: root@pam \/ (.*)$/))) rootPW = m[1].trim();
        if ((m = line.match(/^export (PROXMOX_[A-Z_]+)=(.*)$/))) env[m[1]] = m[2].replace(/^'|'$/g, '');
      }
      if (env.PROXMOX_TOKEN_SECRET && fingerprint && rootPW) { clearTimeout(timer); resolve(); }
    });
  });
  child.stdout.resume();
  if (env.PROXMOX_HOST !== `https://127.0.0.1:${port}`) throw new Error(`sim printed ${JSON.stringify(env)}`);
  if ((await fingerprintOf(port)).toUpperCase() !== fingerprint.toUpperCase()) {
    throw new Error('certificate does not match the fingerprint the sim printed');
  }
  const dispatcher = new Agent({ connect: { rejectUnauthorized: false } }); // self-signed, pinned above
  const counter = { requests: 0 };
  const pinnedFetch = (url, init) => { counter.requests++; return fetch(url, { ...init, dispatcher }); };
  return {
    host: '127.0.0.1', port, tokenID: env.PROXMOX_TOKEN_ID, tokenSecret: env.PROXMOX_TOKEN_SECRET, rootPW,
    fetch: pinnedFetch, counter,
    stop: () => new Promise((resolve) => { child.removeAllListeners('exit'); child.on('exit', resolve); child.kill('SIGTERM'); }),
  };
}

module.exports = { startSim };
