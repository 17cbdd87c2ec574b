import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '../testing/paths.js';
import { explainLimit } from './explain.js';
import { proseFaults } from './prose-check.js';
import { renderLimitOrigin } from '../render/limits.js';

test('the checker catches the glued sentences users reported', () => {
  assert.match(proseFaults('minfds=512=512')[0], /doubled "="/);
  assert.match(proseFaults('built-in default (systemd ≥ 240)=1024:524288')[0], /doubled "="/);
  assert.match(proseFaults('It is not a login session, not a login session.').join(), /repeated clause/);
  assert.match(proseFaults('2. Stop supervisord and start it again the way it was started This stops every program').join(), /glued sentence/);
  assert.deepEqual(proseFaults('2. Stop supervisord and start it again the way it was started. This stops every program.'), []);
  assert.match(proseFaults('but x (pid 3) is not part of a login session, not a login session: pam').join(), /repeated clause/);
  assert.deepEqual(proseFaults('it is a service started by systemd (a.service), not a login session: pam'), []);
  assert.match(proseFaults('It was set by systemd (pid 812) at boot.', [{ pid: 812, name: 'api' }])[0], /pid 812 is api/);
  assert.deepEqual(proseFaults('minfds=512 (the default); LimitNOFILE=65536:65536; sed -i \'s/^L=.*/L=1/\' f', [{ pid: 1, name: 'systemd' }]), []);
});

const cases = readdirSync(fixture('limits'), { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(fixture('limits'), e.name, 'args.json')));

test('every limits fixture explains itself without doubled "=", repeated sentences or a pid named as the wrong program', () => {
  let checked = 0;
  for (const c of cases) {
    const root = fixture('limits', c.name);
    const pids = readdirSync(join(root, 'proc')).filter((n) => /^\d+$/.test(n)).map(Number);
    const known = pids.map((pid) => ({ pid, name: readFileSync(join(root, 'proc', String(pid), 'stat'), 'latin1').replace(/^\d+ \((.*)\) .*$/s, '$1') }));
    for (const pid of pids) {
      const o = explainLimit(root, pid);
      const text = renderLimitOrigin(o, { color: false, columns: 100 });
      assert.deepEqual(proseFaults(text, known), [], `${c.name} pid ${pid}:\n${text}`);
      checked++;
    }
  }
  assert.ok(checked > 50, `only ${checked} explanations checked`);
});

function jsonParts(doc: unknown): string[] {
  const d = doc as { findings?: unknown[]; limitOrigins?: unknown[] };
  const list = Array.isArray(doc) ? doc : d.findings ? [...d.findings, ...(d.limitOrigins ?? [])] : [doc];
  return list.map((x) => JSON.stringify(x, null, 1).replace(/\\"/g, '"'));
}

test('every golden output (limits and host diagnoses) is free of the same faults', () => {
  const files: string[] = [];
  for (const c of cases) for (const f of ['expected.txt', 'expected.json']) files.push(join(fixture('limits', c.name), f));
  const hosts = fixture('hosts');
  if (existsSync(hosts)) for (const h of readdirSync(hosts)) for (const f of readdirSync(join(hosts, h))) if (/^expected/.test(f)) files.push(join(hosts, h, f));
  assert.ok(files.length > 40);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    // One explanation per process: a sentence may recur across processes, never within one.
    const parts = f.endsWith('.json') ? jsonParts(JSON.parse(text)) : text.split(/\n(?=\S)/);
    for (const part of parts) assert.deepEqual(proseFaults(part), [], `${f}:\n${part}`);
  }
});
