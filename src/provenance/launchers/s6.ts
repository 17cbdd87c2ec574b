/** s6: s6-supervise runs SERVICE/run; `s6-softlimit -o N` there sets the open-files limit (s6 docs, s6-softlimit). */
import { explainRunScript, type RunScriptSuite } from './run-script.js';
import type { Launcher } from './types.js';

const SUITE: RunScriptSuite = { id: 's6', comm: 's6-supervise', tool: 's6-softlimit', restart: (d) => ['s6-svc', '-r', d], serviceDirs: ['/run/service', '/var/run/s6/services', '/etc/s6/sv'] };

export const s6: Launcher = {
  id: 's6',
  recognisedBy: 'comm "s6-supervise", argv[1] the service directory',
  settingLives: 'SERVICE/run: `s6-softlimit -o N` (or `ulimit -n N`)',
  childrenGet: "s6-supervise's limit unless run sets one",
  durableFix: '`s6-softlimit -o N program` in SERVICE/run, then `s6-svc -r SERVICE`',
  relief: 'prlimit on the service process',
  identity: { what: 's6-supervise', binaries: ['s6-supervise'], runsAs: 'any' },
  is: (n) => n.name === 's6-supervise',
  explain: (c) => explainRunScript(c, SUITE),
};
