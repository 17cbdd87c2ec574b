/**
 * The dashboard on a minimal node:http server on 127.0.0.1 with a live Sampler: for the browser
 * test, and for looking at the page by hand (`node dist/src/dashboard/harness.js [PORT]`).
 * `sockdoc serve` mounts the same routes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { History } from '../history/history.js';
import { buildSnapshot } from '../snapshot/build.js';
import { diagnose } from '../cli/diagnose.js';
import { DEFAULT_RULE_OPTIONS, type Finding } from '../rules/types.js';
import { Sampler } from '../watch/sampler.js';
import { dashboardRoutes } from './routes.js';

export interface Harness {
  url: string;
  sampler: Sampler;
  /** Resolves once a sample's findings satisfy `ok`; rejects after `ms`. */
  waitFor(ok: (s: { findings: Finding[] }) => boolean, ms: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startDashboardHarness(opts: { everyMs: number; port?: number }): Promise<Harness> {
  const sampler = new Sampler({
    everyMs: opts.everyMs,
    history: new History({ capacity: Math.ceil(3600_000 / opts.everyMs) }),
    take: () => buildSnapshot({ root: '/', intervalMs: 0 }),
    analyse: (snapshot, context) => diagnose(snapshot, DEFAULT_RULE_OPTIONS, {}, context).findings,
  });
  const dashboard = dashboardRoutes(sampler, { everyMs: opts.everyMs });
  const server = createServer((req, res) => {
    if (!dashboard.handle(req, res)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  sampler.start();
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    sampler,
    waitFor(ok, ms) {
      return new Promise((resolve, reject) => {
        const latest = sampler.latest();
        if (latest && ok(latest)) return resolve();
        const timer = setTimeout(() => {
          off();
          reject(new Error(`no matching sample within ${ms} ms; last findings: ${sampler.latest()?.findings.map((f) => f.id).join(', ')}`));
        }, ms);
        const off = sampler.subscribe((s) => {
          if (!ok(s)) return;
          clearTimeout(timer);
          off();
          resolve();
        });
      });
    },
    async stop() {
      sampler.stop();
      dashboard.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Run by hand: node dist/src/dashboard/harness.js [PORT]
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/dist/'))) {
  const h = await startDashboardHarness({ everyMs: 2000, port: Number(process.argv[2] ?? 0) });
  process.stdout.write(`dashboard on ${h.url} (Ctrl-C to stop)\n`);
  process.on('SIGINT', () => void h.stop().then(() => process.exit(0)));
}
