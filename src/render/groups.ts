/**
 * Findings folded into groups, for every finding id alike: findings of one id and severity whose
 * subjects are one program — the same process name, executable (/proc/PID/exe) and systemd unit —
 * in one workload (a pod's workload: the pods' names without their controller suffixes; a
 * container's image) are one problem seen many times. "100 listeners of nginx in 10 namespaces" is
 * one line to read at 3 am, not 100 blocks; two `python3` services (two units, or two executables)
 * are two problems, and 200 replicas of one deployment are one.
 *
 * A layer over findings, pure: no rule knows about groups, and a finding id added tomorrow groups
 * the same way. The terminal report, the dashboard, the monitoring line and the JSON (`groups`, next
 * to every finding) read the groups made here.
 *
 * The worst members come first, by what hurts (compareWorst): the clients a finding counts as
 * waiting or dropped in the window, then the highest fill ratio the evidence carries (keys ending in
 * "Percent" or "Ratio", the rules' convention), then the report's order. 81 clients waiting behind
 * a backlog of 80 come before 2 behind a backlog of 1, though the latter is fuller.
 */
import type { Finding, Severity } from '../rules/types.js';
import { findingRef } from '../rules/support/refs.js';
import { netnsLabel } from '../snapshot/netns-names.js';
import type { NetnsRef, ProcessIdentity } from '../snapshot/types.js';

/** What a group's subjects are: listeners (address and port), processes, namespaces, or the host. */
export type GroupSubject = 'listener' | 'process' | 'namespace' | 'host';

export interface FindingGroup {
  /** Stable key: "<id>|<severity>|<program or ->|<workload or ->|<executable or ->|<unit or ->|<uid or ->|<unix or ->". */
  key: string;
  id: string;
  severity: Severity;
  /** The owner program every member names (subject.name); null when the findings name none. */
  program: string | null;
  /** "pod shop/web": the workload the members' pods belong to; "container IMAGE" for a container's; null outside both. */
  workload: string | null;
  /** The members' executable (/proc/PID/exe as read); null when the findings name no process or it was not read. */
  exe: string | null;
  /** The members' systemd unit (template instances as `name@.service`); null for none or unknown. */
  unit: string | null;
  /**
   * The members' user (the process's real uid, or the finding's own for per-user limits); null when
   * unknown. Part of the key: one executable run by root and by another user is two problems, so a
   * user's processes never fold a root service's trouble into "the others alike".
   */
  uid: number | null;
  /** The user's name for `uid` when known. */
  user: string | null;
  /**
   * What tells this group from another of the same id, severity, program and workload (the unit,
   * else the executable), for the title; null when no other group needs telling apart.
   */
  variant: string | null;
  subject: GroupSubject;
  /** Every member, worst first. */
  findings: Finding[];
  /** Labels of the distinct namespaces the members are in ("host" for the host), in order of first appearance. */
  namespaces: string[];
}

/** Members shown by name in a folded group; the rest are counted (--verbose and the JSON list them all). */
export const WORST_SHOWN = 3;

function subjectKind(f: Finding): GroupSubject {
  const s = f.subject;
  if (s.port !== undefined) return 'listener';
  if (s.pid !== undefined) return 'process';
  return s.netns ? 'namespace' : 'host';
}

/**
 * The workload a pod belongs to, from its name as controllers make it: a Deployment's pods are
 * NAME-<replicaset hash>-<5 chars>, a DaemonSet's or Job's NAME-<5 chars>, a StatefulSet's NAME-<ordinal>
 * (Kubernetes: pkg/controller names, "generateName"). A name that fits none is its own workload.
 */
export function podWorkload(pod: { namespace: string; name: string }): string {
  const base = pod.name.replace(/-[a-z0-9]{6,10}-[a-z0-9]{5}$/, '').replace(/-[a-z0-9]{5}$/, '').replace(/-\d+$/, '');
  return `${pod.namespace}/${base || pod.name}`;
}

/** A pod's workload, or a container's image (replicas of one image are one workload), or null. */
function workloadOf(netns: NetnsRef | undefined): string | null {
  if (netns?.pod) return `pod ${podWorkload(netns.pod)}`;
  const image = netns?.container?.image;
  return image ? `container ${image}` : null;
}

/** Identities of the processes findings name, by pid (Snapshot.identities). */
export type Identities = ReadonlyMap<number, ProcessIdentity>;

function identityOf(f: Finding, identities: Identities | undefined): ProcessIdentity | null {
  return f.subject.pid === undefined ? null : identities?.get(f.subject.pid) ?? null;
}

/** The user a finding is about: its own (per-user limits), else its process's, else null. */
function uidOf(f: Finding, who: ProcessIdentity | null): number | null {
  return f.subject.uid ?? who?.uid ?? null;
}

/** A unix-domain listener and a TCP one need different commands: never one group. */
function familyOf(f: Finding): string {
  return f.subject.path !== undefined ? 'unix' : '-';
}

/** The largest fill ratio (0..1) a finding's evidence states, or null: how to pick the worst. */
export function fillOf(f: Finding): number | null {
  let best: number | null = null;
  for (const [k, v] of Object.entries(f.evidence)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    const r = /Percent$/.test(k) ? v / 100 : /Ratio$|^ratio$/.test(k) ? v : null;
    if (r !== null && (best === null || r > best)) best = r;
  }
  return best;
}

/**
 * Evidence keys that count clients waiting now (in an accept queue; behind a program's own cap):
 * the first one a finding carries is its waiting count.
 */
export const WAITING_KEYS = ['acceptQueue', 'queued'] as const;
/**
 * Evidence keys that count connections dropped in the window (one listener's own drops, a
 * namespace's ListenOverflows/ListenDrops, softnet, conntrack, SYN queue drops): the largest is
 * its dropped count. Since-boot totals are not here: they say nothing about now.
 */
export const DROPPED_KEYS = ['dropsDelta', 'listenOverflowsDelta', 'listenDropsDelta', 'droppedDelta', 'dropDelta', 'reqQFullDropDelta'] as const;

const count = (f: Finding, k: string): number | null => {
  const v = f.evidence[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

/**
 * What hurts now, in clients: those waiting (WAITING_KEYS) plus those dropped in the window
 * (DROPPED_KEYS); null when the evidence counts no client (an fd limit, a table): the fill ratio
 * then decides alone.
 */
export function hurtOf(f: Finding): number | null {
  const waiting = WAITING_KEYS.map((k) => count(f, k)).find((v) => v !== null) ?? null;
  const dropped = DROPPED_KEYS.reduce<number | null>((m, k) => {
    const v = count(f, k);
    return v === null ? m : Math.max(m ?? 0, v);
  }, null);
  return waiting === null && dropped === null ? null : (waiting ?? 0) + (dropped ?? 0);
}

/**
 * The one order of "the worst" every renderer shares (groups' members, the report's order within
 * an id, the answer line, --summary and its perfdata, the dashboard, watch): the most clients hurt
 * (hurtOf), then the fullest (fillOf); 0 when neither tells them apart.
 */
export function compareWorst(a: Finding, b: Finding): number {
  return (hurtOf(b) ?? -1) - (hurtOf(a) ?? -1) || (fillOf(b) ?? -1) - (fillOf(a) ?? -1);
}

/** The group a finding belongs to; without `identities` (a fixture snapshot), by its process name alone. */
export function groupKey(f: Finding, identities?: Identities): string {
  const who = identityOf(f, identities);
  const uid = uidOf(f, who);
  return [f.id, f.severity, f.subject.name ?? '-', workloadOf(f.subject.netns) ?? '-', who?.exe ?? '-', who?.unit ?? '-', uid === null ? '-' : String(uid), familyOf(f)].join('|');
}

/**
 * Findings in groups, in the order of each group's first member in `findings` (so the report's
 * order holds); a group of one is a finding on its own. Members are ordered worst first.
 */
export function groupFindings(findings: readonly Finding[], identities?: Identities): FindingGroup[] {
  const byKey = new Map<string, FindingGroup>();
  const order = new Map<Finding, number>();
  findings.forEach((f, i) => {
    order.set(f, i);
    const key = groupKey(f, identities);
    let g = byKey.get(key);
    if (!g) {
      const who = identityOf(f, identities);
      const uid = uidOf(f, who);
      g = { key, id: f.id, severity: f.severity, program: f.subject.name ?? null, workload: workloadOf(f.subject.netns), exe: who?.exe ?? null, unit: who?.unit ?? null, uid, user: f.subject.uid !== undefined ? f.subject.user ?? null : who?.user ?? null, variant: null, subject: subjectKind(f), findings: [], namespaces: [] };
      byKey.set(key, g);
    }
    g.findings.push(f);
    const ns = f.subject.netns && f.subject.netns.kind !== 'host' ? netnsLabel(f.subject.netns) : 'host';
    if (!g.namespaces.includes(ns)) g.namespaces.push(ns);
    // A group may hold listeners and processes both (rare: a rule with two subject kinds): say the wider.
    const kind = subjectKind(f);
    if (kind !== g.subject && g.subject !== 'listener') g.subject = kind === 'listener' ? kind : g.subject;
  });
  // Groups that differ only in what runs (two units or executables of one name) say which they are.
  const alike = new Map<string, FindingGroup[]>();
  for (const g of byKey.values()) {
    g.findings.sort((a, b) => compareWorst(a, b) || order.get(a)! - order.get(b)!);
    const k = [g.id, g.severity, g.program ?? '-', g.workload ?? '-'].join('|');
    alike.set(k, [...(alike.get(k) ?? []), g]);
  }
  for (const gs of alike.values()) {
    if (gs.length < 2) continue;
    const units = new Set(gs.map((g) => g.unit));
    const runs = new Set(gs.map((g) => `${g.unit}|${g.exe}`));
    for (const g of gs) {
      const what = units.size > 1 && g.unit !== null ? g.unit : g.exe ?? (g.unit ?? 'executable not read');
      // Alike but for the user (or the socket family): say which, beside what runs when that differs too.
      const who = g.uid === null ? null : `uid ${g.uid}${g.user ? ` ${g.user}` : ''}`;
      const parts = [runs.size > 1 ? what : null, new Set(gs.map((x) => x.uid)).size > 1 ? who : null, new Set(gs.map((x) => x.key.endsWith('|unix'))).size > 1 && g.key.endsWith('|unix') ? 'unix sockets' : null].filter((p): p is string => p !== null);
      g.variant = parts.length ? parts.join(', ') : what;
    }
  }
  return [...byKey.values()];
}

const NOUN: Record<GroupSubject, [string, string]> = {
  listener: ['listener', 'listeners'],
  process: ['process', 'processes'],
  namespace: ['namespace', 'namespaces'],
  host: ['host', 'hosts'],
};

/**
 * "100 listeners of nginx in 10 namespaces (accept-queue-full)": what the group is, in a line.
 * Host text (the program, namespace labels) is returned as is: the renderer escapes it.
 */
export function groupTitle(g: FindingGroup): string {
  const n = g.findings.length;
  const noun = NOUN[g.subject][n === 1 ? 0 : 1];
  const of = g.program !== null ? ` of ${g.program}${g.variant !== null ? ` (${g.variant})` : ''}` : '';
  const nsCount = g.namespaces.length;
  const image = g.workload?.startsWith('container ') ? g.workload.slice('container '.length) : null;
  // One container is named as ever ("in docker container web (…)"); many of one image by the image.
  const where = image !== null && nsCount > 1 ? ` in ${nsCount} containers of image ${image}` : image === null && g.workload !== null ? ` in ${nsCount} pod${nsCount === 1 ? '' : 's'} of ${g.workload}` : g.subject === 'namespace' ? '' : nsCount > 1 ? ` in ${nsCount} namespaces` : g.namespaces[0] !== 'host' ? ` in ${g.namespaces[0]}` : '';
  return `${n} ${noun}${of}${where}: ${g.id}`;
}

/** Refs of every member, in the group's order (worst first). */
export function groupRefs(g: FindingGroup): string[] {
  return g.findings.map(findingRef);
}
