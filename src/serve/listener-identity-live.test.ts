/**
 * Live: a server restarting on the same loopback port keeps its listener series. `sockdoc serve`
 * is scraped while python3 listens on 127.0.0.1:PORT, then after it is killed and another python3
 * (a new pid) listens on the same port: every sockdoc_listener_* value series of the port has the
 * same label set both times (Prometheus would continue the series and every `for:` on them), and
 * only sockdoc_listener_info names the new pid. Loopback only; every process stopped in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { httpGet, startServe, stopHard } from './testing/processes.js';

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** python3 listening on 127.0.0.1:port (0: any), SO_REUSEADDR so the port is free again at once. */
async function listener(port: number): Promise<{ child: ChildProcess; port: number }> {
  const code = `import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", ${port})); s.listen(16)
print(s.getsockname()[1], flush=True)
sys.stdin.read()`;
  const child = spawn('python3', ['-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, port: Number(line) };
}

/** The lines of `family` about 127.0.0.1:port: `name{labels}` without the value. */
function seriesOf(body: string, port: number, family: RegExp): string[] {
  return body
    .split('\n')
    .filter((l) => family.test(l) && l.includes('address="127.0.0.1"') && l.includes(`port="${port}"`))
    .map((l) => l.replace(/ \S+$/, ''))
    .sort();
}

test('live: a listener keeps its series across a restart of its program; only sockdoc_listener_info changes', { skip: onPath('python3') ? false : 'needs python3', timeout: 60_000 }, async () => {
  const children: ChildProcess[] = [];
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  try {
    const first = await listener(0);
    children.push(first.child);
    serve = await startServe(['--listen', '127.0.0.1:0']);
    const scrape = async () => (await httpGet({ host: '127.0.0.1', port: serve!.port }, '/metrics', 'GET', 30_000)).body;
    const before = await scrape();
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const second = await listener(first.port);
    children.push(second.child);
    assert.notEqual(second.child.pid, first.child.pid);
    const after = await scrape();
    const values = /^sockdoc_listener_(accept_queue|backlog|syn_recv|queued_established|queued_close_wait)\{/;
    assert.equal(seriesOf(before, first.port, values).length, 5, `five value series for ${first.port}`);
    assert.deepEqual(seriesOf(after, first.port, values), seriesOf(before, first.port, values));
    for (const l of seriesOf(after, first.port, values)) assert.doesNotMatch(l, /pid=|program=/);
    const info = (body: string) => seriesOf(body, first.port, /^sockdoc_listener_info\{/);
    assert.deepEqual(info(before).length, 1);
    assert.match(info(before)[0], new RegExp(`program="python3",pid="${first.child.pid}"\\}$`));
    assert.match(info(after)[0], new RegExp(`program="python3",pid="${second.child.pid}"\\}$`));
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await stopHard(serve);
  }
});
