/** runit: runsv runs SERVICE/run; `chpst -o N` there sets the service's open-files limit (man chpst). */
import { explainRunScript, type RunScriptSuite } from './run-script.js';
import type { Launcher } from './types.js';

const SUITE: RunScriptSuite = { id: 'runit', comm: 'runsv', tool: 'chpst', restart: (d) => ['sv', 'restart', d], serviceDirs: ['/etc/service', '/etc/sv', '/var/service', '/service'] };

export const runit: Launcher = {
  id: 'runit',
  recognisedBy: 'comm "runsv", argv[1] the service directory',
  settingLives: 'SERVICE/run: `chpst -o N` (or `ulimit -n N`)',
  childrenGet: "runsv's limit (runsvdir's, from runit's stage 2) unless run sets one",
  durableFix: '`exec chpst -o N program` in SERVICE/run, then `sv restart SERVICE`',
  relief: 'prlimit on the service process',
  identity: { what: 'runsv', binaries: ['runsv'], runsAs: 'any' },
  is: (n) => n.name === 'runsv',
  explain: (c) => explainRunScript(c, SUITE),
};
