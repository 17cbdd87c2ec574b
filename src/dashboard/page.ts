/**
 * The dashboard page: one HTML document with everything inlined — uPlot's script and stylesheet
 * (from the uplot npm package), the page's own script (client.ts, compiled beside this file) and
 * its style — so it needs no CDN and no other request than /api/state and /api/events. The
 * Content-Security-Policy allows exactly those inline scripts (by their SHA-256) and nothing else.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { STYLE } from './style.js';

export interface Page {
  html: string;
  csp: string;
}

const require = createRequire(import.meta.url);

function asset(spec: string): string {
  return readFileSync(require.resolve(spec), 'utf8');
}

/** A script's CSP source: 'sha256-BASE64' of its exact text (CSP Level 3 §8.4). */
function hashOf(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** `</script` inside inline script text would end the element early. */
function inlineSafe(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** The page; `links` (same-origin paths such as /metrics) are listed in its header. */
export function buildPage(links: ReadonlyArray<{ href: string; label: string }> = []): Page {
  const uplot = inlineSafe(asset('uplot/dist/uPlot.iife.min.js'));
  const uplotCss = asset('uplot/dist/uPlot.min.css');
  // client.js is plain browser JavaScript compiled from client.ts; strip the ESM marker tsc may add.
  const client = inlineSafe(readFileSync(fileURLToPath(new URL('./client.js', import.meta.url)), 'utf8').replace(/^export \{\};\s*$/m, '').replace(/^\/\/# sourceMappingURL=.*$/m, ''));
  const csp = [
    "default-src 'none'",
    `script-src ${hashOf(uplot)} ${hashOf(client)}`,
    // uPlot positions its cursor and legend with style attributes.
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="dark">
<title>sockdoc</title>
<link rel="icon" href="data:,">
<style>${uplotCss}</style>
<style>${STYLE}</style>
</head>
<body>
<header class="top">
  <div class="brand">sockdoc</div>
  <div class="host"><span id="host">connecting…</span><span id="kernel" class="muted"></span></div>
  <div id="status" class="pill">…</div>
  <div class="updated"><span id="live" class="dot" title="live"></span><span id="updated" class="muted"></span></div>
  ${links.length ? `<nav class="links">${links.map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.label)}</a>`).join(' ')}</nav>` : ''}
</header>
<main>
  <section class="card wide" aria-labelledby="h-findings">
    <h2 id="h-findings">Findings <span id="findings-count" class="muted"></span></h2>
    <p class="hint muted">Click a finding for why it happens and the fix.</p>
    <ul id="findings" class="findings"></ul>
  </section>
  <section class="card chart-card" aria-labelledby="h-c-proc">
    <h2 id="h-c-proc">Open file descriptors <span class="muted">last hour</span></h2>
    <div id="chart-processes" class="chart"></div>
  </section>
  <section class="card chart-card" aria-labelledby="h-c-listen">
    <h2 id="h-c-listen">Accept queues <span class="muted">last hour</span></h2>
    <div id="chart-listeners" class="chart"></div>
  </section>
  <section class="card chart-card" aria-labelledby="h-c-waits">
    <h2 id="h-c-waits">Accept wait <span class="muted">longest client waiting, seconds</span></h2>
    <div id="chart-waits" class="chart"></div>
  </section>
  <section class="card chart-card rates-card" aria-labelledby="h-c-rates">
    <h2 id="h-c-rates">Counter rates <span class="muted">per second</span></h2>
    <div id="chart-rates" class="chart"></div>
  </section>
  <section class="card half" aria-labelledby="h-proc">
    <h2 id="h-proc">Processes nearest their fd limit <span id="proc-count" class="muted"></span></h2>
    <div class="scroll"><table id="processes" class="one-netns">
      <thead><tr><th class="col-netns">netns</th><th class="num">pid</th><th>name</th><th class="num">open / soft</th><th class="num col-used">used</th><th class="num">rate</th><th class="num">full in</th></tr></thead>
      <tbody></tbody>
    </table></div>
  </section>
  <section class="card half" aria-labelledby="h-listen">
    <h2 id="h-listen">Listeners nearest full <span id="listen-count" class="muted"></span></h2>
    <div class="scroll"><table id="listeners" class="one-netns">
      <thead><tr><th class="col-netns">netns</th><th>listen</th><th>process</th><th class="num">queue / backlog</th><th class="num col-used">used</th><th class="num" title="handshakes pending (SYN_RECV)">syn</th><th class="num" title="handshakes dropped on it: +N since the previous sample, else since it was opened">drops</th><th class="num" title="the longest a client in its queue has waited">wait</th></tr></thead>
      <tbody></tbody>
    </table></div>
  </section>
  <section id="notes-card" class="card wide" hidden>
    <h2>What sockdoc could not see</h2>
    <ul id="notes" class="notes"></ul>
  </section>
</main>
<script>${uplot}</script>
<script>${client}</script>
</body>
</html>
`;
  return { html, csp };
}
