/**
 * When an accept queue is capped by the program's own listen() backlog (below net.core.somaxconn),
 * raising somaxconn changes nothing: the program must ask for more. Each runtime has its own knob;
 * the defaults are what that runtime passes to listen() when nothing is set.
 */

export interface BacklogKnob {
  /** "Node.js", "nginx", ... */
  runtime: string;
  /** What the runtime asks for by default, as its documentation gives it. */
  defaultBacklog: string;
  /** Copy-paste lines: where the knob is and the value to set. */
  lines: (value: number, port: number) => string[];
}

interface Entry extends BacklogKnob {
  is: (name: string, cmdline: string) => boolean;
}

const argv0 = (cmdline: string) => cmdline.split(' ')[0] ?? '';
const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

const KNOBS: Entry[] = [
  {
    runtime: 'Node.js',
    defaultBacklog: '511 (net.Server listen())',
    // pm2 and Node set the title: comm "node /srv/app/s" or "node".
    is: (name, cmd) => name === 'node' || name.startsWith('node ') || base(argv0(cmd)) === 'node',
    lines: (v, port) => [`server.listen({ port: ${port}, backlog: ${v} })   # in the program: Node's net/http listen() asks for 511 unless told`],
  },
  {
    runtime: 'nginx',
    defaultBacklog: '511 (NGX_LISTEN_BACKLOG on Linux)',
    is: (name) => name === 'nginx',
    lines: (v, port) => [`listen ${port} backlog=${v};   # in the server block listening on :${port}, then: nginx -t && nginx -s reload`],
  },
  {
    runtime: 'Java',
    defaultBacklog: '50 (java.net.ServerSocket); Tomcat acceptCount 100',
    is: (name, cmd) => name === 'java' || base(argv0(cmd)) === 'java',
    lines: (v) => [`# Tomcat: <Connector ... acceptCount="${v}"/> in server.xml; Spring Boot: server.tomcat.accept-count=${v}; plain Java: new ServerSocket(port, ${v})`],
  },
  {
    runtime: 'gunicorn',
    defaultBacklog: '2048 (--backlog)',
    is: (name, cmd) => name === 'gunicorn' || /(^|\/|\s)gunicorn(\s|$)/.test(cmd),
    lines: (v) => [`gunicorn --backlog ${v} ...   # or backlog = ${v} in gunicorn.conf.py`],
  },
  {
    runtime: 'uvicorn',
    defaultBacklog: '2048 (--backlog)',
    is: (name, cmd) => name === 'uvicorn' || /(^|\/|\s)uvicorn(\s|$)/.test(cmd),
    lines: (v) => [`uvicorn --backlog ${v} ...`],
  },
  {
    runtime: 'Redis',
    defaultBacklog: '511 (tcp-backlog)',
    is: (name) => name === 'redis-server',
    lines: (v) => [`tcp-backlog ${v}   # in redis.conf, then restart redis-server (CONFIG SET cannot change it)`],
  },
  {
    runtime: 'PHP-FPM',
    defaultBacklog: '511 (listen.backlog)',
    is: (name) => name.startsWith('php-fpm'),
    lines: (v) => [`listen.backlog = ${v}   # in the pool's .conf (e.g. /etc/php/*/fpm/pool.d/www.conf), then reload php-fpm`],
  },
  {
    runtime: 'HAProxy',
    defaultBacklog: 'maxconn of the frontend (backlog)',
    is: (name) => name === 'haproxy',
    lines: (v) => [`backlog ${v}   # in the frontend (or defaults) section of haproxy.cfg, then reload haproxy`],
  },
  {
    runtime: 'Python',
    defaultBacklog: '5 (socketserver request_queue_size; http.server uses it)',
    is: (name, cmd) => /^python[0-9.]*$/.test(name) || /^python[0-9.]*$/.test(base(argv0(cmd))),
    lines: (v) => [`# socketserver / http.server: request_queue_size = ${v} on the server class; a raw socket: sock.listen(${v})`],
  },
];

/** The knob of the program owning a listener, or null when it is not one sockdoc knows. */
export function backlogKnob(name: string, cmdline: string): BacklogKnob | null {
  return KNOBS.find((k) => k.is(name, cmdline)) ?? null;
}

/**
 * Fix lines for a queue capped by the program's own backlog: the runtime's knob with a value up to
 * somaxconn (above it listen() is clamped again), or the generic listen() advice.
 * @example ownBacklogFix('node', 'node server.js', 511, 4096, 8080)[0] // "server.listen({ port: 8080, backlog: 4096 }) ..."
 */
export function ownBacklogFix(name: string, cmdline: string, backlog: number, somaxconn: number, port: number): string[] {
  const value = Math.min(somaxconn, Math.max(backlog * 4, 1024));
  const knob = backlogKnob(name, cmdline);
  const why = `# the queue is capped by the program's own listen() backlog ${backlog}, below net.core.somaxconn ${somaxconn}: raising somaxconn alone changes nothing`;
  if (!knob) return [why, `# raise the backlog the program passes to listen(fd, backlog) to ${value} (its configuration or code), then restart it`];
  return [why, `# ${knob.runtime} asks for ${knob.defaultBacklog} unless configured:`, ...knob.lines(value, port)];
}
