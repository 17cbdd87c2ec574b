/**
 * A test relay, run inside a network namespace: accepts on a unix socket file (file-system sockets
 * cross network namespaces) and connects each client to 127.0.0.1:PORT of the namespace. Lets a
 * test outside the namespace talk HTTP to a server that listens on the namespace's loopback.
 * Usage: node unix-relay.js SOCKET_PATH PORT LIFETIME_MS  (exits by itself after LIFETIME_MS)
 */
import { connect, createServer } from 'node:net';
import { rmSync } from 'node:fs';

const [path, port, lifetime] = process.argv.slice(2);
rmSync(path, { force: true });
const server = createServer((client) => {
  const upstream = connect(Number(port), '127.0.0.1');
  client.pipe(upstream).pipe(client);
  const end = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end);
  upstream.on('error', end);
});
server.listen(path, () => process.stdout.write('ready\n'));
setTimeout(() => process.exit(0), Number(lifetime) || 60_000).unref();
