/** Command dispatch: picks the command from argv. The bin (main.ts) handles errors and exit codes. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EXIT, UsageError, type Command, type Io } from './io.js';
import { splitCommand } from './args.js';

const requireModule = createRequire(import.meta.url);

/**
 * Loads a command's module graph one file at a time where Node can (require of ES modules, Node ≥
 * 20.19): import() reads a whole graph with every file open at once, which dies with EMFILE under
 * `ulimit -n 40` before sockdoc can say anything. Older Nodes fall back to import().
 */
async function load(spec: string): Promise<{ run: Command }> {
  try {
    return requireModule(spec) as { run: Command };
  } catch (err) {
    // Older Node (ERR_REQUIRE_ESM), or a graph with top-level await (ERR_REQUIRE_ASYNC_MODULE).
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    return (await import(spec)) as { run: Command };
  }
}

// Loaded on demand: `sockdoc lab` need not load the renderers, nor `sockets` the rules.
const COMMANDS: Record<string, () => Promise<{ run: Command }>> = {
  diagnose: () => load('./diagnose.js'),
  sockets: () => load('./sockets.js'),
  capture: () => load('./capture.js'),
  limits: () => load('./limits.js'),
  lab: () => load('./lab.js'),
  explain: () => load('./explain.js'),
  serve: () => load('./serve.js'),
  port: () => load('./port.js'),
  watch: () => load('./watch.js'),
  why: () => load('./why.js'),
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

