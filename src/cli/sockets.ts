/** `sockdoc sockets`: the `ss -tanp` listing with owners, faster, filterable, with --json. */
import { terminalSafe } from '../safety/terminal.js';
import { SS_STATE_NAMES, TCP_STATES, type TcpState } from '../snapshot/types.js';
import { selectSockets, socketsJsonChunks, socketsTableChunks } from '../render/sockets.js';
import { selectUnix, unixJsonChunks, unixTableChunks } from '../render/unix-sockets.js';
import { checkRoot, NETNS_OPTIONS, netnsQuery, scopedSnapshot } from './scope.js';
import { intFlag, parse, processId } from './args.js';
import { EXIT, UsageError, useColor, writePieces, type Command, type Io } from './io.js';

export const HELP = `Usage: sockdoc sockets [--unix] [--state S] [--port P] [--pid N] [--netns NAME|INODE|PID] [--json] [--root DIR]

List TCP sockets (IPv4 and IPv6) with the processes holding them, like \`ss -tanp\`;
with --unix (-x) the unix-domain sockets instead, like \`ss -xap\`.
Sockets with no owner (inode 0: waiting in an accept queue, request sockets, TIME_WAIT, orphans)
are listed too, marked as such. Every network namespace (containers, pods, \`ip netns\`) is listed,
with a namespace column when there is more than one.

Options:
  -x, --unix   unix-domain sockets: Netid (u_str, u_dgr, u_seq), State, Recv-Q/Send-Q (a listener's
               accept queue / backlog, from unix_diag; "?" when read from /proc/net/unix), Local
               (path, @abstract or *), Inode, Peer inode, Process (and whose connections wait in a
               listener's queue); --state LISTEN|ESTAB|UNCONN, --pid, --netns, --json apply
  --state S    only this state: kernel names (${TCP_STATES.slice(0, 4).join(', ')}, ...)
               or ss names (ESTAB, CLOSE-WAIT, ...), any case
  --port P     local or remote port P
  --pid N      sockets held by process N, and those waiting in the queues of its listeners
  --netns Q    only network namespace Q: an \`ip netns\` name, container or pod name, inode, or a pid in it
  --container NAME, --pod NS/NAME   only that container's or pod's namespace
  --json       one object per socket: {state, local, remote, recvQ, sendQ, inode, owners[{pid, name, fd}],
               waitingOn?{listener, owners[{pid, name}]}, waitedMs?, drops?}; for LISTEN, recvQ is the
               accept queue and sendQ the backlog limit (null when unknown); docs/json-schema.md
  --root DIR   read DIR/proc instead of /proc
  -h, --help   this help
`;


/** Accepts kernel names (CLOSE_WAIT), ss names (CLOSE-WAIT, ESTAB), any case. */
export function parseState(value: string | undefined): TcpState | undefined {
  if (value === undefined) return undefined;
  const up = value.toUpperCase();
  if ((TCP_STATES as readonly string[]).includes(up)) return up as TcpState;
  const viaSs = SS_STATE_NAMES[up];
  if (viaSs) return viaSs;
  const underscored = up.replace(/-/g, '_');
  if ((TCP_STATES as readonly string[]).includes(underscored)) return underscored as TcpState;
  throw new UsageError(`--state: unknown TCP state '${value}' (one of ${TCP_STATES.join(', ')})`);
}

export const run: Command = async (args: string[], io: Io) => {
  const { values } = parse(args, {
    unix: { type: 'boolean', short: 'x' },
    state: { type: 'string' },
    port: { type: 'string' },
    pid: { type: 'string' },
    ...NETNS_OPTIONS,
    json: { type: 'boolean' },
    root: { type: 'string' },
    'no-color': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const root = checkRoot(values.root);
  if (values.unix && values.port !== undefined) throw new UsageError('--port does not apply to unix-domain sockets (--unix): filter by --pid or --state');
  const pidFlag = intFlag('pid', values.pid, 1);
  const filter = { state: parseState(values.state), port: intFlag('port', values.port, 1, 65535), pid: pidFlag === undefined ? undefined : processId(root, pidFlag, io) };
  // Only what the listing shows is read (no user namespaces, programs' configurations, thread states).
  const snapshot = await scopedSnapshot({ root, intervalMs: 0, listing: true }, netnsQuery(values), filter.pid);
  // The sockets a process holds are its fds: when /proc/PID/fd could not be read (not root, another
  // user's process), an empty or short list would read as "holds nothing" (docs/exit-codes.md).
  if (filter.pid !== undefined && snapshot.processes.find((p) => p.pid === filter.pid)?.fds.open === null) {
    throw new UsageError(`--pid ${filter.pid}: its open files could not be read (run as root or as its user): which sockets it holds is unknown`, false);
  }
  if (values.unix) {
    // Streamed as the TCP table: no object per socket, a few hundred rows a piece as the reader takes them.
    const rows = selectUnix(snapshot, { state: filter.state, pid: filter.pid });
    if (values.json) {
      if (await writePieces(io, unixJsonChunks(rows))) await writePieces(io, ['\n']);
    } else await writePieces(io, unixTableChunks(rows, { color: useColor(io) && !values['no-color'], columns: io.columns }));
    for (const n of snapshot.notes) io.stderr(`sockdoc: note: ${terminalSafe(n)}\n`);
    return EXIT.ok;
  }
  // Streamed: rows are made one at a time from the socket columns and written a few thousand lines
  // at a time, waiting for the reader; a reader that goes away (`| head`) ends the listing, not an error.
  const rows = selectSockets(snapshot, filter);
  if (values.json) {
    if (await writePieces(io, socketsJsonChunks(rows))) await writePieces(io, ['\n']);
  }
  else await writePieces(io, socketsTableChunks(rows, { color: useColor(io) && !values['no-color'], columns: io.columns }));
  for (const n of snapshot.notes) io.stderr(`sockdoc: note: ${terminalSafe(n)}\n`);
  return EXIT.ok;
};
