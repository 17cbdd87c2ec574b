/** `sockdoc explain ID`: print the documentation of a finding (docs/findings/ID.md). */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RULES } from '../rules/index.js';
import { parse } from './args.js';
import { EXIT, UsageError, type Command, type Io } from './io.js';

export const HELP = `Usage: sockdoc explain [ID]

Print what a finding means, why it happens, what clients experience and how to fix it.
Without ID: list every finding id with its one-line description.
`;

/** docs/findings/ of the installed package (dist/src/cli -> package root). */
const DOCS = fileURLToPath(new URL('../../../docs/findings/', import.meta.url));

export const run: Command = async (args: string[], io: Io) => {
  const { values, positionals } = parse(args, { help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) {
    const width = Math.max(...RULES.map((r) => r.id.length));
    for (const r of RULES) io.stdout(`${r.id.padEnd(width)}  ${r.description}\n`);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError('explain takes one finding id');
  const id = positionals[0];
  const path = `${DOCS}${id}.md`;
  if (!/^[a-z0-9-]+$/.test(id) || !existsSync(path)) {
    const known = existsSync(DOCS) ? readdirSync(DOCS).map((f) => f.replace(/\.md$/, '')).join(', ') : '';
    throw new UsageError(`no finding '${id}' (known: ${known})`);
  }
  io.stdout(readFileSync(path, 'utf8'));
  return EXIT.ok;
};
