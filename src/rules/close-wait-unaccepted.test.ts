import { healthySnapshot, listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './close-wait-unaccepted.js';
import { runRuleCases } from './support/rule-cases.js';

const seedSubject = { address: '::', port: 8889, pid: 37482, name: 'server' };
const old = { 'net.core.somaxconn': 128 };

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'queued but not closed by clients', snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 100, establishedUnaccepted: 100 })] }) },
  ],
  invalid: [
    {
      name: 'the seed after the clients died: 129 CLOSE_WAIT, queue full -> critical',
      snapshot: snapshot({
        processes: [proc({ pid: 37482, name: 'server', open: 8, soft: 524288 })],
        listeners: [listener({ address: '::', port: 8889, pids: [37482], acceptQueue: 129, backlog: 128, closeWaitUnaccepted: 129 })],
        tunables: old,
        deltas: { 'TcpExt.ListenOverflows': 40 },
      }),
      findings: [
        {
          severity: 'critical',
          subject: seedSubject,
          evidence: { closeWaitUnaccepted: 129, establishedUnaccepted: 0, acceptQueue: 129, backlog: 128, queueFull: true, ownerOutOfFds: false },
          related: ['accept-queue-full@[::]:8889', 'listen-overflows'],
          fixIncludes: ['strace -f -e trace=accept,accept4 -p 37482', "ss -tn state close-wait '( sport = :8889 )'", 'restarting server'],
          explainIncludes: ['129 connections on [::]:8889 were closed by the client', 'no PID', 'not calling accept()'],
        },
      ],
    },
    {
      name: 'owner out of fds: the chain spelled out',
      snapshot: snapshot({
        processes: [proc({ pid: 37482, name: 'server', open: 1024, soft: 1024, hard: 1024 })],
        listeners: [listener({ address: '::', port: 8889, pids: [37482], acceptQueue: 129, backlog: 128, closeWaitUnaccepted: 129 })],
        tunables: old,
      }),
      findings: [
        {
          severity: 'critical',
          subject: seedSubject,
          evidence: { ownerOutOfFds: true },
          related: ['accept-queue-full@[::]:8889', 'fd-limit-exhausted@37482'],
          fixIncludes: ['sockdoc limits 37482'],
          explainIncludes: [
            'out of file descriptors (1024 of 1024) -> accept() fails with EMFILE -> the accept queue is full -> new handshakes are dropped -> clients give up',
          ],
        },
      ],
    },
    {
      name: 'queue not full: warning; owner near its limit mentioned',
      snapshot: snapshot({
        processes: [proc({ pid: 700, name: 'api', open: 850, soft: 1000 })],
        listeners: [listener({ address: '127.0.0.1', port: 9000, pids: [700], acceptQueue: 1, backlog: 4096, closeWaitUnaccepted: 1 })],
      }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '127.0.0.1', port: 9000, pid: 700, name: 'api' },
          evidence: { closeWaitUnaccepted: 1, queueFull: false, ownerOutOfFds: false },
          related: ['fd-limit-near@700'],
          explainIncludes: ['1 connection on 127.0.0.1:9000 was closed', 'near its file descriptor limit'],
        },
      ],
    },
    {
      name: 'no owner seen',
      snapshot: snapshot({ listeners: [listener({ port: 80, acceptQueue: 4, closeWaitUnaccepted: 4 })] }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '0.0.0.0', port: 80 },
          evidence: { closeWaitUnaccepted: 4 },
          related: [],
          fixIncludes: ['restarting the program that listens here'],
        },
      ],
    },
  ],
});
