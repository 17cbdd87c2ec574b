/**
 * A change to write into a configuration file is never printed as a line to run: every
 * catalogue program's cap fix, at every origin, gives its directive inside a comment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { program, proc, snapshot, listener } from '../testing/snapshot-builder.js';
import { programCapFindings } from '../rules/support/program-cap.js';
import { DEFAULT_RULE_OPTIONS } from '../rules/types.js';
import { setInFile } from './config-edit.js';

test('setInFile: one comment line naming the file, the context and the directive', () => {
  assert.equal(setInFile("'/etc/nginx/nginx.conf':12", 'the events { } block', 'worker_connections 48;'), "# in '/etc/nginx/nginx.conf':12, the events { } block: set `worker_connections 48;`");
});

const SET_LINES = ['worker_connections {};', 'maxconn {}', 'maxclients {}', 'max_connections = {}', 'pm.max_children = {}', 'max_client_conn = {}', 'server.tomcat.max-connections={}', 'MaxRequestWorkers {}', '-c {}'];
for (const setLine of SET_LINES) {
  for (const origin of ['config', 'default', 'fd-limit'] as const) {
    test(`program-cap fix: "${setLine}" (${origin}) is inside a comment, never a bare line`, () => {
      const directive = setLine.split(/[ =]/)[0];
      const inst = program({ pid: 7, ports: [8080], cap: { directive, value: 24, setLine, origin, fdCeiling: 4000 }, held: 24 });
      const s = snapshot({ processes: [proc({ pid: 7, name: 'prog' })], listeners: [listener({ port: 8080, pids: [7] })], programs: [inst] });
      const [f] = programCapFindings('program-cap-reached', s, DEFAULT_RULE_OPTIONS);
      const value = setLine.replace('{}', '48');
      const bare = f.fix.filter((l) => !l.trimStart().startsWith('#') && l.includes(value));
      assert.deepEqual(bare, [], f.fix.join('\n'));
      assert.ok(f.fix.some((l) => l.startsWith('# in ') && l.includes(`set \`${value}\``)), f.fix.join('\n'));
    });
  }
}
