/** Command dispatch: picks the command from argv. The bin (main.ts) handles errors and exit codes. */
import { readFileSync } from 'node:fs';
import { EXIT, UsageError, type Command, type Io } from './io.js';

// Loaded on demand: `sockdoc lab` need not load the renderers, nor `sockets` the rules.
const COMMANDS: Record<string, () => Promise<{ run: Command }>> = {
  diagnose: () => import('./diagnose.js'),
  sockets: () => import('./sockets.js'),
  capture: () => import('./capture.js'),
  limits: () => import('./limits.js'),
  lab: () => import('./lab.js'),
  explain: () => import('./explain.js'),
  serve: () => import('./serve.js'),
  port: () => import('./port.js'),
};

/** The command argv names ('' for the default diagnose), for "Try 'sockdoc COMMAND --help'". */
export function commandOf(argv: readonly string[]): string {
  const first = argv[0];
  return first !== undefined && first in COMMANDS ? first : '';
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    io.stdout(`sockdoc ${version()}\n`);
    return EXIT.ok;
  }
  let name = 'diagnose';
  let args = argv;
  if (first !== undefined && !first.startsWith('-')) {
    if (!(first in COMMANDS)) throw new UsageError(`unknown command '${first}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    name = first;
    args = rest;
  }
  const command = await COMMANDS[name]();
  return command.run(args, io);
}

