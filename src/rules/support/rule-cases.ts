/**
 * Table-driven rule tests (the ESLint RuleTester shape): `valid` snapshots yield nothing,
 * each `invalid` one yields exactly the listed findings, checked by id, severity, subject,
 * the listed evidence values, and optionally related refs and fix/explain fragments.
 * Imported by tests only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../snapshot/types.js';
import { DEFAULT_RULE_OPTIONS, type Finding, type FindingSubject, type Rule, type RuleContext, type RuleOptions, type Severity } from '../types.js';

export interface ExpectedFinding {
  severity: Severity;
  subject: FindingSubject;
  /** Only these keys are compared (every listed key must be present). */
  evidence: Finding['evidence'];
  /** Exact, order included; `[]` means no related refs. Omitted = not checked. */
  related?: string[];
  /** Each fragment must occur in some fix line. */
  fixIncludes?: string[];
  /** Each fragment must occur in explain. */
  explainIncludes?: string[];
}

export interface ValidCase {
  name: string;
  snapshot: Snapshot;
  options?: Partial<RuleOptions>;
  /** History and the like, for rules that use it. */
  context?: RuleContext;
}

export interface InvalidCase extends ValidCase {
  findings: ExpectedFinding[];
}

export function runRuleCases(rule: Rule, cases: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  for (const c of cases.valid) {
    test(`${rule.id} valid: ${c.name}`, () => {
      const found = rule.check(c.snapshot, { ...DEFAULT_RULE_OPTIONS, ...c.options }, c.context);
      assert.deepEqual(found.map((f) => `${f.severity} ${f.title}`), []);
    });
  }
  for (const c of cases.invalid) {
    test(`${rule.id} invalid: ${c.name}`, () => {
      const found = rule.check(c.snapshot, { ...DEFAULT_RULE_OPTIONS, ...c.options }, c.context);
      assert.equal(found.length, c.findings.length, `findings: ${found.map((f) => f.title).join(' | ')}`);
      c.findings.forEach((want, i) => assertFinding(rule.id, found[i] as Finding, want));
    });
  }
}

export function assertFinding(id: string, got: Finding, want: ExpectedFinding): void {
  assert.equal(got.id, id);
  assert.equal(got.severity, want.severity, got.title);
  assert.deepEqual(got.subject, want.subject);
  for (const [key, value] of Object.entries(want.evidence)) {
    assert.ok(key in got.evidence, `evidence key ${key} missing`);
    assert.equal(got.evidence[key], value, `evidence.${key}`);
  }
  if (want.related !== undefined) assert.deepEqual(got.related ?? [], want.related);
  for (const frag of want.fixIncludes ?? []) {
    assert.ok(got.fix.some((line) => line.includes(frag)), `no fix line contains ${JSON.stringify(frag)}: ${got.fix.join(' / ')}`);
  }
  for (const frag of want.explainIncludes ?? []) {
    assert.ok(got.explain.includes(frag), `explain lacks ${JSON.stringify(frag)}: ${got.explain}`);
  }
  assert.ok(got.title.length > 0 && got.explain.length > 0 && got.fix.length > 0, 'title, explain and fix are filled');
}
