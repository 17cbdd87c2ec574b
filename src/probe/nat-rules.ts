/**
 * Destination NAT for a TCP port, from the nat rules of one network namespace: `iptables-save -t nat`
 * (xtables, legacy or nf_tables backend) and `nft list ruleset` (native nftables tables). docker
 * publishes a port with `-A DOCKER ... --dport P -j DNAT --to-destination 172.17.0.2:P`, kube-proxy a
 * NodePort with KUBE-NODEPORTS -> KUBE-SVC-… -> KUBE-SEP-… -> DNAT to each endpoint, the CNI portmap
 * plugin a hostPort with CNI-HOSTPORT-DNAT -> CNI-DN-… -> DNAT. A connection to P is rewritten by
 * the first rule that matches on its way from PREROUTING (from outside) or OUTPUT (from this host),
 * following jumps: every DNAT target such a path can reach is where P really goes.
 *
 * The text is the rules' own (read-only commands, or a capture of them); parsing is a word scan per
 * line, bounded (rules, chain depth). Conditions sockdoc cannot evaluate (a destination address, an
 * input interface) are kept as "may match": a target is reported with the chain path that leads to
 * it, never dropped for a condition that might hold.
 */

export interface NatRule {
  chain: string;
  /** Protocol (-p / l4proto); null = any. */
  proto: string | null;
  /** Destination ports matched ([lo, hi] ranges); null = any port. */
  dports: Array<[number, number]> | null;
  /** The ports are negated (! --dport P). */
  negated: boolean;
  /** DNAT target ("172.17.0.2:9000"), jump or goto target, or another verdict. */
  action: { kind: 'dnat'; to: string } | { kind: 'jump' | 'goto'; chain: string } | { kind: 'other'; name: string };
  /** --comment "..." (kube-proxy names the service there). */
  comment: string | null;
  /** 1-based line of the rule in the text. */
  line: number;
  source: 'iptables' | 'nft';
}

export interface NatTable {
  /** Rules by chain, in order. */
  chains: Map<string, NatRule[]>;
  /** Chains a packet enters: PREROUTING and OUTPUT of the nat table (nft: chains hooked there). */
  entries: string[];
}

/** Where a port is forwarded: the DNAT target and how the rules reach it. */
export interface NatTarget {
  address: string;
  port: number;
  /** Chains from the entry to the DNAT rule, e.g. ["PREROUTING", "DOCKER"]. */
  path: string[];
  /** Who wrote it, from the chain names: docker, kube-proxy (NodePort), a CNI hostPort, or a rule. */
  via: 'docker' | 'kube-proxy' | 'hostport' | 'dnat';
  comment: string | null;
  source: 'iptables' | 'nft';
}

const MAX_RULES = 100_000;
const MAX_DEPTH = 32;

/** Words of a line, "double quoted" words kept whole (iptables-save quotes comments). */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === '\\' && i + 1 < line.length) cur += line[++i];
      else if (c === '"') q = false;
      else cur += c;
      continue;
    }
    if (c === '"') {
      q = true;
      has = true;
    } else if (c === ' ' || c === '\t') {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** "9000", "8000:8010", "80,443" (multiport) -> ranges; null when unreadable. */
function portRanges(text: string): Array<[number, number]> | null {
  const out: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split(part.includes(':') ? ':' : '-');
    const lo = /^\d{1,5}$/.test(a ?? '') ? Number(a) : NaN;
    const hi = b === undefined ? lo : /^\d{1,5}$/.test(b) ? Number(b) : NaN;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi || hi > 65535) return null;
    out.push([lo, hi]);
  }
  return out.length ? out : null;
}

/** Parses the *nat table of `iptables-save` output. */
export function parseIptablesSave(text: string): NatTable {
  const chains = new Map<string, NatRule[]>();
  let inNat = false;
  let count = 0;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length && count < MAX_RULES; n++) {
    const line = lines[n].trim();
    if (line.startsWith('*')) {
      inNat = line === '*nat';
      continue;
    }
    if (!inNat) continue;
    if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0];
      if (!chains.has(name)) chains.set(name, []);
      continue;
    }
    if (!line.startsWith('-A ')) continue;
    const w = words(line);
    const rule: NatRule = { chain: w[1], proto: null, dports: null, negated: false, action: { kind: 'other', name: 'none' }, comment: null, line: n + 1, source: 'iptables' };
    for (let i = 2; i < w.length; i++) {
      const neg = w[i] === '!';
      if (neg) i++;
      const opt = w[i];
      const val = w[i + 1];
      if (opt === '-p' || opt === '--protocol') {
        rule.proto = neg ? null : (val ?? null);
        i++;
      } else if (opt === '--dport' || opt === '--destination-port' || opt === '--dports' || opt === '--destination-ports') {
        rule.dports = portRanges(val ?? '');
        rule.negated = neg;
        i++;
      } else if (opt === '--comment') {
        rule.comment = val ?? null;
        i++;
      } else if (opt === '-j' || opt === '--jump' || opt === '-g' || opt === '--goto') {
        if (val === 'DNAT') rule.action = { kind: 'dnat', to: '' };
        else if (val && /^[A-Z]+$/.test(val) && ['ACCEPT', 'RETURN', 'MASQUERADE', 'SNAT', 'REDIRECT', 'MARK', 'DROP', 'LOG'].includes(val)) rule.action = { kind: 'other', name: val };
        else if (val) rule.action = { kind: opt === '-g' || opt === '--goto' ? 'goto' : 'jump', chain: val };
        i++;
      } else if (opt === '--to-destination' && rule.action.kind === 'dnat') {
        rule.action = { kind: 'dnat', to: val ?? '' };
        i++;
      }
    }
    const list = chains.get(rule.chain) ?? [];
    list.push(rule);
    chains.set(rule.chain, list);
    count++;
  }
  return { chains, entries: ['PREROUTING', 'OUTPUT'] };
}

/**
 * Parses the nat chains of `nft list ruleset`: chains hooked at prerouting/output of type nat are
 * the entries; rules with `tcp dport`/`th dport` (a port, a range or a set), `dnat [ip|ip6] to A[:P]`,
 * `jump`/`goto`. Maps and verdict maps (kube-proxy's nftables mode) are not followed.
 */
export function parseNftRuleset(text: string): NatTable {
  const chains = new Map<string, NatRule[]>();
  const entries: string[] = [];
  let table: string | null = null;
  let chain: string | null = null;
  let count = 0;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length && count < MAX_RULES; n++) {
    const line = lines[n].trim();
    const w = words(line);
    if (w[0] === 'table' && w.length >= 3) {
      table = `${w[1]} ${w[2]}`;
      chain = null;
      continue;
    }
    if (w[0] === 'chain' && table && w[1]) {
      chain = `${table}/${w[1]}`;
      if (!chains.has(chain)) chains.set(chain, []);
      continue;
    }
    if (!chain || !table) continue;
    if (w[0] === 'type') {
      // "type nat hook prerouting priority dstnat; policy accept;"
      if (w[1] === 'nat' && (line.includes('hook prerouting') || line.includes('hook output'))) entries.push(chain);
      continue;
    }
    if (line === '}' || line === '') {
      if (line === '}') chain = null;
      continue;
    }
    const rule: NatRule = { chain, proto: null, dports: null, negated: false, action: { kind: 'other', name: 'none' }, comment: null, line: n + 1, source: 'nft' };
    for (let i = 0; i < w.length; i++) {
      if ((w[i] === 'tcp' || w[i] === 'th' || w[i] === 'udp') && w[i + 1] === 'dport') {
        if (w[i] !== 'th') rule.proto = w[i];
        let j = i + 2;
        if (w[j] === '!=') {
          rule.negated = true;
          j++;
        }
        if (w[j] === '{') {
          const set: string[] = [];
          for (j++; j < w.length && w[j] !== '}'; j++) set.push(w[j].replace(',', ''));
          rule.dports = portRanges(set.filter(Boolean).join(','));
        } else rule.dports = portRanges(w[j] ?? '');
        i = j;
      } else if (w[i] === 'meta' && w[i + 1] === 'l4proto') {
        rule.proto = w[i + 2] ?? null;
        i += 2;
      } else if (w[i] === 'dnat') {
        let j = i + 1;
        if (w[j] === 'ip' || w[j] === 'ip6') j++;
        if (w[j] === 'to') rule.action = { kind: 'dnat', to: w[j + 1] ?? '' };
        i = j + 1;
      } else if ((w[i] === 'jump' || w[i] === 'goto') && w[i + 1]) {
        rule.action = { kind: w[i] as 'jump' | 'goto', chain: `${table}/${w[i + 1]}` };
        i++;
      } else if (w[i] === 'comment' && w[i + 1]) {
        rule.comment = w[i + 1];
        i++;
      }
    }
    if (rule.action.kind === 'other' && rule.dports === null) continue; // not a rule that can forward
    chains.get(chain)!.push(rule);
    count++;
  }
  return { chains, entries };
}

/** Does the rule let a TCP connection to `port` through its port and protocol tests? */
function mayMatch(r: NatRule, port: number): boolean {
  if (r.proto !== null && r.proto !== 'tcp' && r.proto !== '6') return false;
  if (r.dports === null) return true;
  const inside = r.dports.some(([lo, hi]) => port >= lo && port <= hi);
  return r.negated ? !inside : inside;
}

/** "172.17.0.2:9000", "[fd00::2]:80", "10.0.0.5", "10.0.0.5:8000-8010" -> address and port (the port asked when none). */
export function dnatTarget(to: string, port: number): { address: string; port: number } | null {
  let addr = to;
  let p: string | null = null;
  if (to.startsWith('[')) {
    const close = to.indexOf(']');
    if (close < 0) return null;
    addr = to.slice(1, close);
    if (to[close + 1] === ':') p = to.slice(close + 2);
  } else {
    const colon = to.indexOf(':');
    if (colon >= 0 && to.indexOf(':', colon + 1) < 0) {
      addr = to.slice(0, colon);
      p = to.slice(colon + 1);
    }
  }
  addr = addr.split('-')[0]; // an address range: its first address
  if (addr === '') return null;
  if (p === null || p === '') return { address: addr, port };
  const lo = p.split('-')[0];
  return /^\d{1,5}$/.test(lo) ? { address: addr, port: Number(lo) } : null;
}

function viaOf(path: readonly string[]): NatTarget['via'] {
  const names = path.map((c) => c.slice(c.lastIndexOf('/') + 1));
  if (names.some((c) => c === 'DOCKER' || c.startsWith('DOCKER'))) return 'docker';
  if (names.some((c) => c.startsWith('KUBE-'))) return 'kube-proxy';
  if (names.some((c) => c.startsWith('CNI-HOSTPORT') || c.startsWith('CNI-DN-'))) return 'hostport';
  return 'dnat';
}

/** Every DNAT target a TCP connection to `port` may reach through `table`, each once. */
export function natTargets(table: NatTable, port: number): NatTarget[] {
  const out = new Map<string, NatTarget>();
  const walk = (chain: string, path: string[], seen: Set<string>) => {
    if (path.length > MAX_DEPTH || seen.has(chain)) return;
    const next = new Set(seen).add(chain);
    for (const r of table.chains.get(chain) ?? []) {
      if (!mayMatch(r, port)) continue;
      if (r.action.kind === 'dnat') {
        const t = dnatTarget(r.action.to, port);
        const key = t ? `${t.address} ${t.port}` : '';
        if (t && !out.has(key)) out.set(key, { ...t, path: [...path, chain], via: viaOf([...path, chain]), comment: r.comment, source: r.source });
      } else if (r.action.kind === 'jump' || r.action.kind === 'goto') walk(r.action.chain, [...path, chain], next);
    }
  };
  for (const e of table.entries) walk(e, [], new Set());
  return [...out.values()];
}
