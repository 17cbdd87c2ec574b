import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backlogKnob, ownBacklogFix } from './backlog-knobs.js';

test('each runtime is recognised from comm or argv and gets its own knob', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['node', 'node /srv/app/server.js', 'Node.js', /server\.listen\(\{ port: 8080, backlog: 2044 \}\)/],
    ['node /srv/app/s', 'node /srv/app/server.js', 'Node.js', /backlog: 2044/],
    ['nginx', 'nginx: worker process', 'nginx', /^listen 8080 backlog=2044;/],
    ['java', '/usr/bin/java -jar app.jar', 'Java', /acceptCount="2044".*server\.tomcat\.accept-count=2044/],
    ['gunicorn', '/usr/bin/python3 /usr/bin/gunicorn app:app', 'gunicorn', /gunicorn --backlog 2044/],
    ['python3', '/usr/bin/python3 /venv/bin/uvicorn app:app', 'uvicorn', /uvicorn --backlog 2044/],
    ['redis-server', 'redis-server *:6379', 'Redis', /^tcp-backlog 2044/],
    ['php-fpm8.2', 'php-fpm: pool www', 'PHP-FPM', /^listen\.backlog = 2044/],
    ['haproxy', '/usr/sbin/haproxy -Ws -f /etc/haproxy/haproxy.cfg', 'HAProxy', /^backlog 2044/],
    ['python3', 'python3 -m http.server 8080', 'Python', /request_queue_size = 2044/],
  ];
  for (const [name, cmd, runtime, line] of cases) {
    assert.equal(backlogKnob(name, cmd)?.runtime, runtime, `${name} / ${cmd}`);
    const fix = ownBacklogFix(name, cmd, 511, 4096, { port: 8080 });
    assert.match(fix[0], /own listen\(\) backlog 511, below net\.core\.somaxconn 4096/);
    assert.ok(fix.some((l) => line.test(l)), `${runtime}: ${fix.join('\n')}`);
  }
});

test('the value never exceeds somaxconn (listen() would clamp it again); an unknown program gets the generic advice', () => {
  assert.match(ownBacklogFix('node', 'node s.js', 5, 128, { port: 80 }).join('\n'), /backlog: 128 \}/);
  assert.equal(backlogKnob('mysterious', '/opt/x'), null);
  assert.match(ownBacklogFix('mysterious', '/opt/x', 64, 4096, { port: 9000 })[1], /listen\(fd, backlog\) to 1024/);
});

test('a unix-domain listener gets its program\'s knob with the path: php-fpm, uWSGI, gunicorn, nginx, Node, systemd sockets, Puma, Unicorn', () => {
  const path = { path: '/run/php/php-fpm.sock' };
  const cases: Array<[string, string, string, RegExp]> = [
    ['php-fpm8.2', 'php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)', 'PHP-FPM', /^listen\.backlog = 2044/],
    ['uwsgi', '/usr/bin/uwsgi --ini /etc/uwsgi/app.ini', 'uWSGI', /^uwsgi --listen 2044/],
    ['gunicorn', '/venv/bin/python /venv/bin/gunicorn --bind unix:/run/app.sock app:app', 'gunicorn', /gunicorn --backlog 2044/],
    ['nginx', 'nginx: master process', 'nginx', /^listen unix:\/run\/php\/php-fpm\.sock backlog=2044;/],
    ['node', 'node /srv/app.js', 'Node.js', /server\.listen\(\{ path: "\/run\/php\/php-fpm\.sock", backlog: 2044 \}\)/],
    ['systemd', '/sbin/init', 'systemd socket activation', /^Backlog=2044 .*\/run\/php\/php-fpm\.sock/],
    ['puma 6.4.0 (un', 'puma 6.4.0 (unix:///run/puma.sock) [app]', 'Puma', /bind 'unix:\/\/\/run\/php\/php-fpm\.sock\?backlog=2044'/],
    ['ruby', '/usr/bin/ruby /srv/bin/unicorn -c unicorn.rb', 'Unicorn', /listen "\/run\/php\/php-fpm\.sock", :backlog => 2044/],
  ];
  for (const [name, cmd, runtime, line] of cases) {
    assert.equal(backlogKnob(name, cmd)?.runtime, runtime, `${name} / ${cmd}`);
    const fix = ownBacklogFix(name, cmd, 511, 4096, path);
    assert.ok(fix.some((l) => line.test(l)), `${runtime}: ${fix.join('\n')}`);
  }
});
