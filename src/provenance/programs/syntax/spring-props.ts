/**
 * Spring Boot's external configuration files as flat `a.b.c -> value` maps: application.properties
 * (java.util.Properties: `key=value`, `key: value` or `key value`, `#`/`!` comments, `\` continuing a
 * line) and application.yml (the block-mapping subset: `key:` lines nested by indentation, scalar
 * values, `#` comments; sequences and flow styles are skipped). Keys keep their spelling; relaxed
 * binding is the caller's (relaxedKey). A line scan, bounded in lines.
 */
import { unquote } from './ini.js';

export interface PropEntry {
  value: string;
  line: number;
}

const MAX_LINES = 100_000;

/** Spring's relaxed binding: server.tomcat.max-connections == server.tomcat.maxConnections == ..._connections. */
export function relaxedKey(key: string): string {
  return key.toLowerCase().replaceAll('-', '').replaceAll('_', '');
}

export function parseProperties(text: string): Map<string, PropEntry> {
  const out = new Map<string, PropEntry>();
  const lines = text.split('\n', MAX_LINES);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let t = lines[i].replace('\r', '').trimStart();
    if (t === '' || t[0] === '#' || t[0] === '!') continue;
    while (t.endsWith('\\') && i + 1 < lines.length) t = t.slice(0, -1) + lines[++i].trimStart();
    let k = 0;
    while (k < t.length && t[k] !== '=' && t[k] !== ':' && t[k] !== ' ' && t[k] !== '\t') k++;
    const key = t.slice(0, k);
    let v = t.slice(k).trimStart();
    if (v[0] === '=' || v[0] === ':') v = v.slice(1);
    out.set(relaxedKey(key), { value: v.trim(), line: start });
  }
  return out;
}

export function parseYamlMappings(text: string): Map<string, PropEntry> {
  const out = new Map<string, PropEntry>();
  const stack: Array<{ indent: number; key: string }> = [];
  const lines = text.split('\n', MAX_LINES);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace('\r', '');
    let indent = 0;
    while (indent < raw.length && raw[indent] === ' ') indent++;
    const t = raw.slice(indent);
    if (t === '' || t[0] === '#' || t.startsWith('---') || t[0] === '-') continue;
    const colon = t.indexOf(':');
    if (colon <= 0) continue;
    const key = unquote(t.slice(0, colon).trim());
    let value = t.slice(colon + 1);
    const hash = value.indexOf(' #');
    if (hash >= 0) value = value.slice(0, hash);
    value = value.trim();
    while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
    const path = [...stack.map((s) => s.key), key].join('.');
    if (value === '') stack.push({ indent, key });
    else out.set(relaxedKey(path), { value: unquote(value), line: i + 1 });
  }
  return out;
}
