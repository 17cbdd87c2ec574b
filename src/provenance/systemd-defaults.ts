/**
 * What a systemd manager gives a service that sets no LimitNOFILE= and meets no
 * DefaultLimitNOFILE=, by version. Sources:
 * - systemd commit 4096d6f5879a ("main: bump up RLIMIT_NOFILE for systemd itself", 2012, v190):
 *   pid 1 raises its own limit but saves the kernel's and passes that to daemons
 *   (arg_default_rlimit[RLIMIT_NOFILE] = saved_rlimit). The kernel's is 1024:4096
 *   (include/linux/fs.h INR_OPEN_CUR / INR_OPEN_MAX, include/asm-generic/resource.h INIT_RLIMITS).
 * - systemd PR #10244 ("bump RLIMIT_NOFILE", released in v240, NEWS "CHANGES WITH 240"): the system
 *   manager keeps soft 1024 (select() stays safe) and raises the default hard limit to
 *   MIN(fs.nr_open, MAX(saved hard, HIGH_RLIMIT_NOFILE = 512K)) (src/core/main.c); pid 1 itself goes to fs.nr_open.
 * A user manager (`systemd --user`) passes on what it was started with in both cases.
 */
import type { NofilePair } from './rlimit.js';

/** The kernel's initial RLIMIT_NOFILE for pid 1 (INR_OPEN_CUR:INR_OPEN_MAX). */
export const KERNEL_INITIAL_NOFILE = { soft: 1024, hard: 4096 } as const;

/** HIGH_RLIMIT_NOFILE of src/basic/def.h since v240. */
export const HIGH_RLIMIT_NOFILE = 524288;

/** The first release giving services 1024:512K. */
export const V240 = 240;

export interface BuiltinDefault {
  value: NofilePair;
  /** "1024:4096, the kernel's initial limit (systemd 219 passes it on to services; 1024:524288 came with v240)". */
  describe: string;
  /**
   * Set when the systemd version could not be read: both defaults, so that neither is asserted.
   * `value` is then the v240 one only as a placeholder for code that needs one number.
   */
  unknownVersion?: { before240: NofilePair; since240: NofilePair };
}

/**
 * The built-in default for the system manager of `version` (null = unknown: the modern one is
 * assumed and said). `nrOpen` caps the v240 hard limit, as main.c does.
 */
export function builtinDefault(version: number | null, nrOpen: number | null): BuiltinDefault {
  if (version !== null && version < V240) {
    return {
      value: { ...KERNEL_INITIAL_NOFILE },
      describe: `1024:4096, the kernel's initial limit, which systemd ${version} passes on to services (the 1024:524288 default came with systemd 240)`,
    };
  }
  const hard = nrOpen !== null ? Math.min(nrOpen, HIGH_RLIMIT_NOFILE) : HIGH_RLIMIT_NOFILE;
  if (version === null) {
    return {
      value: { soft: 1024, hard },
      describe: `systemd's built-in default (the kernel's 1024:4096 before systemd 240, 1024:${hard} from 240 on; the version here could not be read)`,
      unknownVersion: { before240: { ...KERNEL_INITIAL_NOFILE }, since240: { soft: 1024, hard } },
    };
  }
  return { value: { soft: 1024, hard }, describe: `1024:${hard}, systemd ${version}'s built-in default` };
}
