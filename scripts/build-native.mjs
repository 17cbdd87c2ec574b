// Builds the optional native module (sock_diag netlink dump, threaded fd walk) with node-gyp.
// A failed build is not fatal: sockdoc then walks fds in JS and reads backlog limits from `ss`
// (or reports them as unknown), and says so in its notes.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

if (!existsSync('native/binding.gyp')) process.exit(0);
const args = ['rebuild', '--directory=native'];
// Offline machines cannot download Node's headers: use the installed ones when npm was not told
// where they are (npm_config_nodedir), e.g. /usr/include/node for a distribution's Node.
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
// node-gyp is on PATH inside npm scripts; run directly, fall back to the copy bundled with npm.
const bundled = join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
let r = spawnSync('node-gyp', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.error && existsSync(bundled)) r = spawnSync(process.execPath, [bundled, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (r.status !== 0) {
  const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').slice(-3).join(' | ');
  console.warn(`sockdoc: native module not built (${why}); fds are walked in JS and backlog limits come from 'ss'.`);
}
