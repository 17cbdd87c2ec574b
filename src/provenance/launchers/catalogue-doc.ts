/** The catalogue as a Markdown table, for docs/launchers.md (a test keeps the file in step). */
import { LAUNCHERS } from './index.js';

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function catalogueMarkdown(): string {
  const trusted = (l: (typeof LAUNCHERS)[number]) => `/proc/PID/exe is ${l.identity.binaries.map((b) => `\`${b}\``).join(' or ')}, ${l.identity.runsAs === 'root' ? 'root\'s, run as root' : 'root\'s or its own account\'s'}, changeable by no one else`;
  const rows = LAUNCHERS.map((l) => `| \`${l.id}\` | ${cell(l.recognisedBy)} | ${cell(trusted(l))} | ${cell(l.settingLives)} | ${cell(l.childrenGet)} | ${cell(l.durableFix)} | ${cell(l.relief)} |`);
  return ['| entry | recognised by | trusted only when | where the setting lives | what its children get | durable fix | relief (no restart) |', '|---|---|---|---|---|---|---|', ...rows].join('\n') + '\n';
}
