import test from 'node:test';
import assert from 'node:assert/strict';
import { findRoute, mergeRoutes, type Route } from './routes.js';

const route = (method: Route['method'], path: string, name: string): Route => ({ method, path, description: name, handle: () => undefined });

test('a later route replaces an earlier one with the same method and path (a dashboard takes /)', () => {
  const merged = mergeRoutes([route('GET', '/', 'landing'), route('GET', '/metrics', 'metrics')], [route('GET', '/', 'dashboard'), route('GET', '/app.js', 'js')]);
  assert.deepEqual(merged.map((r) => `${r.path}=${r.description}`), ['/=dashboard', '/metrics=metrics', '/app.js=js']);
});

test('routes match the exact path without the query; HEAD uses GET; others get 404 or 405', () => {
  const routes = [route('GET', '/metrics', 'm'), route('POST', '/api/x', 'x')];
  assert.equal((findRoute(routes, 'GET', '/metrics?x=1') as Route).description, 'm');
  assert.equal((findRoute(routes, 'HEAD', '/metrics') as Route).description, 'm');
  assert.deepEqual(findRoute(routes, 'GET', '/metrics/'), { status: 404 });
  assert.deepEqual(findRoute(routes, 'DELETE', '/metrics'), { status: 405, allow: 'GET, HEAD' });
  assert.deepEqual(findRoute(routes, 'GET', '/api/x'), { status: 405, allow: 'POST' });
});
