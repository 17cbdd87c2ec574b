import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../testing/paths.js';
import { catalogueMarkdown } from './catalogue-doc.js';
import { extractHints, FAMILIES, recognise } from './catalogue.js';
import { CONDITIONS } from './conditions.js';
import { RULES } from '../rules/index.js';

const DOC = join(repoRoot, 'docs', 'why.md');
const BEGIN = '<!-- catalogue: generated from src/why/messages (UPDATE_GOLDEN=1 rewrites it) -->\n';
const END = '<!-- end of catalogue -->';
const entries = FAMILIES.flatMap((f) => f.entries.map((e) => ({ family: f, entry: e })));

test('at least 25 real messages, from Linux, glibc, Go, Java, Node, Python, nginx, HAProxy, PHP and curl; ids unique; every field filled', () => {
  assert.ok(entries.length >= 25, `${entries.length} messages`);
  for (const id of ['linux', 'glibc', 'go', 'java', 'node', 'python', 'nginx', 'haproxy', 'php', 'curl']) assert.ok(FAMILIES.some((f) => f.id === id && f.entries.length > 0), id);
  const ids = new Set<string>();
  for (const { entry: e } of entries) {
    assert.ok(!ids.has(e.id), `duplicate ${e.id}`);
    ids.add(e.id);
    for (const k of ['example', 'source', 'means', 'errno'] as const) assert.ok(e[k].length > 2, `${e.id}.${k}`);
    assert.ok(e.conditions.length > 0, e.id);
    for (const c of e.conditions) assert.ok(CONDITIONS[c], `${e.id}: condition ${c}`);
  }
});

test('every condition is checked by findings that exist (or a direct check)', () => {
  const ruleIds = new Set(RULES.map((r) => r.id));
  for (const c of Object.values(CONDITIONS)) for (const f of c.findings) assert.ok(ruleIds.has(f), `${c.id}: no rule ${f}`);
});

test('each example is recognised as its own entry, not an earlier or more general one', () => {
  for (const { family, entry } of entries) {
    const r = recognise(entry.example);
    assert.equal(r?.entry.id, entry.id, `"${entry.example}" (${family.id}) recognised as ${r?.entry.id}`);
  }
});

test('as it sits in a log: timestamps, prefixes, other hosts, ports and paths around it', () => {
  const cases: Array<[string, string]> = [
    ['2026/12/07 07:15:43 [error] 812#812: *4471 connect() to unix:/var/run/php8.2-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 10.1.2.3, server: shop', 'nginx-unix-upstream-eagain'],
    ['2026/12/07 07:15:43 [crit] 812#812: accept4() failed (24: Too many open files)', 'nginx-accept-emfile'],
    ['Dec  7 07:15:43 lb1 haproxy[911]: Proxy fe_main reached process FD limit at 2000. Please check \'ulimit-n\' and restart.', 'haproxy-process-fd-limit'],
    ['[Mon Dec  7 07:15:43 2026] TCP: request_sock_TCPv6: Possible SYN flooding on port [::]:443. Dropping request.  Check SNMP counters.', 'linux-syn-flooding'],
    ['E1207 07:15:43.123456    1234 kubelet.go:1542] "Failed to start ContainerManager" err="failed to create fsnotify watcher: too many open files"', 'go-fsnotify-emfile'],
    ['Caused by: java.net.SocketException: Too many open files (Accept failed)', 'java-too-many-open-files'],
    ['Unhandled rejection Error: connect ECONNREFUSED ::1:6379', 'node-econnrefused'],
    ['requests.exceptions.ConnectionError: HTTPConnectionPool(host=\'api\', port=80): Max retries exceeded ([Errno 99] Cannot assign requested address)', 'python-eaddrnotavail'],
    ['[07-Dec-2026 07:15:43] WARNING: [pool www] server reached pm.max_children setting (50), consider raising it', 'php-fpm-max-children'],
    ['curl: (7) Failed to connect to 10.0.0.5 port 9200 after 3 ms: Couldn\'t connect to server', 'curl-refused'],
    ['accept: EMFILE', 'strerror-emfile'],
    ['write failed: ECONNRESET', 'strerror-econnreset'],
    ['socket(): Too many open files in system', 'strerror-enfile'],
  ];
  for (const [line, id] of cases) assert.equal(recognise(line)?.entry.id, id, line);
  assert.equal(recognise('hello world'), null);
  assert.equal(recognise('disk is fine'), null);
});

test('hints: the unix path or the port a line is about', () => {
  assert.deepEqual(extractHints('connect() to unix:/run/php/php-fpm.sock failed (11: Resource temporarily unavailable)'), { path: '/run/php/php-fpm.sock' });
  assert.deepEqual(extractHints('stream_socket_client(): Unable to connect to unix:///run/app/app.sock (Resource temporarily unavailable)'), { path: '/run/app/app.sock' });
  assert.deepEqual(extractHints('dial unix /run/app/app.sock: connect: resource temporarily unavailable'), { path: '/run/app/app.sock' });
  assert.deepEqual(extractHints('Error: connect EAGAIN /run/app/app.sock'), { path: '/run/app/app.sock' });
  assert.deepEqual(extractHints('dial unix @ctl: connect: connection refused').path, '@ctl');
  assert.deepEqual(extractHints('read tcp 10.0.0.1:43210->10.0.0.2:80: read: connection reset by peer'), { port: 80, address: '10.0.0.2' });
  assert.deepEqual(extractHints('Error: connect ECONNREFUSED 127.0.0.1:5432'), { port: 5432, address: '127.0.0.1' });
  assert.deepEqual(extractHints('dial tcp [::1]:8080: connect: connection refused'), { port: 8080, address: '::1' });
  assert.deepEqual(extractHints('curl: (7) Failed to connect to localhost port 8080 after 0 ms: Connection refused'), { port: 8080 });
  assert.deepEqual(extractHints('accept4() failed (24: Too many open files)'), {});
  assert.deepEqual(extractHints('x 1.2.3.4:99999 y').port, undefined, 'not a port');
});

test('a hostile line: long, with escapes, is bounded and recognised without catastrophic backtracking', () => {
  const long = `${'a'.repeat(100_000)} Too many open files ${'\x1b[2J'.repeat(1000)}`;
  const t0 = performance.now();
  assert.equal(recognise(long), null, 'past the 4 KiB bound: not read');
  assert.equal(recognise(`\x1b]0;x\x07 Too many open files`)?.entry.id, 'strerror-emfile');
  assert.ok(performance.now() - t0 < 1000);
});

test('docs/why.md holds the catalogue as the code has it', () => {
  const text = readFileSync(DOC, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  assert.ok(a >= 0 && b > a, 'catalogue markers missing in docs/why.md');
  const table = catalogueMarkdown();
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(DOC, text.slice(0, a + BEGIN.length) + table + text.slice(b));
  const now = readFileSync(DOC, 'utf8');
  assert.equal(now.slice(now.indexOf(BEGIN) + BEGIN.length, now.indexOf(END)), table);
});
