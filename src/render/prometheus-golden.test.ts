/**
 * The whole exposition of `sockdoc serve --root TREE` over the captured seed hosts, through the
 * real binary and HTTP: compared with a golden file beside each tree (UPDATE_GOLDEN=1 rewrites
 * it), and linted by `promtool check metrics` (node_exporter's end-to-end check).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fixture, repoRoot } from '../testing/paths.js';
import { assertGoldenFile } from '../testing/golden.js';
import { httpGet, startServe, stopHard } from '../serve/testing/processes.js';

const hasPromtool = spawnSync('sh', ['-c', 'command -v promtool'], { stdio: 'ignore' }).status === 0;

/** Values that differ from run to run (timings, memory, version) become VARIES. */
function stable(text: string): string {
  return text
    .split('\n')
    .map((l) => (/^sockdoc_(scrape_duration_seconds|snapshot_duration_seconds|probe_duration_seconds|exporter_resident_memory_bytes|exporter_heap_used_bytes|exporter_heap_limit_bytes|exporter_build_info)\b/.test(l) ? l.replace(/ [^ ]+$/, ' VARIES').replace(/version="[^"]*"/, 'version="VARIES"') : l))
    .join('\n');
}

for (const tree of ['seed-queue-full', 'seed-close-wait']) {
  test(`serve --root ${tree}: the exposition matches its golden file and passes promtool`, async () => {
    const serve = await startServe(['--root', join('test', 'fixtures', 'hosts', tree), '--listen', '127.0.0.1:0'], []);
    try {
      const r = await httpGet({ host: '127.0.0.1', port: serve.port }, '/metrics');
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      assert.match(r.body, /^sockdoc_finding\{netns="host",container="",pod="",pod_namespace="",id="accept-queue-full",pid="\d+",program="python3",address="::",port="8889"\} 1$/m);
      assert.match(r.body, /^sockdoc_finding_severity\{netns="host",container="",pod="",pod_namespace="",id="accept-queue-full",pid="\d+",program="python3",address="::",port="8889"\} 2$/m);
      assertGoldenFile(fixture('hosts', tree, 'expected.metrics'), stable(r.body));
      if (hasPromtool) {
        const lint = spawnSync('promtool', ['check', 'metrics'], { input: r.body, encoding: 'utf8', cwd: repoRoot });
        assert.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);
      }
    } finally {
      await stopHard(serve);
    }
  });
}
