/** Running `sockdoc lab` as a separate process from tests, and looking for anything it left behind. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { cliPath, repoRoot } from '../testing/paths.js';
import { LAB_PREFIX } from './namespace.js';

/** dist/src/cli/lab.js: the lab's own entry, also what the outer half re-executes inside. */
export const labEntry = join(repoRoot, 'dist', 'src', 'cli', 'lab.js');

/** `sockdoc lab …` through the real bin once it dispatches `lab`, else through the lab's own entry. */
export function labCommand(args: string[]): string[] {
  const viaMain = spawnSync(process.execPath, [cliPath, 'lab', 'list'], { encoding: 'utf8', timeout: 10_000 });
  return viaMain.status === 0 ? [cliPath, 'lab', ...args] : [labEntry, ...args];
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startLabProcess(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; finished: Promise<Finished>; stdout: () => string } {
  const child = spawn(process.execPath, labCommand(args), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const finished = new Promise<Finished>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, finished, stdout: () => stdout };
}

/** Lab namespaces owned by `ownerPid` (their names carry it). */
export function namespacesOf(ownerPid: number): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n?.startsWith(`${LAB_PREFIX}${ownerPid}-`) || n?.startsWith(`${LAB_PREFIX}${ownerPid}.`));
}

/** Processes whose arguments carry a lab id of `ownerPid`: the inner, its peers, their launchers. */
export function processesOf(ownerPid: number): string[] {
  const r = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  // A lab id is sockdoc-lab-PID.START-SUFFIX (or sockdoc-lab-PID-SUFFIX): namespace.ts labId.
  const mark = new RegExp(`${LAB_PREFIX}${ownerPid}[.-]`);
  return r.stdout.split('\n').filter((l) => mark.test(l) && !l.includes(' ps -eo'));
}
