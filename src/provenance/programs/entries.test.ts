/**
 * Each catalogue entry over configuration trees copied from real packages
 * (test/fixtures/programs/make-fixtures.mjs): the cap, where it is written, what was read, and
 * "unknown" (never a guess) when the file is not there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../../testing/paths.js';
import { ConfigReader } from './config-reader.js';
import { PROGRAMS } from './index.js';
import type { CapReading, ProgramCase, ProgramListener, ProgramProcess } from './types.js';

const entry = (id: string) => PROGRAMS.find((p) => p.id === id)!;
const proc = (name: string, cmdline: string, extra: Partial<ProgramProcess> = {}): ProgramProcess => ({ pid: 100, ppid: 1, name, cmdline, uid: 0, soft: 1024, hard: 4096, ...extra });
const listen = (port: number, address = '0.0.0.0'): ProgramListener => ({ address, port, netns: 0, backlog: 511 });

function read(id: string, tree: string, main: ProgramProcess, opts: Partial<ProgramCase> = {}): { r: CapReading; files: string[] } {
  const root = fixture('programs', tree);
  const reader = new ConfigReader(root);
  const c: ProgramCase = { root, reader, main, argv: main.cmdline.split(' '), launch: null, unit: null, cwd: '/', workers: [], listeners: [listen(80)], ...opts };
  return { r: entry(id).read(c), files: reader.files };
}

test('nginx: Debian\'s nginx.conf, worker_connections 768 in events { }, per worker; includes followed through a link', () => {
  const workers = [proc('nginx', 'nginx: worker process', { pid: 101, ppid: 100 }), proc('nginx', 'nginx: worker process', { pid: 102, ppid: 100 })];
  const { r, files } = read('nginx', 'nginx-debian', proc('nginx', 'nginx: master process /usr/sbin/nginx -g daemon on; master_process on;'), { workers });
  assert.equal(r.unknown, undefined);
  const cap = r.caps[0];
  assert.deepEqual([cap.directive, cap.value, cap.file, cap.line, cap.scope, cap.origin], ['worker_connections', 768, '/etc/nginx/nginx.conf', 8, 'process', 'config']);
  assert.deepEqual(cap.pids, [101, 102]);
  assert.equal(cap.saturatesAt, 767);
  assert.ok(files.includes('/etc/nginx/sites-enabled/default'), files.join(' '));
  assert.ok(files.includes('/etc/nginx/conf.d/upstream.conf'));
  assert.deepEqual(r.notes, [], 'every include found, 768 fits under 1024');
});

test('nginx: -c elsewhere, the events block from a relative include, accept_mutex on makes 7/8 the point it stops accepting', () => {
  const workers = [1, 2].map((i) => proc('nginx', 'nginx: worker process', { pid: 100 + i, ppid: 100, soft: 2048 }));
  const { r } = read('nginx', 'nginx-include', proc('nginx', 'nginx: master process /usr/sbin/nginx -c /srv/web/nginx.conf'), { workers });
  const cap = r.caps[0];
  assert.deepEqual([cap.value, cap.file, cap.line], [4096, '/srv/web/conf/events.conf', 3]);
  assert.equal(cap.saturatesAt, 4096 - 512);
  assert.equal(cap.fdCeiling, 2048);
  assert.match(r.notes.join(' '), /worker_connections 4096 exceeds the workers' fd limit 2048 \(worker_rlimit_nofile at \/srv\/web\/nginx\.conf:2\)/);
});

test('nginx: no configuration where the title says: unknown, with the path', () => {
  const { r } = read('nginx', 'nginx-include', proc('nginx', 'nginx: master process /usr/sbin/nginx -c /etc/none.conf'));
  assert.deepEqual(r.caps, []);
  assert.match(r.unknown ?? '', /\/etc\/none\.conf was not found, so its cap is unknown/);
});

test('HAProxy: global maxconn, a frontend maxconn below it, and a bind maxconn, each with its ports and line', () => {
  const { r } = read('haproxy', 'haproxy-debian', proc('haproxy', '/usr/sbin/haproxy -Ws -f /etc/haproxy/haproxy.cfg -p /run/haproxy.pid'), { listeners: [listen(80), listen(8443)] });
  assert.deepEqual(
    r.caps.map((c) => [c.scope, c.value, c.line, (c.ports ?? []).join(',')]),
    [
      ['instance', 4000, 2, '80,8443'],
      ['listener', 1000, 40, '80,8443'],
      ['listener', 50, 39, '8443'],
    ],
  );
  assert.ok(r.reload.lines[0].startsWith('kill -USR2 100'), 'master-worker: USR2 to the master');
});

test('HAProxy: no maxconn anywhere: derived from the fd limit, approximately, and said so; -n wins over the file', () => {
  const { r } = read('haproxy', 'haproxy-derived', proc('haproxy', 'haproxy -f /etc/haproxy/haproxy.cfg', { soft: 4096 }));
  assert.equal(r.caps[0].origin, 'fd-limit');
  assert.equal(r.caps[0].approximate, true);
  assert.equal(r.caps[0].value, 2035, 'HAProxy 2.6 computed 2034 at 4096 with two listeners; one here');
  const n = read('haproxy', 'haproxy-debian', proc('haproxy', 'haproxy -f /etc/haproxy/haproxy.cfg -n 77'));
  assert.deepEqual([n.r.caps[0].value, n.r.caps[0].origin], [77, 'flag']);
});

test('Redis: the title hides the file, the unit names it; maxclients from an include; lowered by a low fd limit', () => {
  const launch = { argv: ['/usr/bin/redis-server', '/etc/redis/redis.conf', '--supervised', 'systemd'], from: 'ExecStart= of redis-server.service (/lib/systemd/system/redis-server.service:9)' };
  const ok = read('redis', 'redis-debian', proc('redis-server', 'redis-server 127.0.0.1:6379', { soft: 10032, hard: 10032 }), { launch, listeners: [listen(6379, '127.0.0.1')] });
  assert.deepEqual([ok.r.caps[0].value, ok.r.caps[0].file, ok.r.caps[0].line, ok.r.caps[0].origin], [4000, '/etc/redis/local.conf', 2, 'config']);
  const low = read('redis', 'redis-debian', proc('redis-server', 'redis-server 127.0.0.1:6379', { soft: 1024, hard: 1024 }), { launch, listeners: [listen(6379, '127.0.0.1')] });
  assert.deepEqual([low.r.caps[0].value, low.r.caps[0].configured, low.r.caps[0].origin], [992, 4000, 'fd-limit']);
  assert.match(low.r.caps[0].fromFdLimit?.how ?? '', /maxclients has been reduced to 992/);
});

test('Redis: no launcher, found at a usual path only when its port is the one it listens on; else a bound from the fd limit', () => {
  const found = read('redis', 'redis-debian', proc('redis-server', 'redis-server *:6379'), { listeners: [listen(6379)] });
  assert.equal(found.r.configFrom, 'found at a usual path, with port 6379');
  const other = read('redis', 'redis-debian', proc('redis-server', 'redis-server *:6380', { soft: 64 }), { listeners: [listen(6380)] });
  assert.deepEqual([other.r.caps[0].value, other.r.caps[0].atMost], [32, true]);
});

test('PostgreSQL: config_file, include_dir, then postgresql.auto.conf (ALTER SYSTEM) wins; a restart is needed', () => {
  const pg = proc('postgres', '/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf');
  const { r, files } = read('postgresql', 'postgresql', pg, { listeners: [listen(5432, '127.0.0.1')] });
  assert.deepEqual([r.caps[0].value, r.caps[0].file, r.caps[0].saturatesAt], [300, '/var/lib/postgresql/15/main/postgresql.auto.conf', 297]);
  assert.ok(files.includes('/etc/postgresql/15/main/conf.d/tuning.conf'));
  assert.equal(r.reload.restart, true);
  const flag = read('postgresql', 'postgresql', proc('postgres', `${pg.cmdline} -N 40`));
  assert.deepEqual([flag.r.caps[0].value, flag.r.caps[0].origin], [40, 'flag']);
});

test('MySQL/MariaDB: !includedir, max-connections spelled with a dash, lowered to fit the open files limit', () => {
  const { r } = read('mysql', 'mysql', proc('mariadbd', '/usr/sbin/mariadbd', { soft: 32768 }));
  assert.deepEqual([r.caps[0].value, r.caps[0].file, r.caps[0].line], [500, '/etc/mysql/mariadb.conf.d/50-server.cnf', 11]);
  const low = read('mysql', 'mysql', proc('mysqld', '/usr/sbin/mysqld', { soft: 1024 }));
  assert.deepEqual([low.r.caps[0].value, low.r.caps[0].configured, low.r.caps[0].origin], [214, 500, 'fd-limit']);
});

test('PgBouncer: max_client_conn from a %include; PHP-FPM: a TCP pool and a unix-socket pool; Tomcat: maxConnections per connector, commented ones ignored', () => {
  const pgb = read('pgbouncer', 'pgbouncer', proc('pgbouncer', '/usr/sbin/pgbouncer /etc/pgbouncer/pgbouncer.ini'));
  assert.deepEqual([pgb.r.caps[0].value, pgb.r.caps[0].file], [250, '/etc/pgbouncer/limits.ini']);
  const fpm = read('php-fpm', 'php-fpm', proc('php-fpm8.2', 'php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)'));
  assert.deepEqual(
    fpm.r.caps.map((c) => [c.where, c.value, (c.ports ?? []).join(','), c.unixPath ?? null]).sort(),
    [
      ['the [api] pool', 12, '9000', null],
      ['the [www] pool', 5, '', '/run/php/php8.2-fpm.sock'],
    ],
  );
  const tc = read('tomcat', 'tomcat', proc('java', '/usr/bin/java -Dcatalina.base=/var/lib/tomcat10 -Dcatalina.home=/usr/share/tomcat10 org.apache.catalina.startup.Bootstrap start'));
  assert.deepEqual(
    tc.r.caps.map((c) => [c.ports?.[0], c.value, c.origin, c.line]),
    [
      [8080, 400, 'config', 7],
      [8009, 8192, 'default', 11],
    ],
  );
});

test('Spring Boot: ./config/application.yml wins over ./application.properties; a --server.tomcat.max-connections argument over both; nothing external: unknown', () => {
  const sb = read('spring-boot', 'spring-boot', proc('java', 'java -Dspring.profiles.active=prod -jar app.jar'), { cwd: '/srv/app' });
  assert.deepEqual([sb.r.caps[0].value, sb.r.caps[0].file, sb.r.caps[0].line], [300, '/srv/app/config/application.yml', 4]);
  const arg = read('spring-boot', 'spring-boot', proc('java', 'java -jar app.jar --server.tomcat.max-connections=50'), { cwd: '/srv/app' });
  assert.deepEqual([arg.r.caps[0].value, arg.r.caps[0].origin], [50, 'flag']);
  const none = read('spring-boot', 'spring-boot', proc('java', 'java -Dspring.x=1 -jar app.jar'), { cwd: '/opt' });
  assert.match(none.r.unknown ?? '', /packaged in its jar is not read/);
});

test('gunicorn and uvicorn: caps from the command line', () => {
  const sync = read('gunicorn', 'spring-boot', proc('gunicorn', '/usr/bin/python3 /usr/bin/gunicorn -w 3 -b 0.0.0.0:8000 app:app'));
  assert.deepEqual([sync.r.caps[0].directive, sync.r.caps[0].value, sync.r.caps[0].atCap], ['workers', 3, 'queue']);
  const gthread = read('gunicorn', 'spring-boot', proc('gunicorn', '/usr/bin/python3 /usr/bin/gunicorn -w 2 --threads 4 --worker-connections 50 app:app'));
  assert.deepEqual([gthread.r.caps[0].directive, gthread.r.caps[0].value, gthread.r.caps[0].multiplier], ['worker_connections', 100, 2]);
  const uv = read('uvicorn', 'spring-boot', proc('python3', 'python3 -m uvicorn main:app --limit-concurrency 64 --workers 2'));
  assert.deepEqual([uv.r.caps[0].value, uv.r.caps[0].atCap], [128, 'refuse']);
  assert.deepEqual(read('uvicorn', 'spring-boot', proc('uvicorn', '/venv/bin/python /venv/bin/uvicorn main:app')).r.caps, [], 'no --limit-concurrency: no cap');
});

test('upstreams: nginx proxy_pass per server block (with its listen ports), HAProxy backend servers per frontend', () => {
  const ng = read('nginx', 'nginx-include', proc('nginx', 'nginx: master process /usr/sbin/nginx -c /srv/web/nginx.conf'));
  assert.deepEqual(ng.r.upstreams, [{ listenPorts: [8080], address: '127.0.0.1', port: 9000, directive: 'proxy_pass', file: '/srv/web/conf/a.site', line: 1 }]);
  const hp = read('haproxy', 'haproxy-debian', proc('haproxy', 'haproxy -f /etc/haproxy/haproxy.cfg'));
  assert.deepEqual(hp.r.upstreams?.map((u) => [u.listenPorts.join(','), u.address, u.port, u.directive]), [['80,8443', '127.0.0.1', 8081, 'server a1 of backend app']]);
});

test('Apache httpd: Debian\'s event MPM (MaxRequestWorkers 150 in mods-enabled, idle keep-alives allowed beside: approximate), and prefork inside <IfModule>', () => {
  const ev = read('apache', 'apache-debian', proc('apache2', '/usr/sbin/apache2 -k start'));
  assert.deepEqual([ev.r.caps[0].value, ev.r.caps[0].multiplier, ev.r.caps[0].approximate, ev.r.caps[0].file, ev.r.caps[0].line], [450, 3, true, '/etc/apache2/mods-enabled/mpm_event.conf', 13]);
  assert.match(ev.r.notes[0], /event MPM/);
  const pf = read('apache', 'apache-prefork', proc('apache2', '/usr/sbin/apache2 -k start'));
  assert.deepEqual([pf.r.caps[0].value, pf.r.caps[0].line, pf.r.caps[0].atCap], [40, 12, 'queue'], 'the event section does not apply to prefork');
  assert.ok(pf.r.reload.lines[0].startsWith('kill -USR1 100'));
});
