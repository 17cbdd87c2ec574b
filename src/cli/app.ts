/** Command dispatch: picks the command from argv. The bin (main.ts) handles errors and exit codes. */
import { readFileSync } from 'node:fs';
import { EXIT, UsageError, type Command, type Io } from './io.js';
import { splitCommand } from './args.js';

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

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [first] = argv;
  if (first === '--version' || first === '-V') {
    io.stdout(`sockdoc ${version()}\n`);
    return EXIT.ok;
  }
  // Options may stand before the command word too: `sockdoc --root DIR limits PID`.
  const { command, rest: args } = splitCommand(argv);
  const name = command ?? 'diagnose';
  if (!(name in COMMANDS)) throw new UsageError(`unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
  const loaded = await COMMANDS[name]();
  return loaded.run(args, io);
}

