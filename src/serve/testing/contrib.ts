/** Reading the expressions out of contrib/: the Grafana dashboard's panels and the alert rules. */

export interface PanelExpression {
  panel: string;
  expr: string;
}

/** Every target expression of every panel, rows' nested panels included. */
export function dashboardExpressions(dashboard: unknown): PanelExpression[] {
  const out: PanelExpression[] = [];
  const visit = (panels: unknown): void => {
    if (!Array.isArray(panels)) return;
    for (const p of panels as Array<{ title?: string; targets?: Array<{ expr?: string }>; panels?: unknown }>) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title ?? '', expr: t.expr });
      visit(p.panels);
    }
  };
  visit((dashboard as { panels?: unknown }).panels);
  return out;
}

/** Grafana's variables as a test fills them: "All" for host and netns, a fixed rate window. */
export function substituteDashboardVariables(expr: string, v: { host: string; netns: string; rateInterval: string }): string {
  return expr
    .replace(/\$__rate_interval/g, v.rateInterval)
    .replace(/\$\{?host\}?/g, v.host)
    .replace(/\$\{?netns\}?/g, v.netns);
}

/**
 * The `alert:` name and `expr:` of each rule of a rules file. A small reader for the file's own
 * layout (`- alert: NAME`, then `expr: one line` or `expr: |` and an indented block), so the test
 * needs no YAML library; promtool check rules validates the file itself.
 */
export function ruleExpressions(yaml: string): Array<{ alert: string; expr: string }> {
  const lines = yaml.split('\n');
  const out: Array<{ alert: string; expr: string }> = [];
  let alert: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const a = /^\s*- alert: (\S+)/.exec(lines[i]);
    if (a) alert = a[1];
    const e = /^(\s*)expr: (.*)$/.exec(lines[i]);
    if (!e || alert === null) continue;
    if (e[2].trim() === '|') {
      const indent = e[1].length;
      const block: string[] = [];
      while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > indent)) block.push(lines[++i].trim());
      out.push({ alert, expr: block.filter(Boolean).join('\n') });
    } else out.push({ alert, expr: e[2].trim() });
    alert = null;
  }
  return out;
}
