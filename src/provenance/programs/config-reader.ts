/**
 * Reading a program's configuration: a main file and what it includes, through the confined reader
 * (every read under the root, regular files only, 1 MiB each), with a budget for the whole read so a
 * hostile or looping configuration cannot make sockdoc read without end: at most MAX_FILES files,
 * MAX_BYTES bytes and MAX_DEPTH levels of include. Globs in include directives are expanded by the
 * project's one glob expansion (config-files.ts: wildcards in the last component, sorted).
 *
 * Every file read (or refused) is recorded, so a capture copies exactly what the diagnosis read.
 */
import { dirname } from 'node:path/posix';
import { describeError, type Identity } from '../../probe/read-file.js';
import { globFiles, newGlobBudget, readOptional } from '../config-files.js';

export const MAX_FILES = 64;
export const MAX_BYTES = 4 << 20;
export const MAX_DEPTH = 8;

/** A file as read: its host path and text, or why it could not be. */
export type ConfigRead = { path: string; text: string } | { path: string; text: null; error: string | null };

/** Joins a path onto a base directory, lexically (`..` stops at /), as the programs themselves resolve it. */
export function hostJoin(base: string, p: string): string {
  const parts = (p.startsWith('/') ? p : `${base}/${p}`).split('/');
  const out: string[] = [];
  for (const x of parts) {
    if (x === '' || x === '.') continue;
    if (x === '..') out.pop();
    else out.push(x);
  }
  return '/' + out.join('/');
}

export { dirname };

/** One configuration read: its budget and the files it touched. Made per instance, never shared. */
export class ConfigReader {
  /** Files read, in order (host paths). */
  readonly files: string[] = [];
  /**
   * Directories whose entries an include glob matched, and include paths without wildcards (read
   * or not): with `files`, what a reload makes the program read (fix-runner.ts untrustedClosure).
   */
  readonly listed: string[] = [];
  /** Files the program's owner could not have opened itself (read-file.ts Identity): not read; a capture names them. */
  readonly refused: string[] = [];
  /** Sentences: files refused, budget exhausted. */
  readonly problems: string[] = [];
  private bytes = 0;
  private readonly seen = new Set<string>();
  /** One glob budget for every include of this configuration (entries and time: src/provenance/config-files.ts). */
  private readonly budget = newGlobBudget();

  /** `as`: the program's owner; every file is read with its rights (null: root's own program). */
  constructor(
    readonly root: string,
    readonly as: Identity | null = null,
  ) {}

  /**
   * The text of `path` (absolute host path), or null with the reason recorded: absent (error null),
   * unreadable, refused, or over the budget. A file read twice is returned twice (nginx may include
   * one file in two blocks); the budget counts both reads.
   */
  read(path: string): ConfigRead {
    if (this.files.length >= MAX_FILES && !this.seen.has(path)) {
      this.problems.push(`more than ${MAX_FILES} configuration files: ${path} and the rest were not read`);
      return { path, text: null, error: 'too many files' };
    }
    let text: string | null;
    try {
      text = readOptional(this.root, path, this.as);
    } catch (err) {
      const error = describeError(err);
      if ((err as { code?: string }).code === 'ENOTYOURS' && !this.refused.includes(path)) this.refused.push(path);
      this.problems.push(`${path}: ${error}`);
      return { path, text: null, error };
    }
    if (text === null) return { path, text: null, error: null };
    if (this.bytes + text.length > MAX_BYTES) {
      this.problems.push(`the configuration is larger than ${MAX_BYTES} bytes in all: ${path} and the rest were not read`);
      return { path, text: null, error: 'too large' };
    }
    this.bytes += text.length;
    if (!this.seen.has(path)) {
      this.seen.add(path);
      this.files.push(path);
    }
    // Bytes arrive latin1 (lossless); configuration text is UTF-8.
    return { path, text: Buffer.from(text, 'latin1').toString('utf8') };
  }

  /** Files an include pattern names (relative to `base`), sorted; [] with a problem when the glob cannot be expanded. */
  glob(pattern: string, base: string): string[] {
    const abs = hostJoin(base, pattern);
    try {
      // nginx and HAProxy expand includes with glob(3): the posix dialect of the one matcher (src/safety/glob.ts).
      const found = globFiles(this.root, abs, 'posix', this.budget, this.listed);
      if (this.budget.cut && !this.problems.includes(this.budget.cut)) this.problems.push(this.budget.cut);
      return found;
    } catch (err) {
      this.problems.push(`${abs}: ${describeError(err)}`);
      return [];
    }
  }
}
