/**
 * Spring Boot with its embedded Tomcat: `server.tomcat.max-connections` (default 8192) and
 * `server.tomcat.accept-count` (the backlog, default 100) behave as Tomcat's maxConnections and
 * acceptCount. Where the value comes from, highest first (Spring Boot "Externalized Configuration"):
 * `--server.tomcat.max-connections=N` arguments, `-Dserver.tomcat.max-connections=N` system
 * properties, then the external files next to the process (./config/application.{properties,yml},
 * ./application.{properties,yml}, and --spring.config.location / additional-location). The
 * application.properties packaged inside the jar and environment variables are not read: when none
 * of the above sets it, the cap is unknown, and said so. A change needs a restart.
 */
import { hostJoin, type ConfigReader } from './config-reader.js';
import { intValue, restartReload } from './common.js';
import { parseProperties, parseYamlMappings, relaxedKey, type PropEntry } from './syntax/spring-props.js';
import { systemProperty } from './tomcat.js';
import type { Program } from './types.js';

const KEY = 'server.tomcat.max-connections';

/** A java process that is a Spring Boot application by what its command line says. */
function looksSpring(cmdline: string): boolean {
  return cmdline.includes('org.springframework.boot') || cmdline.includes('-Dspring.') || cmdline.includes('--spring.') || cmdline.includes('-Dserver.') || cmdline.includes('--server.');
}

/** `--name=value` program arguments (after -jar X or the main class), relaxed. */
function programArg(argv: readonly string[], key: string): string | null {
  let v: string | null = null;
  for (const a of argv) {
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 2 && relaxedKey(a.slice(2, eq)) === relaxedKey(key)) v = a.slice(eq + 1);
  }
  return v;
}

/** External configuration files in the order Spring Boot lets later ones win (lowest first). */
function externalFiles(argv: readonly string[], cwd: string): string[] {
  const files: string[] = [];
  for (const dir of [cwd, `${cwd}/config`]) for (const ext of ['properties', 'yml', 'yaml']) files.push(hostJoin(dir, `application.${ext}`));
  for (const key of ['spring.config.additional-location', 'spring.config.location']) {
    const v = programArg(argv, key) ?? systemProperty(argv, key);
    for (const loc of (v ?? '').split(',').filter(Boolean)) {
      const p = loc.replace(/^optional:/, '').replace(/^file:/, '');
      if (p.startsWith('classpath:')) continue;
      if (p.endsWith('/')) for (const ext of ['properties', 'yml', 'yaml']) files.push(hostJoin(cwd, `${p}application.${ext}`));
      else files.push(hostJoin(cwd, p));
    }
  }
  return files;
}

function readProps(reader: ConfigReader, file: string): Map<string, PropEntry> | null {
  const r = reader.read(file);
  if (r.text === null) return null;
  return file.endsWith('.properties') ? parseProperties(r.text) : parseYamlMappings(r.text);
}

export const springBoot: Program = {
  id: 'spring-boot',
  label: 'Spring Boot',
  recognisedBy: 'a JVM whose command line shows Spring Boot (org.springframework.boot, -Dspring.*/--spring.*, -Dserver.*/--server.* options)',
  capLives: '`server.tomcat.max-connections` (and accept-count): --server.tomcat.max-connections=N, -Dserver.tomcat.max-connections=N, ./config/application.{properties,yml}, ./application.{properties,yml}, --spring.config.location',
  defaults: 'server.tomcat.max-connections 8192, accept-count 100 (Spring Boot 2 and 3); the jar\'s own application.properties is not read, so without an external setting the cap is unknown',
  fromFdLimit: 'not derived, but bounded: each connection is a descriptor of the JVM',
  atCapDoc: 'stops accepting: up to accept-count connections wait in the listen queue, then they are refused or time out',
  reloadDoc: 'a restart of the application',
  role(p) {
    return p.name === 'java' && !p.cmdline.includes('org.apache.catalina.startup.Bootstrap') && looksSpring(p.cmdline) ? 'main' : null;
  },
  read(c) {
    const argv = c.argv.length > 1 ? c.argv : c.main.cmdline.split(' ');
    const reload = restartReload(c.unit, 'the application', 'the application while it restarts; connections in flight are cut');
    const common = { directive: 'server.tomcat.max-connections', scope: 'instance' as const, counts: 'accepted' as const, ports: [...new Set(c.listeners.map((l) => l.port))], atCap: 'queue' as const, atCapText: 'the embedded Tomcat stops accepting: up to server.tomcat.accept-count connections wait in the listen queue, then they are refused or time out', fdCeiling: c.main.soft !== null ? Math.max(0, c.main.soft - 200) : null, setLine: `${KEY}={}` };
    const arg = programArg(argv, KEY);
    if (arg !== null) {
      const v = intValue(arg);
      return v === null ? { caps: [], unknown: `Spring Boot: --${KEY} is not a number sockdoc can read, so its cap is unknown`, reload, notes: [] } : { caps: [{ ...common, value: v, origin: 'flag', where: 'its command line (--server.tomcat.max-connections)' }], reload, notes: [] };
    }
    const prop = systemProperty(argv, KEY);
    if (prop !== null) {
      const v = intValue(prop);
      return v === null ? { caps: [], unknown: `Spring Boot: -D${KEY} is not a number sockdoc can read, so its cap is unknown`, reload, notes: [] } : { caps: [{ ...common, value: v, origin: 'flag', where: 'its command line (-Dserver.tomcat.max-connections)' }], reload, notes: [] };
    }
    let hit: { file: string; entry: PropEntry } | null = null;
    for (const f of externalFiles(argv, c.cwd)) {
      const e = readProps(c.reader, f)?.get(relaxedKey(KEY));
      if (e) hit = { file: f, entry: e };
    }
    if (!hit) return { caps: [], unknown: `Spring Boot: ${KEY} is set neither on its command line nor in an external application.properties/yml, and the one packaged in its jar is not read, so its cap is unknown (8192 unless the jar sets it)`, reload, notes: [] };
    const v = intValue(hit.entry.value);
    if (v === null) return { caps: [], unknown: `Spring Boot: ${KEY} at ${hit.file}:${hit.entry.line} is not a number sockdoc can read, so its cap is unknown`, reload, notes: [] };
    return { caps: [{ ...common, value: v, origin: 'config', file: hit.file, line: hit.entry.line, where: 'its external configuration' }], reload, notes: [] };
  },
};
