/** The catalogue as a Markdown table, for docs/launchers.md (a test keeps the file in step). */
import { LAUNCHERS } from './index.js';

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function catalogueMarkdown(): string {
  const rows = LAUNCHERS.map((l) => `| \`${l.id}\` | ${cell(l.recognisedBy)} | ${cell(l.settingLives)} | ${cell(l.childrenGet)} | ${cell(l.durableFix)} | ${cell(l.relief)} |`);
  return ['| entry | recognised by | where the setting lives | what its children get | durable fix | relief (no restart) |', '|---|---|---|---|---|---|', ...rows].join('\n') + '\n';
}
