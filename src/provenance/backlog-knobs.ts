/**
 * When an accept queue is capped by the program's own listen() backlog (below net.core.somaxconn),
 * raising somaxconn changes nothing: the program must ask for more. Each runtime has its own knob;
 * the defaults are what that runtime passes to listen() when nothing is set.
 */

/** Where the listener listens: a TCP port, or a unix-domain socket's path (or @name). */
export type ListenTarget = { port: number } | { path: string };

export interface BacklogKnob {
  /** "Node.js", "nginx", ... */
  runtime: string;
  /** What the runtime asks for by default, as its documentation gives it. */
  defaultBacklog: string;
  /** Copy-paste lines: where the knob is and the value to set. */
  lines: (value: number, at: ListenTarget) => string[];
}

interface Entry extends BacklogKnob {
  is: (name: string, cmdline: string) => boolean;
}

// The first word only: a command line can be tens of kilobytes (one holder per namespace of a flood), asked per listener.
const argv0 = (cmdline: string) => {
  const sp = cmdline.indexOf(' ');
  return sp < 0 ? cmdline : cmdline.slice(0, sp);
};
const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** `:8080`, or the socket's path: how a knob's comment names the listener. */
const where = (at: ListenTarget) => ('port' in at ? `:${at.port}` : at.path);

const KNOBS: Entry[] = [
  {
    runtime: 'Node.js',
    defaultBacklog: '511 (net.Server listen())',
    // pm2 and Node set the title: comm "node /srv/app/s" or "node".
    is: (name, cmd) => name === 'node' || name.startsWith('node ') || base(argv0(cmd)) === 'node',
    lines: (v, at) => [
      `server.listen({ ${'port' in at ? `port: ${at.port}` : `path: ${JSON.stringify(at.path)}`}, backlog: ${v} })   # in the program: Node's net/http listen() asks for 511 unless told`,
    ],
  },
  {
    runtime: 'nginx',
    defaultBacklog: '511 (NGX_LISTEN_BACKLOG on Linux)',
    is: (name) => name === 'nginx',
    lines: (v, at) =>
      'port' in at
        ? [`listen ${at.port} backlog=${v};   # in the server block listening on :${at.port}, then: nginx -t && nginx -s reload`]
        : [`listen unix:${at.path} backlog=${v};   # in the server block listening on it, then: nginx -t && nginx -s reload`],
  },
  {
    runtime: 'systemd socket activation',
    defaultBacklog: 'SOMAXCONN, 4096 (Backlog= of the .socket unit)',
    // pid 1 holds the listening socket of every .socket unit (ListenStream=, ListenSequentialPacket=).
    is: (name) => name === 'systemd',
    lines: (v, at) => [
      `Backlog=${v}   # in the [Socket] section of the .socket unit listening on ${where(at)} (systemctl list-sockets names it), then: systemctl daemon-reload && systemctl restart UNIT.socket`,
    ],
  },
  {
    runtime: 'Java',
    defaultBacklog: '50 (java.net.ServerSocket); Tomcat acceptCount 100',
    is: (name, cmd) => name === 'java' || base(argv0(cmd)) === 'java',
    lines: (v) => [`# Tomcat: <Connector ... acceptCount="${v}"/> in server.xml; Spring Boot: server.tomcat.accept-count=${v}; plain Java: new ServerSocket(port, ${v}) or ServerSocketChannel.bind(address, ${v})`],
  },
  {
    runtime: 'uWSGI',
    defaultBacklog: '100 (--listen)',
    is: (name, cmd) => name === 'uwsgi' || base(argv0(cmd)) === 'uwsgi',
    lines: (v) => [`uwsgi --listen ${v} ...   # or listen = ${v} in the [uwsgi] section of its .ini; uWSGI refuses to start when it exceeds net.core.somaxconn`],
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
    runtime: 'Puma',
    defaultBacklog: '1024 (the backlog parameter of bind)',
    is: (name, cmd) => name.startsWith('puma') || /(^|\/|\s)puma(\s|$)/.test(cmd),
    lines: (v, at) => ['port' in at ? `bind 'tcp://0.0.0.0:${at.port}?backlog=${v}'   # in config/puma.rb` : `bind 'unix://${at.path}?backlog=${v}'   # in config/puma.rb`],
  },
  {
    runtime: 'Unicorn',
    defaultBacklog: '1024 (:backlog of listen)',
    is: (name, cmd) => name.startsWith('unicorn') || /(^|\/|\s)unicorn(_rails)?(\s|$)/.test(cmd),
    lines: (v, at) => [`listen ${'port' in at ? at.port : JSON.stringify(at.path)}, :backlog => ${v}   # in the unicorn config file`],
  },
  {
    runtime: 'Redis',
    defaultBacklog: '511 (tcp-backlog, also used for unixsocket)',
    is: (name) => name === 'redis-server',
    lines: (v) => [`tcp-backlog ${v}   # in redis.conf (it sets the unixsocket's backlog too), then restart redis-server (CONFIG SET cannot change it)`],
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
 * @example ownBacklogFix('node', 'node server.js', 511, 4096, { port: 8080 })[2] // "server.listen({ port: 8080, backlog: 2044 }) ..."
 */
export function ownBacklogFix(name: string, cmdline: string, backlog: number, somaxconn: number, at: ListenTarget): string[] {
  const value = Math.min(somaxconn, Math.max(backlog * 4, 1024));
  const knob = backlogKnob(name, cmdline);
  const why = `# the queue is capped by the program's own listen() backlog ${backlog}, below net.core.somaxconn ${somaxconn}: raising somaxconn alone changes nothing`;
  if (!knob) return [why, `# raise the backlog the program passes to listen(fd, backlog) to ${value} (its configuration or code), then restart it`];
  return [why, `# ${knob.runtime} asks for ${knob.defaultBacklog} unless configured:`, ...knob.lines(value, at)];
}
