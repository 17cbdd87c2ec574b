/**
 * `sockdoc --interval 10s` samples the live host 6 times: with the lab's leaking server running,
 * the diagnosis carries fd-exhaustion-forecast for it; a short interval does not (no history).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cliPath } from '../testing/paths.js';
import { startLeakingServer } from '../testing/leaking-server.js';

function sockdoc(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    // A bound, not a timing: each of the 6 samples still reads the whole host (every namespace of
    // it), which on a busy host takes seconds under load (one run was killed at 40 s).
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface JsonFinding {
  id: string;
  severity: string;
  subject: { pid?: number };
  evidence: Record<string, unknown>;
}

test('diagnose --interval 10s forecasts the leaking server; --interval 1 cannot', { timeout: 120_000 }, async () => {
  // ~6 descriptors a second towards 1000: about 2.5 minutes left, so a warning-free critical forecast.
  const leak = await startLeakingServer({ nofile: 1000, gapMs: 150, requests: 2000, lifetimeMs: 50_000 });
  try {
    const [long, short] = await Promise.all([
      sockdoc(['--interval', '10s', '--pid', String(leak.pid), '--json']),
      sockdoc(['--interval', '1', '--pid', String(leak.pid), '--json']),
    ]);
    assert.ok(long.code !== null && long.code <= 2, long.stderr);
    const findings = (JSON.parse(long.stdout) as { findings: JsonFinding[] }).findings;
    const f = findings.find((x) => x.id === 'fd-exhaustion-forecast');
    assert.ok(f, `findings: ${findings.map((x) => x.id).join(', ')}`);
    assert.equal(f.subject.pid, leak.pid);
    assert.equal(f.severity, 'critical');
    assert.equal(f.evidence.samples, 6);
    // 10 s, or a little more when a snapshot is slow on a busy machine.
    const window = f.evidence.windowSeconds as number;
    assert.ok(window >= 9 && window <= 20, `window ${window}`);
    const perMinute = f.evidence.perMinute as number;
    assert.ok(perMinute > 30 && perMinute < 600, `+${perMinute}/min`);
    const shortIds = (JSON.parse(short.stdout) as { findings: JsonFinding[] }).findings.map((x) => x.id);
    assert.ok(!shortIds.includes('fd-exhaustion-forecast'), 'no history, no forecast');
  } finally {
    await leak.stop();
  }
});
