/** Which findings concern the lab, and whether they are the ones the story expects. Pure. */
import type { Finding } from '../rules/types.js';
import type { Check, FindingBrief, LabMode } from './types.js';

/** A finding the story expects (or forbids): its id, and optionally the pid or port it must name. */
export interface FindingExpectation {
  id: string;
  pid?: number;
  port?: number;
}

export interface Expectations {
  present?: FindingExpectation[];
  absent?: FindingExpectation[];
  /** No warning or critical finding about the lab (the false-positive control). */
  quiet?: boolean;
}

export interface LabScope {
  pids: readonly number[];
  port: number;
  mode: LabMode;
}

/**
 * Keeps findings about the lab's processes or port. A finding with neither pid nor port is about
 * the network namespace: in netns mode that is the lab's own, in host mode the whole host's.
 */
export function scopeFindings(findings: Finding[], scope: LabScope): { inScope: FindingBrief[]; outOfScope: number } {
  const pids = new Set(scope.pids);
  const inScope: FindingBrief[] = [];
  let outOfScope = 0;
  for (const f of findings) {
    const { pid, port } = f.subject;
    const hostWide = pid === undefined && port === undefined;
    if (hostWide || (pid !== undefined && pids.has(pid)) || port === scope.port) {
      inScope.push({ id: f.id, severity: f.severity, title: f.title, pid, port, hostWide });
    } else outOfScope++;
  }
  return { inScope, outOfScope };
}

function matches(f: FindingBrief, e: FindingExpectation): boolean {
  return f.id === e.id && (e.pid === undefined || f.pid === e.pid) && (e.port === undefined || f.port === e.port);
}

export function describeExpectation(e: FindingExpectation): string {
  const on = [e.pid !== undefined ? `pid ${e.pid}` : '', e.port !== undefined ? `port ${e.port}` : ''].filter(Boolean).join(', ');
  return on ? `${e.id} (${on})` : e.id;
}

function seen(findings: FindingBrief[]): string {
  if (!findings.length) return 'no findings';
  return 'saw ' + findings.map((f) => (f.pid !== undefined ? `${f.id}@${f.pid}` : f.port !== undefined ? `${f.id}@:${f.port}` : f.id)).join(', ');
}

/** One check per expectation, worded as what the story claims. */
export function checkFindings(findings: FindingBrief[], expect: Expectations, mode: LabMode): Check[] {
  const checks: Check[] = [];
  for (const e of expect.present ?? []) {
    const hit = findings.find((f) => matches(f, e));
    const sameId = findings.filter((f) => f.id === e.id);
    checks.push({
      label: `sockdoc reports ${describeExpectation(e)}`,
      ok: hit !== undefined,
      detail: hit ? hit.title : sameId.length ? `only about ${sameId.map((f) => `pid ${f.pid ?? '-'} port ${f.port ?? '-'}`).join(', ')}` : seen(findings),
    });
  }
  for (const e of expect.absent ?? []) {
    const hit = findings.filter((f) => matches(f, e));
    checks.push({
      label: `sockdoc does not report ${describeExpectation(e)}`,
      ok: hit.length === 0,
      detail: hit.length ? hit.map((f) => f.title).join('; ') : undefined,
    });
  }
  if (expect.quiet) {
    // In host mode a namespace-wide finding describes the whole host, not the lab.
    const loud = findings.filter((f) => f.severity !== 'info' && !(mode === 'host' && f.hostWide));
    checks.push({
      label: 'sockdoc reports no warning or critical finding about the lab',
      ok: loud.length === 0,
      detail: loud.length ? loud.map((f) => `${f.severity} ${f.id}: ${f.title}`).join('; ') : undefined,
    });
  }
  return checks;
}

/** A numeric claim about the kernel's state, e.g. "Recv-Q is 129". */
export function checkValue(label: string, actual: number | null, ok: (n: number) => boolean): Check {
  return { label, ok: actual !== null && ok(actual), detail: `saw ${actual ?? 'nothing'}` };
}
