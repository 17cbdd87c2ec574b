/**
 * Apache Tomcat: each Connector accepts at most `maxConnections` connections (server.xml, the HTTP
 * connector reference): past it the acceptor stops calling accept(), and the operating system queues
 * up to `acceptCount` more (the listen() backlog, default 100); beyond that connections are refused
 * or time out. maxConnections defaults by version: 8192 for NIO/NIO2 from Tomcat 9 (and for APR
 * everywhere), 10000 for NIO/NIO2 in 7, 8.0 and 8.5; -1 means no limit. The version is in
 * CATALINA_HOME/RELEASE-NOTES. server.xml is CATALINA_BASE/conf/server.xml (or `-config FILE` after
 * the Bootstrap class). A change needs a restart.
 */
import { hostJoin } from './config-reader.js';
import { intValue, restartReload } from './common.js';
import { xmlElements } from './syntax/xml-tags.js';
import type { CapSpec, Program } from './types.js';

const BOOTSTRAP = 'org.apache.catalina.startup.Bootstrap';

/** -Dname=value in a JVM's argv. */
export function systemProperty(argv: readonly string[], name: string): string | null {
  let v: string | null = null;
  for (const a of argv) if (a.startsWith(`-D${name}=`)) v = a.slice(name.length + 3);
  return v;
}

/** "Apache Tomcat Version 9.0.65" in RELEASE-NOTES -> 9 (major), 8.5 -> 8.5; null when absent. */
export function tomcatVersion(text: string): number | null {
  const at = text.indexOf('Apache Tomcat Version ');
  if (at < 0) return null;
  const v = text.slice(at + 22, at + 40).split(/[\s\n]/)[0].split('.');
  const major = intValue(v[0]);
  const minor = intValue(v[1]);
  if (major === null) return null;
  return major === 8 && minor === 5 ? 8.5 : major;
}

/** maxConnections when not set, by Tomcat version and protocol (NIO unless the protocol names APR). */
function defaultMaxConnections(version: number | null, protocol: string): number | null {
  if (protocol.includes('Apr')) return 8192;
  if (version === null) return null;
  return version >= 9 ? 8192 : 10000;
}

export const tomcat: Program = {
  id: 'tomcat',
  label: 'Tomcat',
  recognisedBy: `a JVM whose command line runs ${BOOTSTRAP} (-Dcatalina.base / -Dcatalina.home name its directories)`,
  capLives: '`maxConnections` (and `acceptCount`, the backlog) on each <Connector> of CATALINA_BASE/conf/server.xml',
  defaults: 'maxConnections 8192 from Tomcat 9 (NIO/NIO2; APR everywhere), 10000 in 7, 8.0 and 8.5 (NIO/NIO2); acceptCount 100; version from CATALINA_HOME/RELEASE-NOTES',
  fromFdLimit: 'not derived, but bounded: each connection is a descriptor of the JVM',
  atCapDoc: 'stops accepting: up to acceptCount connections wait in the listen queue, then they are refused or time out',
  reloadDoc: 'a restart of Tomcat (every web application restarts)',
  role(p) {
    return p.name === 'java' && p.cmdline.includes(BOOTSTRAP) ? 'main' : null;
  },
  read(c) {
    const argv = c.argv.length > 1 ? c.argv : c.main.cmdline.split(' ');
    const reload = restartReload(c.unit, 'Tomcat', 'every web application while Tomcat restarts; connections in flight are cut');
    const home = systemProperty(argv, 'catalina.home');
    const base = systemProperty(argv, 'catalina.base') ?? home;
    const b = argv.indexOf(BOOTSTRAP);
    const cfgAt = b >= 0 ? argv.indexOf('-config', b) : -1;
    const file = cfgAt > 0 && argv[cfgAt + 1] ? hostJoin(base ?? c.cwd, argv[cfgAt + 1]) : base ? `${hostJoin(c.cwd, base)}/conf/server.xml` : null;
    if (!file) return { caps: [], unknown: 'Tomcat: its command line names no catalina.base or catalina.home, so its server.xml and maxConnections are unknown', reload, notes: [] };
    const r = c.reader.read(file);
    if (r.text === null) return { caps: [], unknown: `Tomcat: its server.xml (${file}) could not be read${c.reader.problems.length ? ` (${c.reader.problems[0]})` : ''}, so its maxConnections is unknown`, reload, notes: [] };
    const notes = c.reader.read(`${hostJoin(c.cwd, home ?? base ?? '/')}/RELEASE-NOTES`);
    const version = notes.text !== null ? tomcatVersion(notes.text) : null;
    const caps: CapSpec[] = [];
    const out: string[] = [];
    for (const el of xmlElements(r.text, 'Connector')) {
      const port = intValue(el.attrs.get('port'));
      if (port === null || port === 0) continue;
      const protocol = el.attrs.get('protocol') ?? 'HTTP/1.1';
      const set = el.attrs.get('maxConnections');
      let value: number | null;
      if (set !== undefined) {
        if (set === '-1') continue; // no limit
        value = intValue(set);
        if (value === null) {
          out.push(`Tomcat connector on port ${port}: maxConnections at ${file}:${el.line} is not a number sockdoc can read (a \${property}?): its cap is unknown.`);
          continue;
        }
      } else {
        value = defaultMaxConnections(version, protocol);
        if (value === null) {
          out.push(`Tomcat connector on port ${port}: maxConnections is not set and the Tomcat version is unknown (no readable RELEASE-NOTES), so its default (8192 or 10000) is unknown.`);
          continue;
        }
      }
      caps.push({
        directive: 'maxConnections',
        value,
        scope: 'listener',
        counts: 'accepted',
        origin: set !== undefined ? 'config' : 'default',
        file,
        line: el.line,
        ports: [port],
        atCap: 'queue',
        atCapText: `Tomcat stops accepting: up to acceptCount (${el.attrs.get('acceptCount') ?? '100'}) connections wait in the listen queue, then they are refused or time out`,
        where: `the <Connector port="${port}"> element`,
        fdCeiling: c.main.soft !== null ? Math.max(0, c.main.soft - 200) : null,
        setLine: 'maxConnections="{}"',
      });
    }
    if (!caps.length && !out.length) return { caps: [], unknown: `Tomcat: no <Connector> with a port in ${file}`, reload, notes: [] };
    return { caps, reload, notes: out, ...(caps.length ? {} : { unknown: `Tomcat: ${out[0]}` }) };
  },
};
