import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCountingLine, remedyFirst } from './fix-lines.js';

test('lines that only count or look are told from lines that change something', () => {
  const counting = [
    `ss -ltn 'sport = :8889'   # Recv-Q = queued, Send-Q = backlog; watch whether Recv-Q drains`,
    `ip netns exec lt-27 ss -ltn 'sport = :9009'   # Recv-Q = queued`,
    `nsenter -n -t 6039 ss -ltn 'sport = :8080'`,
    'strace -f -e trace=accept,accept4 -p 21943   # is accept() called at all, and does it fail (EMFILE)?',
    'top -H -p 21943',
    `for p in /proc/[0-9]*; do n=$(find "$p/fd" -lname 'anon_inode:inotify' 2>/dev/null | wc -l); [ "$n" -gt 0 ] && echo "$n $(stat -c %u "$p") \${p#/proc/} $(cat "$p/comm")"; done | sort -rn | head   # who holds them`,
    `ls -l /proc/13638/fd | awk '{print $NF}' | sed 's/[0-9]*]$/]/' | sort | uniq -c | sort -rn | head`,
    'cat /proc/net/sockstat; sysctl net.ipv4.tcp_mem   # mem is in pages',
    `ss -tn | awk '$2 > 65536 || $3 > 65536' | head`,
    'conntrack -S   # per-CPU drops',
    'dmesg | grep -E "out of memory -- consider tuning tcp_mem|too many orphaned sockets"',
    'sudo systemctl status nginx',
  ];
  for (const l of counting) assert.equal(isCountingLine(l), true, l);
  const changing = [
    'sysctl -w fs.inotify.max_user_instances=1024   # now; host-wide, for every uid',
    'sudo sysctl -w net.core.somaxconn=4096',
    `echo 'net.core.somaxconn = 4096' > /etc/sysctl.d/90-somaxconn.conf   # keeps it after reboot`,
    `echo 'net.core.somaxconn = 4096' | sudo tee /etc/sysctl.d/90-sockdoc-somaxconn.conf`,
    'echo 32768 > /sys/module/nf_conntrack/parameters/hashsize',
    'prlimit --pid 30705 --nofile=4096:4096   # now, without a restart',
    'runuser -u app -- prlimit --pid 7 --nofile=4096:4096',
    'sudo systemctl daemon-reload && sudo systemctl restart supervisord',
    'nsenter --user --target 13689 sysctl -w user.max_inotify_instances=1024',
    'iptables -t raw -A PREROUTING -p tcp --dport 80 -j NOTRACK',
    'conntrack -F',
    `sed -i 's/a/b/' /etc/x.conf`,
    'server.listen({ port: 8890, backlog: 1024 })   # in the program',
    'kill -CONT 4242',
    'sockdoc limits 30705   # raise the fd limit where it is set',
    'kubectl -n shop delete pod web-0',
    '# in /etc/nginx/nginx.conf:12, events: set `worker_connections 4096;`',
    'some-new-tool --fix',
  ];
  for (const l of changing) assert.equal(isCountingLine(l), false, l);
});

test('remedyFirst: the remedies first, then the notes and the counting commands in the rule order', () => {
  const fix = [
    `for p in /proc/[0-9]*; do echo "$p"; done | head   # who holds them`,
    'grep -c inotify /proc/7/fdinfo/* 2>/dev/null | sort -t: -k2 -rn | head',
    'sysctl -w fs.inotify.max_user_watches=1048576   # now',
    `echo 'fs.inotify.max_user_watches = 1048576' > /etc/sysctl.d/90-inotify.conf`,
    '# not ulimit -n, LimitNOFILE= or prlimit',
  ];
  assert.deepEqual(remedyFirst(fix), [fix[2], fix[3], fix[0], fix[1], fix[4]]);
  // A note keeps its place among the counting commands; a config edit is a remedy.
  const notes = ['ss -ltn', '# restarting node releases them', '# in /etc/nginx/nginx.conf:12, events: set `worker_connections 4096;`'];
  assert.deepEqual(remedyFirst(notes), [notes[2], notes[0], notes[1]]);
  assert.deepEqual(remedyFirst(notes.slice(0, 2)), notes.slice(0, 2));
  // Only counting lines, or no counting line: unchanged.
  assert.deepEqual(remedyFirst(fix.slice(0, 2)), fix.slice(0, 2));
  assert.deepEqual(remedyFirst(fix.slice(2)), fix.slice(2));
  // A multi-line entry is a remedy when any of its lines is.
  const multi = ['ss -ltn', "printf '[Service]\\nLimitNOFILE=65536\\n' |\nsudo tee /etc/systemd/system/x.service.d/nofile.conf"];
  assert.deepEqual(remedyFirst(multi), [multi[1], multi[0]]);
});
