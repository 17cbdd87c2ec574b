#!/usr/bin/env node
// `sudo node scripts/bench/empty-netns-counters.mjs [N] [ROUNDS]` (after `npm run build`; N default
// 2000, ROUNDS 5): what reading the drop counters (/proc/thread-self/net/netstat + snmp) of every EMPTY namespace
// would cost at N empty `ip netns` namespaces, measured with the addon diagnose already uses
// (netnsReadAsync, setns from its own threads). Variants, interleaved, R rounds each:
//  A  what diagnose does now for an empty namespace: enter + sockstat (NETNS_SKIP_EMPTY; files skipped)
//  B  enter + netstat + snmp (no skip, no dump): the read that reporting their past drops would add
//  C  enter only (no file): the floor
// plus the JS parse of N netstat+snmp texts (parseNetstat), and diagnose (1 s window) beside it.
// The namespaces are `ip netns` names sockdoc-empty-PID-I, removed at the end, also on SIGINT/SIGTERM/SIGHUP.
// Run it under the bench lock (docs/benchmarks.md): it makes N namespaces on the host.
// Numbers and the decision they led to: docs/namespaces.md ("past drop counters").
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const wt = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const [nArg, rArg] = process.argv.slice(2);
const N = Number(nArg ?? 2000), R = Number(rArg ?? 5);
const { loadNativeAddon, ADDON_PATH, NETNS_SKIP_EMPTY } = await import(`${wt}/dist/src/probe/native.js`);
const { parseNetstat } = await import(`${wt}/dist/src/probe/netstat.js`);
const addon = loadNativeAddon(ADDON_PATH);
const tag = `sockdoc-empty-${process.pid}`;
const names = Array.from({ length: N }, (_, i) => `${tag}-${i}`);
const load = () => readFileSync('/proc/loadavg', 'utf8').trim();
const ip = (lines) => { const r = spawnSync('ip', ['-force', '-batch', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8', timeout: 900_000 }); if (r.status !== 0) throw new Error(r.stderr); };
let cleaned = false;
const cleanup = () => { if (cleaned) return; cleaned = true; try { ip(names.map((n) => `netns del ${n}`)); } catch (e) { process.stderr.write(`cleanup: ${e.message}\n`); } };
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => { cleanup(); process.exit(1); });
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  console.log(`load before: ${load()}`);
  let t0 = performance.now();
  ip(names.map((n) => `netns add ${n}`));
  console.log(`made ${N} namespaces in ${((performance.now() - t0) / 1000).toFixed(1)} s; load ${load()}`);
  const paths = names.map((n) => `/run/netns/${n}`);
  const files = ['/proc/thread-self/net/netstat', '/proc/thread-self/net/snmp'];
  const variants = {
    A_sockstat_skip: () => addon.netnsReadAsync(paths, 0, files, null, NETNS_SKIP_EMPTY),
    B_netstat_snmp: () => addon.netnsReadAsync(paths, 0, files, null, 0),
    C_enter_only: () => addon.netnsReadAsync(paths, 0, [], null, 0),
  };
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  let texts = null;
  for (let r = 0; r < R; r++) {
    for (const [k, f] of Object.entries(variants)) {
      t0 = performance.now();
      const res = await f();
      times[k].push(performance.now() - t0);
      if (k === 'A_sockstat_skip' && r === 0) console.log(`A: empty ${res.filter((x) => x.empty).length}/${res.length}, errors ${res.filter((x) => x.errno).length}`);
      if (k === 'B_netstat_snmp') { texts = res.map((x) => x.files); if (r === 0) console.log(`B: errors ${res.filter((x) => x.errno).length}, netstat bytes ${texts[0][0].length}, snmp bytes ${texts[0][1].length}`); }
    }
  }
  const parse = [];
  for (let r = 0; r < R; r++) {
    t0 = performance.now();
    for (const [netstat, snmp] of texts) { const out = {}; parseNetstat(netstat, 'netstat', out); parseNetstat(snmp, 'snmp', out); }
    parse.push(performance.now() - t0);
  }
  for (const [k, xs] of Object.entries(times)) console.log(`${k}: median ${med(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`);
  console.log(`parse ${N} netstat+snmp in JS: median ${med(parse).toFixed(0)} ms (${parse.map((x) => x.toFixed(0)).join(', ')})`);
  const diag = [];
  for (let r = 0; r < 3; r++) {
    t0 = performance.now();
    const d = spawnSync(process.execPath, [`${wt}/dist/src/cli/bin.js`, '--no-color'], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 600_000 });
    diag.push(performance.now() - t0);
    if (r === 0) console.log(`diagnose exit ${d.status}, ${d.stdout.trimEnd().split('\n').length} lines`);
  }
  console.log(`diagnose (1 s window) beside: median ${(med(diag) / 1000).toFixed(2)} s (${diag.map((x) => (x / 1000).toFixed(2)).join(', ')})`);
} finally {
  cleanup();
  console.log(`load after: ${load()}`);
}
