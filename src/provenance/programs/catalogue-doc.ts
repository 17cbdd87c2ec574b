/** The program catalogue as a Markdown table, for docs/programs.md (a test keeps the file in step). */
import { PROGRAMS } from './index.js';

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function programCatalogueMarkdown(): string {
  const rows = PROGRAMS.map((p) => `| \`${p.id}\` | ${cell(p.recognisedBy)} | ${cell(p.capLives)} | ${cell(p.defaults)} | ${cell(p.fromFdLimit)} | ${cell(p.atCapDoc)} | ${cell(p.reloadDoc)} |`);
  return ['| entry | recognised by | where the cap lives | defaults | from the fd limit | at the cap, clients meet | reload |', '|---|---|---|---|---|---|---|', ...rows].join('\n') + '\n';
}
