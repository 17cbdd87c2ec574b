/**
 * Live: a process on this machine names itself (prctl PR_SET_NAME) with an OSC escape, a C1 CSI,
 * a bidi override, a newline and a byte that is not UTF-8, and holds a loopback listener, so it
 * gets sockdoc_listener_info and per-process series. A real `sockdoc serve` scrape must carry no
 * raw control or bidi character, show the name escaped (labelSafe) and pass `promtool check
 * metrics`. Loopback only; the process is killed in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { httpGet, startServe, stopHard } from './testing/processes.js';

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
// eslint-disable-next-line no-control-regex
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

// 15 bytes, the most comm holds: ESC ] 0 ; t BEL, U+009B (C1 CSI), U+202E, newline, 0xFF, "ev".
const RENAMED = `import ctypes, socket, sys
libc = ctypes.CDLL(None)
libc.prctl(15, b"\\x1b]0;t\\x07\\xc2\\x9b\\xe2\\x80\\xae\\n\\xffev", 0, 0, 0)
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
sys.stdin.read()`;

test('live: a hostile comm reaches /metrics escaped in every label, and the scrape passes promtool', { skip: onPath('python3') ? false : 'needs python3', timeout: 60_000 }, async () => {
  const child = spawn('python3', ['-c', RENAMED], { stdio: ['pipe', 'pipe', 'inherit'] });
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  try {
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const port = Number(line);
    assert.match(readFileSync(`/proc/${child.pid}/comm`, 'latin1'), /^\x1b\]0;t\x07\xc2\x9b/, 'the kernel holds the raw name'); // eslint-disable-line no-control-regex
    serve = await startServe(['--listen', '127.0.0.1:0']);
    const r = await httpGet({ host: '127.0.0.1', port: serve.port }, '/metrics', 'GET', 30_000);
    assert.equal(r.status, 200);
    const bad = r.body.split('\n').find((l) => RAW.test(l));
    assert.equal(bad, undefined, `raw control or bidi character in ${JSON.stringify(bad)}`);
    // labelSafe shows the controls as escapes; the text format then doubles each backslash.
    const shown = 'program="\\\\x1b]0;t\\\\x07\\\\u009b\\\\u202e\\\\n\\\\xffev"';
    const info = r.body.split('\n').find((l) => l.startsWith('sockdoc_listener_info{') && l.includes(`port="${port}"`) && l.includes(`pid="${child.pid}"`));
    assert.ok(info?.includes(shown), `listener_info of ${port}: ${info}`);
    const fds = r.body.split('\n').find((l) => l.startsWith('sockdoc_process_open_fds{') && l.includes(`pid="${child.pid}"`));
    assert.ok(fds?.includes(shown), `process series: ${fds}`);
    if (onPath('promtool')) {
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: r.body, encoding: 'utf8' });
      assert.equal(lint.status, 0, `promtool check metrics: ${lint.stdout}${lint.stderr}`);
    }
  } finally {
    child.kill('SIGKILL');
    await stopHard(serve);
  }
});
