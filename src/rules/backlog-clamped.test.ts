import { healthySnapshot, listener, proc, snapshot, unixListener } from '../testing/snapshot-builder.js';
import { rule } from './backlog-clamped.js';
import { runRuleCases } from './support/rule-cases.js';

const old = { 'net.core.somaxconn': 128 };

runRuleCases(rule, {
  valid: [
    {
      name: 'backlogs below somaxconn (nginx 511, Java 50)',
      snapshot: snapshot({ listeners: [listener({ port: 80, backlog: 511 }), listener({ port: 8080, backlog: 50 })] }),
    },
    { name: 'backlog unknown', snapshot: snapshot({ listeners: [listener({ port: 80, backlog: null })], tunables: old }) },
    { name: 'somaxconn unknown', snapshot: snapshot({ listeners: [listener({ port: 80, backlog: 128 })], tunables: { 'net.core.somaxconn': null } }) },
    { name: 'healthy host: a Go listener got the modern somaxconn 4096, queue low -> nothing (noise)', snapshot: healthySnapshot() },
  ],
  invalid: [
    {
      name: 'a unix listener is clamped by somaxconn too (php-fpm asks 511, gets 128): the fix checks it with ss -xl',
      snapshot: snapshot({
        processes: [proc({ pid: 900, name: 'php-fpm8.2' })],
        listeners: [unixListener({ path: '/run/php/php-fpm.sock', pids: [900], acceptQueue: 129, backlog: 128 })],
        tunables: old,
      }),
      findings: [
        {
          severity: 'warning',
          subject: { path: '/run/php/php-fpm.sock', pid: 900, name: 'php-fpm8.2' },
          evidence: { backlog: 128, somaxconn: 128, queueLevel: 'full' },
          related: ['accept-queue-full@unix:/run/php/php-fpm.sock'],
          fixIncludes: ['sysctl -w net.core.somaxconn=4096', 'ss -xlp src /run/php/php-fpm.sock (Send-Q)'],
          explainIncludes: ['unix socket /run/php/php-fpm.sock', 'somaxconn caps unix-domain listeners'],
        },
      ],
    },
    {
      name: 'old kernel default: clamped to 128, queue low -> info',
      snapshot: snapshot({ listeners: [listener({ address: '::', port: 8889, acceptQueue: 1, backlog: 128 })], tunables: old }),
      findings: [
        {
          severity: 'info',
          subject: { address: '::', port: 8889 },
          evidence: { backlog: 128, somaxconn: 128, acceptQueue: 1, queueLevel: 'low', suggestedSomaxconn: 4096 },
          related: [],
        },
      ],
    },
    {
      name: 'modern somaxconn 4096 and the queue filling -> warning all the same',
      snapshot: snapshot({ listeners: [listener({ port: 9000, acceptQueue: 4000, backlog: 4096 })] }),
      findings: [{ severity: 'warning', subject: { address: '0.0.0.0', port: 9000 }, evidence: { queueLevel: 'filling', suggestedSomaxconn: 16384 }, related: ['accept-queue-filling@0.0.0.0:9000'] }],
    },
    {
      name: 'the seed: clamped to 128 and full -> warning',
      snapshot: snapshot({
        processes: [proc({ pid: 37482, name: 'server' })],
        listeners: [listener({ address: '::', port: 8889, pids: [37482], acceptQueue: 129, backlog: 128 })],
        tunables: old,
      }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '::', port: 8889, pid: 37482, name: 'server' },
          evidence: { backlog: 128, somaxconn: 128, acceptQueue: 129, queueLevel: 'full', suggestedSomaxconn: 4096 },
          related: ['accept-queue-full@[::]:8889'],
          fixIncludes: ['sysctl -w net.core.somaxconn=4096', "echo 'net.core.somaxconn = 4096' > /etc/sysctl.d/90-somaxconn.conf", 'restart server (pid 37482)'],
          explainIncludes: ['Node.js and nginx 511', 'Go exactly somaxconn', 'held by server (pid 37482)', 'Java', 'per network namespace'],
        },
      ],
    },
    {
      name: 'clamped and filling -> warning, linked',
      snapshot: snapshot({ listeners: [listener({ port: 3000, acceptQueue: 110, backlog: 128 })], tunables: old }),
      findings: [
        {
          severity: 'warning',
          subject: { address: '0.0.0.0', port: 3000 },
          evidence: { queueLevel: 'filling' },
          related: ['accept-queue-filling@0.0.0.0:3000'],
          fixIncludes: ['restart the program'],
        },
      ],
    },
  ],
});
