/** The catalogue as a Markdown table, for docs/why.md (a test keeps the file in step). */
import { FAMILIES } from './catalogue.js';
import { CONDITIONS } from './conditions.js';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/`/g, "'");

export function catalogueMarkdown(): string {
  const rows = FAMILIES.flatMap((f) =>
    f.entries.map((e) => `| ${cell(f.name.split(' (')[0])} | \`${cell(e.example)}\` | ${cell(e.errno)} | ${e.conditions.map((c) => `\`${c}\``).join(', ')} | ${cell(e.source)} |`),
  );
  const conditions = Object.values(CONDITIONS).map((c) => `| \`${c.id}\` | ${cell(c.title)} | ${c.findings.length ? c.findings.map((f) => `[${f}](findings/${f}.md)`).join(', ') : 'a direct check (sockdoc port, the unix listeners)'} |`);
  return [
    '| program | message (a real text) | errno | kernel conditions, most likely first | where the text comes from |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    '| condition | what must be true | checked by |',
    '|---|---|---|',
    ...conditions,
  ].join('\n') + '\n';
}
