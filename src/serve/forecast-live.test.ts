/**
 * Live: serve's scrapes keep a history, so fd-exhaustion-forecast reaches sockdoc_finding. A
 * process on this machine (soft RLIMIT_NOFILE 512, a loopback listener so the history tracks it)
 * opens /dev/null ten times a second, stopping at 400 and exiting by itself after 60 s; the
 * Scraper that `sockdoc serve` runs in its worker scrapes it once a second, recording each scrape
 * (historyEveryMs 1000 instead of 5000, to stay under ~20 s). Bounded: at most 20 scrapes; the
 * process is killed in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Scraper } from './scrape.js';

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

const LEAKY = `import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
keep = []
end = time.time() + 60
while time.time() < end:
    if len(keep) < 400: keep.append(open("/dev/null"))
    time.sleep(0.1)`;

test('live: a process leaking descriptors over successive scrapes gets sockdoc_finding{id="fd-exhaustion-forecast"}', { skip: onPath('python3') && onPath('prlimit') ? false : 'needs python3 and prlimit', timeout: 60_000 }, async () => {
  const child = spawn('prlimit', ['--nofile=512:512', 'python3', '-c', LEAKY], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(createInterface({ input: child.stdout! }), 'line');
    const pid = String(child.pid);
    const scraper = new Scraper({ historyEveryMs: 1000 });
    let found = null;
    const seen: string[] = [];
    for (let i = 0; i < 20 && !found; i++) {
      const started = Date.now();
      const { model } = await scraper.scrape();
      const open = model.processes.find((p) => p.labels.pid === pid)?.openFds;
      seen.push(String(open));
      found = model.findings.find((f) => f.labels.id === 'fd-exhaustion-forecast' && f.labels.pid === pid) ?? null;
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
    }
    assert.ok(found, `no forecast after ${seen.length} scrapes; open fds seen: ${seen.join(' ')}`);
    assert.equal(found.labels.program, 'python3');
    assert.match(found.severity, /^(warning|critical)$/);
    // Below the limit yet: the forecast, not fd-limit-exhausted, speaks.
    assert.ok(seen.length >= 5, 'the forecast needs at least 5 samples');
  } finally {
    child.kill('SIGKILL');
  }
});
