/**
 * The HotSpot JVM raises its soft RLIMIT_NOFILE to the hard limit at start-up (-XX:+MaxFDLimit,
 * on by default; hotspot os_linux.cpp os::init_2), as Go ≥ 1.19 programs do (os package). The
 * hard limit is the ceiling, and it comes from whoever started the program.
 */
import { limitOf, who } from './common.js';
import type { Launcher } from './types.js';

export const jvm: Launcher = {
  id: 'jvm',
  recognisedBy: 'comm "java" or argv[0] ending in /java',
  settingLives: "the hard limit of whoever started it (the JVM takes soft up to it); -XX:-MaxFDLimit turns this off",
  childrenGet: 'not applicable: the JVM raises its own soft limit',
  durableFix: 'raise the hard limit at the layer that starts the JVM (its unit, supervisor or shell)',
  relief: 'prlimit on the JVM (hard needs CAP_SYS_RESOURCE)',
  identity: { what: 'a JVM', binaries: ['java'], runsAs: 'any' },
  is: (n) => n.name === 'java' || /(^|\/)java$/.test(n.argv[0] ?? ''),
  explain({ origin, parent }) {
    if (!jvm.is(origin) || !parent) return null;
    const softToHard = origin.limit.soft !== null && origin.limit.soft === origin.limit.hard && origin.limit.hard === parent.limit.hard && parent.limit.soft !== null && parent.limit.soft < (parent.limit.hard ?? 0);
    if (!softToHard) return null;
    return {
      source: {
        layer: 'self',
        launcher: 'jvm',
        pid: origin.pid,
        setting: '-XX:+MaxFDLimit (the default)',
        value: limitOf(origin),
        reason: `The JVM ${who(origin)} raised its soft limit to its hard limit ${origin.limit.hard} at start-up (-XX:+MaxFDLimit, on by default); the hard limit is the ceiling and comes from its parent ${who(parent)} (${limitOf(parent)}).`,
      },
      contradictions: [],
      fix: [{ kind: 'durable', title: `Raise the hard limit where ${who(parent)} gets it (see \`sockdoc limits ${parent.pid}\`), then restart the JVM.`, lines: [] }],
      notes: [],
    };
  },
};
