import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../testing/paths.js';
import { programCatalogueMarkdown } from './catalogue-doc.js';
import { PROGRAMS, recognise } from './index.js';
import type { ProgramProcess } from './types.js';

const DOC = join(repoRoot, 'docs', 'programs.md');
const BEGIN = '<!-- catalogue: generated from src/provenance/programs (UPDATE_GOLDEN=1 rewrites it) -->\n';
const END = '<!-- end of catalogue -->';

test('every program entry says how it is recognised, where its cap lives, its defaults, the fd limit, what clients meet and how it reloads', () => {
  const ids = new Set<string>();
  for (const p of PROGRAMS) {
    assert.ok(!ids.has(p.id), `duplicate id ${p.id}`);
    ids.add(p.id);
    for (const k of ['label', 'recognisedBy', 'capLives', 'defaults', 'fromFdLimit', 'atCapDoc', 'reloadDoc'] as const) assert.ok(p[k].length > 2, `${p.id}.${k} is empty`);
  }
});

test('docs/programs.md holds the catalogue as the code has it', () => {
  const text = readFileSync(DOC, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  assert.ok(a >= 0 && b > a, 'catalogue markers missing in docs/programs.md');
  const table = programCatalogueMarkdown();
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(DOC, text.slice(0, a + BEGIN.length) + table + text.slice(b));
  const now = readFileSync(DOC, 'utf8');
  assert.equal(now.slice(a + BEGIN.length, now.indexOf(END)), table);
});

const proc = (name: string, cmdline: string, pid = 10): ProgramProcess => ({ pid, ppid: 1, name, cmdline, uid: 0, soft: 1024, hard: 4096 });

test('recognition: each entry knows its own processes (copies of real titles) and not the others\' ', () => {
  const samples: Array<[string, ProgramProcess, 'main' | 'worker' | null]> = [
    ['nginx', proc('nginx', 'nginx: master process /usr/sbin/nginx -g daemon on; master_process on;'), 'main'],
    ['nginx', proc('nginx', 'nginx: worker process'), 'worker'],
    ['haproxy', proc('haproxy', '/usr/sbin/haproxy -Ws -f /etc/haproxy/haproxy.cfg -p /run/haproxy.pid -S /run/haproxy-master.sock'), 'main'],
    ['redis', proc('redis-server', 'redis-server 127.0.0.1:6379'), 'main'],
    ['tomcat', proc('java', '/usr/lib/jvm/java-17-openjdk-amd64/bin/java -Dcatalina.base=/var/lib/tomcat10 -Dcatalina.home=/usr/share/tomcat10 org.apache.catalina.startup.Bootstrap start'), 'main'],
    ['spring-boot', proc('java', 'java -jar app.jar --server.port=8080'), 'main'],
    ['gunicorn', proc('gunicorn', '/usr/bin/python3 /usr/bin/gunicorn -w 4 app:app'), 'main'],
    ['gunicorn', proc('gunicorn', 'gunicorn: worker [app:app]'), 'worker'],
    ['uvicorn', proc('python3', '/usr/bin/python3 -m uvicorn main:app --limit-concurrency 100'), 'main'],
    ['uvicorn', proc('uvicorn', '/srv/venv/bin/python /srv/venv/bin/uvicorn main:app'), 'main'],
    ['pgbouncer', proc('pgbouncer', '/usr/sbin/pgbouncer /etc/pgbouncer/pgbouncer.ini'), 'main'],
    ['mysql', proc('mysqld', '/usr/sbin/mysqld'), 'main'],
    ['mysql', proc('mariadbd', '/usr/sbin/mariadbd'), 'main'],
    ['postgresql', proc('postgres', '/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf'), 'main'],
    ['php-fpm', proc('php-fpm8.2', 'php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)'), 'main'],
    ['php-fpm', proc('php-fpm8.2', 'php-fpm: pool www'), 'worker'],
    ['apache', proc('apache2', '/usr/sbin/apache2 -k start'), 'main'],
    ['apache', proc('httpd', '/usr/sbin/httpd -DFOREGROUND'), 'main'],
    ['memcached', proc('memcached', '/usr/bin/memcached -m 64 -p 11211 -u memcache -l 127.0.0.1 -c 1024'), 'main'],
  ];
  for (const [id, p, role] of samples) {
    const r = recognise(p);
    assert.equal(r?.program.id, id, `${p.cmdline}`);
    assert.equal(r?.role, role, `${p.cmdline}`);
  }
  for (const p of [proc('java', 'java -jar plain.jar'), proc('python3', 'python3 server.py'), proc('node', 'node /srv/app.js'), proc('bash', 'bash -c nginx')]) assert.equal(recognise(p), null, p.cmdline);
});
