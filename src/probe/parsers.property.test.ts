/**
 * Every parser of kernel and configuration text, fed arbitrary bytes and mutated real fixtures
 * (fast-check): it returns, or throws ParseError naming the file — never another exception (which
 * would escape the reader as "internal error") — and every number it returns is one the kernel
 * could have printed (a pid ≤ PID_MAX_LIMIT, a uid < 2^32 - 1, a queue < 2^32, an RLIMIT_NOFILE
 * ≤ fs.nr_open's ceiling …), never NaN, a float, or 1e+23.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ParseError } from './read-file.js';
import { RANGE } from './kernel-number.js';
import { parseNetTcp } from './net-tcp.js';
import { parseNetstat } from './netstat.js';
import { parseGroup, parsePasswd } from './passwd.js';
import { parsePidCgroup } from './pid-cgroup.js';
import { parsePidCmdline } from './pid-cmdline.js';
import { parsePidLimits } from './pid-limits.js';
import { parsePidStat } from './pid-stat.js';
import { parsePidStatus } from './pid-status.js';
import { parseProcMount } from './proc-mount.js';
import { parseSsListen } from './ss-listen.js';
import { parseSysctlNumbers } from './sysctl.js';
import { parseOneLine } from './host.js';
import { parseInetDiag } from './inet-diag.js';
import { parseLimitsConf } from '../provenance/pam.js';
import { parseIni } from '../provenance/supervisord.js';
import { parseUnitFile } from '../provenance/unit-file.js';
import { parseLimitValue } from '../provenance/rlimit.js';
import { fixture } from '../testing/paths.js';

const RUNS = 400;

/** Real text from the fixtures: the parsers' happy path, to be mutated. */
const real = (...p: string[]) => readFileSync(fixture(...p), 'latin1');

/** Tokens that once passed Number(): exponents, hex, signs, blanks, and numbers just past a kernel range. */
const NASTY = ['1e23', '0x10', '-1', '', ' ', '4294967297', '18446744073709551616', '99999999999999999999999', '1.5', 'NaN', 'Infinity', '\u202e', '\x1b[2J', '$(id)'];

/** Arbitrary bytes, or a real file with one token replaced by a nasty one or by random bytes. */
function textFrom(sample: string): fc.Arbitrary<string> {
  const tokens = sample.split(/(\s+)/);
  const mutated = fc
    .tuple(fc.nat(tokens.length - 1), fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'binary', maxLength: 12 })))
    .map(([i, t]) => tokens.map((x, j) => (j === i ? t : x)).join(''));
  const cut = fc.nat(sample.length).map((n) => sample.slice(0, n));
  return fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), mutated, cut);
}

const isInt = (n: unknown, max: number, min = 0) => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

/** Runs `parse` on each text: a value passing `ok`, or a ParseError. */
function check<T>(name: string, arb: fc.Arbitrary<string>, parse: (t: string) => T, ok: (v: T) => boolean): void {
  test(`property: ${name} returns a value in the kernel's range or throws ParseError`, () => {
    fc.assert(
      fc.property(arb, (t) => {
        let v: T;
        try {
          v = parse(t);
        } catch (err) {
          if (err instanceof ParseError) return true;
          throw err;
        }
        return ok(v);
      }),
      { numRuns: RUNS },
    );
  });
}

const tcp = real('hosts', 'seed-close-wait', 'proc', 'net', 'tcp');
const tcp6 = real('hosts', 'seed-close-wait', 'proc', 'net', 'tcp6');
check('parseNetTcp', fc.oneof(textFrom(tcp), textFrom(tcp6)), (t) => parseNetTcp(t, t.includes('00000000000000000000000000000000') ? 6 : 4), (socks) =>
  socks.every((s) => isInt(s.localPort, 65535) && isInt(s.remotePort, 65535) && isInt(s.txQueue, 0xffffffff) && isInt(s.rxQueue, 0xffffffff) && isInt(s.uid, RANGE.id) && isInt(s.inode, 0xffffffff)),
);
check('parseNetstat', textFrom(real('hosts', 'seed-close-wait', 'proc', 'net', 'netstat')), (t) => parseNetstat(t), (r) => Object.values(r).every((v) => isInt(v, 2 ** 64, -(2 ** 63))));
check('parsePidStat', fc.oneof(textFrom(real('proc', 'server-stat')), textFrom(real('proc', 'comm-stat'))), (t) => parsePidStat(t), (s) => isInt(s.pid, RANGE.pid, 1) && isInt(s.ppid, RANGE.pid) && isInt(s.starttime, RANGE.safe) && s.state.length === 1);
check('parsePidStatus', textFrom(real('proc', 'server-status')), (t) => parsePidStatus(t), (s) => isInt(s.uid, RANGE.id) && isInt(s.euid, RANGE.id) && (s.fdSize === null || isInt(s.fdSize, RANGE.int)));
check('parsePidLimits', textFrom(real('proc', 'server-limits')), (t) => parsePidLimits(t), (rows) =>
  rows.every((r) => [r.soft, r.hard].every((v) => v === 'unlimited' || isInt(v, r.name === 'Max open files' ? RANGE.nrOpen : 2 ** 64))),
);
check('parsePidCgroup', textFrom(real('proc', 'server-cgroup')), (t) => parsePidCgroup(t), (rows) => rows.every((r) => typeof r.path === 'string'));
check('parsePidCmdline', textFrom(real('proc', 'server-cmdline')), (t) => parsePidCmdline(t), (c) => Array.isArray(c.argv));
check('parsePasswd', textFrom('root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n'), (t) => parsePasswd(t), (es) => es.every((e) => isInt(e.uid, RANGE.id) && isInt(e.gid, RANGE.id)));
check('parseGroup', textFrom('adm:x:4:syslog,alice\nnogroup:x:65534:\n'), (t) => parseGroup(t), (es) => es.every((e) => isInt(e.gid, RANGE.id)));
check('parseSysctlNumbers', textFrom('32768\t60999\n'), (t) => parseSysctlNumbers(t, 2), (ns) => ns.every((n) => isInt(n, 2 ** 64, -(2 ** 63))));
check('parseOneLine', textFrom('vm\n'), (t) => parseOneLine(t), (s) => !s.includes('\n'));
check('parseSsListen', textFrom('LISTEN 0 128 127.0.0.1:8080 0.0.0.0:* ino:4711 sk:1 <->\nLISTEN 129 4096 [::]:8889 [::]:* ino:4712 sk:2 <->\n'), (t) => parseSsListen(t), (ls) =>
  ls.every((l) => isInt(l.port, 65535) && isInt(l.recvQ, 0xffffffff) && isInt(l.sendQ, 0xffffffff) && isInt(l.inode, 0xffffffff)),
);
check('parseProcMount', textFrom('78 51 0:39 / /proc rw,relatime - proc proc rw,gid=4,hidepid=invisible\n'), (t) => parseProcMount(t), (m) => m === null || m.gid === null || isInt(m.gid, RANGE.id));
check('parseLimitsConf', textFrom('* soft nofile 4096\n@adm hard nofile unlimited\nbob - nofile 65536\n'), (t) => parseLimitsConf(t, 'limits.conf'), (r) => Array.isArray(r.entries));
check('parseIni', textFrom('[supervisord]\nminfds = 4096\n[include]\nfiles = conf.d/*.conf\n'), (t) => parseIni(t, 'supervisord.conf'), (r) => Array.isArray(r));
check('parseUnitFile', textFrom('[Service]\nLimitNOFILE=4096:524288\nExecStart=/usr/bin/x\n'), (t) => parseUnitFile(t, 'x.service'), (r) => Array.isArray(r));
check('parseLimitValue', textFrom('4096:524288'), (t) => parseLimitValue(t), (p) => p === null || [p.soft, p.hard].every((v) => v === null || v === 'infinity' || isInt(v, 2 ** 64)));

test('property: parseInetDiag on arbitrary and bit-flipped netlink bytes returns sane messages or throws ParseError', () => {
  const bin = readFileSync(fixture('hosts', 'seed-close-wait', 'sock_diag', 'tcp-listen.bin'));
  const flipped = fc.tuple(fc.nat(bin.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => {
    const copy = Buffer.from(bin);
    copy[i] = b;
    return copy;
  });
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), flipped), (buf) => {
      try {
        return parseInetDiag(buf).every((m) => isInt(m.localPort, 65535) && isInt(m.rqueue, 0xffffffff) && isInt(m.wqueue, 0xffffffff) && isInt(m.inode, 0xffffffff) && isInt(m.uid, 0xffffffff));
      } catch (err) {
        if (err instanceof ParseError) return true;
        throw err;
      }
    }),
    { numRuns: RUNS },
  );
});

test('a token just past a kernel range is malformed, not a value (regressions of the properties above)', () => {
  assert.throws(() => parsePidLimits(real('proc', 'server-limits').replace(/(Max open files\s+)\d+/, '$1100000000000000000000000')), ParseError);
  assert.throws(() => parsePidStat(real('proc', 'server-stat').replace(/^\d+/, '4294967297')), ParseError);
  assert.throws(() => parsePidStat(real('proc', 'server-stat').replace(/^\d+/, '1e3')), ParseError);
  assert.throws(() => parsePidStatus('Uid:\t0x10\t0\t0\t0\n'), ParseError);
});
