/** The landing page at `/`: what this is and where the metrics are, as exporters conventionally do. */
import type { Route } from './routes.js';

/** Minimal HTML escaping for text placed in element content or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function landingPage(version: string, routes: readonly Route[]): string {
  const items = routes
    .filter((r) => r.method === 'GET')
    .map((r) => `<li><a href="${escapeHtml(r.path)}">${escapeHtml(r.path)}</a>${r.description ? ` — ${escapeHtml(r.description)}` : ''}</li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sockdoc exporter</title></head>
<body>
<h1>sockdoc exporter</h1>
<p>Why this host refuses or drops TCP connections, as Prometheus metrics: accept queues per listener,
file descriptors and where each limit came from, kernel drop counters per network namespace, and every
current finding. Version ${escapeHtml(version)}.</p>
<ul>
${items}
</ul>
</body></html>
`;
}
