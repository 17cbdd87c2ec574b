// Builds the optional native module (sock_diag netlink access) with node-gyp.
// A failed build is not fatal: sockdoc falls back to `ss` for backlog limits, then to null with a note.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync('native/binding.gyp')) process.exit(0);
const r = spawnSync('node-gyp', ['rebuild', '--directory=native'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').slice(-3).join(' | ');
  console.warn(`sockdoc: native module not built (${why}); backlog limits will come from 'ss' when it is installed.`);
}
