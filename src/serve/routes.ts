/**
 * The HTTP routes of `sockdoc serve`, as data: another module mounts its pages by adding routes
 * (issue 13's web dashboard replaces `/`). Exact paths only: no patterns, no parameters, so what is
 * served is exactly the list.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Route {
  /** "GET" also answers HEAD (node drops the body of a HEAD response). */
  method: 'GET' | 'POST';
  /** Exact path, without the query string: "/metrics". */
  path: string;
  /** One line for the landing page's list of endpoints. */
  description?: string;
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

/**
 * Routes later in the list replace earlier ones with the same method and path, so
 * `mergeRoutes(defaults, mine)` lets `mine` take `/` over.
 */
export function mergeRoutes(...lists: ReadonlyArray<readonly Route[]>): Route[] {
  const byKey = new Map<string, Route>();
  for (const list of lists) for (const r of list) byKey.set(`${r.method} ${r.path}`, r);
  return [...byKey.values()];
}

/** Sends a short plain-text answer (errors, 404), closing the exchange. */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(text.endsWith('\n') ? text : `${text}\n`);
}

/** The route for this request, or the status that says why there is none (404, 405 with Allow). */
export function findRoute(routes: readonly Route[], method: string, url: string): Route | { status: 404 } | { status: 405; allow: string } {
  const path = url.split('?')[0];
  const onPath = routes.filter((r) => r.path === path);
  if (onPath.length === 0) return { status: 404 };
  const wanted = method === 'HEAD' ? 'GET' : method;
  const hit = onPath.find((r) => r.method === wanted);
  if (hit) return hit;
  const allow = [...new Set(onPath.flatMap((r) => (r.method === 'GET' ? ['GET', 'HEAD'] : [r.method])))].join(', ');
  return { status: 405, allow };
}
