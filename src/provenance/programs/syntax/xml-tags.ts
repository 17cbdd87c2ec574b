/**
 * Elements of an XML file by name, with their attributes: enough for Tomcat's server.xml
 * (`<Connector port="8080" maxConnections="..."/>`). Comments, CDATA and processing instructions are
 * skipped; entities in values are decoded (the five predefined ones). A character scan (no RegExp over
 * the host's text), at most MAX_ELEMENTS elements returned.
 */

export interface XmlElement {
  name: string;
  attrs: Map<string, string>;
  /** 1-based line of the `<`. */
  line: number;
}

const MAX_ELEMENTS = 10_000;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '&') {
      const end = v.indexOf(';', i);
      const e = end > i ? ENTITIES[v.slice(i + 1, end)] : undefined;
      if (e !== undefined) {
        out += e;
        i = end;
        continue;
      }
    }
    out += v[i];
  }
  return out;
}

const isNameChar = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-' || c === '_' || c === ':' || c === '.';

/** Every element named `name` (case-sensitive, as XML is), in document order. */
export function xmlElements(text: string, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  const skipTo = (end: string) => {
    const j = text.indexOf(end, i);
    const stop = j < 0 ? n : j + end.length;
    for (; i < stop; i++) if (text[i] === '\n') line++;
  };
  while (i < n && out.length < MAX_ELEMENTS) {
    const c = text[i];
    if (c === '\n') line++;
    if (c !== '<') {
      i++;
      continue;
    }
    if (text.startsWith('<!--', i)) {
      skipTo('-->');
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      skipTo(']]>');
      continue;
    }
    if (text[i + 1] === '?' || text[i + 1] === '!' || text[i + 1] === '/') {
      skipTo('>');
      continue;
    }
    const at = line;
    let j = i + 1;
    while (j < n && isNameChar(text[j])) j++;
    const tag = text.slice(i + 1, j);
    const attrs = new Map<string, string>();
    // Attributes until the end of the tag.
    while (j < n && text[j] !== '>') {
      const ch = text[j];
      if (ch === '\n') line++;
      if (!isNameChar(ch)) {
        j++;
        continue;
      }
      let k = j;
      while (k < n && isNameChar(text[k])) k++;
      const key = text.slice(j, k);
      while (k < n && (text[k] === ' ' || text[k] === '\t' || text[k] === '\r' || text[k] === '\n')) {
        if (text[k] === '\n') line++;
        k++;
      }
      if (text[k] !== '=') {
        j = k;
        continue;
      }
      k++;
      while (k < n && (text[k] === ' ' || text[k] === '\t' || text[k] === '\r' || text[k] === '\n')) {
        if (text[k] === '\n') line++;
        k++;
      }
      const q = text[k];
      if (q !== '"' && q !== "'") {
        j = k;
        continue;
      }
      const end = text.indexOf(q, k + 1);
      const stop = end < 0 ? n : end;
      const raw = text.slice(k + 1, stop);
      for (const x of raw) if (x === '\n') line++;
      attrs.set(key, decode(raw));
      j = stop + 1;
    }
    i = j + 1;
    if (tag === name) out.push({ name: tag, attrs, line: at });
  }
  return out;
}
