import { healthySnapshot, listener, proc, program, snapshot } from '../testing/snapshot-builder.js';
import { rule } from './program-cap-near.js';
import { runRuleCases } from './support/rule-cases.js';

const redis = proc({ pid: 31, name: 'redis-server' });
const at = (held: number) =>
  snapshot({
    processes: [redis],
    listeners: [listener({ address: '127.0.0.1', port: 6379, pids: [31] })],
    programs: [program({ program: 'redis', label: 'Redis', pid: 31, ports: [6379], cap: { directive: 'maxclients', value: 100, atCap: 'refuse', file: '/etc/redis/redis.conf', line: 1092, setLine: 'maxclients {}' }, held })],
  });

runRuleCases(rule, {
  valid: [
    { name: 'healthy host', snapshot: healthySnapshot() },
    { name: 'below 80%', snapshot: at(79) },
    { name: 'at the cap is program-cap-reached, not both', snapshot: at(100) },
    { name: 'a stricter --cap-warning', snapshot: at(85), options: { capWarning: 0.9 } },
  ],
  invalid: [
    {
      name: 'Redis at 80 of its maxclients 100',
      snapshot: at(80),
      findings: [
        {
          severity: 'warning',
          subject: { pid: 31, name: 'redis-server' },
          evidence: { program: 'redis', directive: 'maxclients', cap: 100, held: 80, heldPercent: 80, atCap: 'refuse', proposed: 200 },
          related: [],
          fixIncludes: ['# in /etc/redis/redis.conf:1092, the global section: set `maxclients 200`'],
          explainIncludes: ['At 100: it stops accepting'],
        },
      ],
    },
  ],
});
