/**
 * Checks on generated explanations: the sentence-gluing faults users met ("minfds=512=512",
 * "(systemd ≥ 240)=1024:524288", "not a login session, not a login session", "set by systemd
 * (pid 812)" for a service). Used by tests over every fixture and lab output.
 */

export interface NamedPid {
  pid: number;
  name: string;
}

/** Faults in a text, one sentence each; [] when clean. `known` maps pids to their real names. */
export function proseFaults(text: string, known: readonly NamedPid[] = []): string[] {
  const out: string[] = [];
  // A value glued onto an assignment: "key=a=b" (a shell `sed 's/x=.*/x=1/'` line is quoted and exempt).
  for (const line of text.split('\n')) {
    if (/^\s*sed /.test(line)) continue;
    const m = /(?:^|[\s(])[A-Za-z_.-]+=[^\s=,;'"]*[^\s=,;'"\d]=|\)=/.exec(line) ?? /\b[A-Za-z_]+=\d+(?::\d+)?=/.exec(line);
    if (m) out.push(`doubled "=": ${line.trim()}`);
  }
  // The same sentence twice in a paragraph, or the same clause twice in a row.
  const sentences = text.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter((s) => s.length > 25);
  const seen = new Set<string>();
  for (const s of sentences) {
    if (seen.has(s)) out.push(`repeated sentence: ${s}`);
    seen.add(s);
  }
  const flat = text.replace(/\s+/g, ' ');
  const clause = /(\b[\w ]{12,}?), \1\b/.exec(flat);
  if (clause) out.push(`repeated clause: ${clause[1]}`);
  // The same ending twice in a row ("not part of a login session, not a login session").
  const tail = /\b(not (?:part of )?an? [\w ]{4,30}?), not (?:part of )?an? ([\w ]{4,30}?)\b[:.]/.exec(flat);
  if (tail && tail[1].endsWith(tail[2])) out.push(`repeated clause: ${tail[0]}`);
  // A sentence glued on without its full stop ("started the way it was started This stops every program").
  const glued = /\b[a-z]{2,} (This|These|Then|It) (?:stops|ends|replaces|restarts|keeps|needs|is|will)\b/.exec(flat);
  if (glued) out.push(`glued sentence: ${glued[0]}`);
  // "NAME (pid N)" must name N's real program.
  const names = new Map(known.map((k) => [k.pid, k.name]));
  for (const m of text.replace(/\s+/g, ' ').matchAll(/([^\s(]+(?: [^\s(]+)?) \(pid (\d+)\)/g)) {
    const real = names.get(Number(m[2]));
    if (real === undefined) continue;
    const said = m[1];
    const last = said.split(' ').pop() as string;
    if (!said.includes(real) && !real.split(' ').includes(last)) out.push(`pid ${m[2]} is ${real}, but the text calls it ${said}`);
  }
  return out;
}
