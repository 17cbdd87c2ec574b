/** daemontools: supervise runs SERVICE/run; `softlimit -o N` there sets the open-files limit (cr.yp.to/daemontools/softlimit.html). */
import { explainRunScript, type RunScriptSuite } from './run-script.js';
import type { Launcher } from './types.js';

const SUITE: RunScriptSuite = { id: 'daemontools', comm: 'supervise', tool: 'softlimit', restart: (d) => ['svc', '-t', d], serviceDirs: ['/service', '/etc/service'] };

export const daemontools: Launcher = {
  id: 'daemontools',
  recognisedBy: 'comm "supervise", argv[1] the service directory',
  settingLives: 'SERVICE/run: `softlimit -o N` (or `ulimit -n N`)',
  childrenGet: "supervise's limit (svscan's) unless run sets one",
  durableFix: '`softlimit -o N program` in SERVICE/run, then `svc -t SERVICE`',
  relief: 'prlimit on the service process',
  identity: { what: "daemontools' supervise", binaries: ['supervise'], runsAs: 'any' },
  is: (n) => n.name === 'supervise',
  explain: (c) => explainRunScript(c, SUITE),
};
