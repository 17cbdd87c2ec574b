/**
 * tini, dumb-init and docker-init (tini as `docker run --init` ships it): a container's pid 1 that
 * reaps zombies and forwards signals. They set no limit: the program below them has theirs.
 */
import type { Launcher } from './types.js';

export const initWrappers: Launcher = {
  id: 'tini/dumb-init',
  recognisedBy: 'comm "tini", "dumb-init" or "docker-init"',
  settingLives: 'nowhere: they pass on what the container runtime gave them',
  childrenGet: 'their own limit, unchanged',
  durableFix: "the container's --ulimit, or the runtime's default",
  relief: 'prlimit on the program',
  passThrough: true,
  identity: { what: 'an init wrapper', binaries: ['tini', 'tini-static', 'dumb-init', 'docker-init'], runsAs: 'any' },
  is: (n) => n.name === 'tini' || n.name === 'dumb-init' || n.name === 'docker-init',
  explain: () => null,
};
