/**
 * A base image for contrib/docker/Dockerfile made from this machine's own Debian packages, so that a
 * test can build the image with a private dockerd and nothing pulled: node and npm (nodejs), a C
 * toolchain for node-gyp (gcc, g++, make, binutils, libc6-dev) and python3, each with the packages it
 * depends on (dpkg's Depends and Pre-Depends, first installed alternative), as a tarball for
 * `docker import`. Documentation, translations, sanitizer runtimes, the C++ and LTO compilers (the
 * native module is C) and OpenSSL's headers are left out: about 230 MB instead of 530.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What the build and run stages need; the rest follows from their dependencies. */
export const BASE_PACKAGES = ['nodejs', 'gcc', 'g++', 'make', 'python3', 'dash', 'coreutils', 'sed', 'grep', 'findutils'];

/** Packages never needed to build or run sockdoc (sanitizers, package tools). */
const SKIP_PACKAGES = /^(libasan\d+|libtsan\d+|liblsan\d+|libubsan\d+|libhwasan\d+|libitm\d+|dpkg|tar|perl-base|debconf|ca-certificates|openssl)$/;

/** Trees taken as they are on disk, not as dpkg listed them (npm updates itself in place). */
const WHOLE_TREES = ['/usr/lib/node_modules/npm'];

/** Files left out of the packages taken. */
const SKIP_FILES = [
  /^\/usr\/share\/(doc|man|info|locale|lintian|bug|gdb|bash-completion|zsh)\//,
  /\/cc1plus$/,
  /\/lto1$/,
  /lto-dump/,
  /\/ld\.gold$/,
  /-dwp$/,
  /gprofng/,
  /\/lib(asan|tsan|lsan|ubsan|hwasan)[^/]*$/,
  /\/usr\/include\/node\/openssl\//,
  /\/usr\/lib\/node_modules\/corepack\//,
  // Static archives nothing here links against (libgcc.a and libc_nonshared.a stay: every link needs them).
  /\/lib(c|m-[\d.]+|mvec|stdc\+\+|stdc\+\+fs|supc\+\+)\.a$/,
];

export function dpkgAvailable(): boolean {
  return spawnSync('dpkg-query', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Installed packages with their dependency lists. */
function installed(): Map<string, string> {
  const out = execFileSync('dpkg-query', ['-W', '-f=${Package}\t${db:Status-Abbrev}\t${Pre-Depends}, ${Depends}\n'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const pk = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [name, status, deps] = line.split('\t');
    if (name && status?.startsWith('ii')) pk.set(name, deps ?? '');
  }
  return pk;
}

/** The seeds and everything they depend on, by the first installed alternative of each dependency. */
export function packageClosure(seeds: readonly string[]): string[] {
  const pk = installed();
  const seen = new Set<string>();
  const queue = seeds.filter((s) => pk.has(s));
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    if (seen.has(p) || SKIP_PACKAGES.test(p)) continue;
    seen.add(p);
    for (const alt of (pk.get(p) ?? '').split(',')) {
      const names = alt.split('|').map((a) => a.trim().split(/[\s(:]/)[0]);
      const hit = names.find((n) => n && pk.has(n));
      if (hit) queue.push(hit);
    }
  }
  return [...seen].sort();
}

/** Paths a package installed (its dpkg .list), directories included. */
function packageFiles(pkg: string): string[] {
  for (const name of [pkg, `${pkg}:amd64`, `${pkg}:arm64`]) {
    try {
      return readFileSync(`/var/lib/dpkg/info/${name}.list`, 'utf8').split('\n').filter(Boolean);
    } catch {
      // Try the architecture-qualified name.
    }
  }
  return [];
}

/**
 * A path as it is reached on a merged-/usr system: /lib/x → /usr/lib/x (the archive holds /lib as a
 * symlink, as the host does, and every file once, under its real directory).
 */
function canonical(path: string): string | null {
  try {
    return join(realpathSync(dirname(path)), path.slice(path.lastIndexOf('/') + 1));
  } catch {
    return null;
  }
}

/** Writes the rootfs tarball to `out` (staging extras under `work`); returns what went in. */
export function writeBaseTarball(out: string, work: string): { packages: string[]; files: number; bytes: number } {
  const packages = packageClosure(BASE_PACKAGES);
  const paths = new Set<string>();
  let bytes = 0;
  for (const pkg of packages) {
    for (const f of packageFiles(pkg)) {
      if (f === '/.' || SKIP_FILES.some((re) => re.test(f))) continue;
      const p = canonical(f);
      if (!p || paths.has(p)) continue;
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue; // listed but not there (a diverted or removed file)
      }
      if (st.isDirectory() || st.isFile() || st.isSymbolicLink()) paths.add(p);
      if (st.isFile()) bytes += st.size;
    }
  }
  // npm as installed now (`npm install -g npm` replaces the tree dpkg listed), walked whole.
  for (const tree of WHOLE_TREES) {
    for (const p of [...paths]) if (p === tree || p.startsWith(`${tree}/`)) paths.delete(p);
    const walk = (d: string): void => {
      paths.add(d);
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile() || e.isSymbolicLink()) {
          paths.add(p);
          if (e.isFile()) bytes += lstatSync(p).size;
        }
      }
    };
    walk(tree);
  }
  // What maintainer scripts make at install time (update-alternatives) and a few directories.
  const extras = join(work, 'extras');
  for (const d of ['etc', 'tmp', 'root', 'proc', 'sys', 'dev', 'usr/local/bin', 'usr/bin']) mkdirSync(join(extras, d), { recursive: true });
  for (const [l, t] of [['bin', 'usr/bin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64'], ['sbin', 'usr/sbin'], ['usr/bin/cc', 'gcc'], ['usr/bin/c++', 'g++']]) symlinkSync(t, join(extras, l));
  chmodSync(join(extras, 'tmp'), 0o1777);
  chmodSync(join(extras, 'root'), 0o700);
  writeFileSync(join(extras, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
  writeFileSync(join(extras, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  // The host's loader cache names the same library paths the archive holds.
  try {
    if (lstatSync('/etc/ld.so.cache').isFile()) paths.add('/etc/ld.so.cache');
  } catch {
    // No cache: the loader searches its default directories.
  }
  for (const p of ['/bin', '/lib', '/lib64', '/sbin', '/etc', '/tmp', '/root', '/proc', '/sys', '/dev', '/usr/bin/cc', '/usr/bin/c++']) paths.delete(p);
  const list = join(work, 'files');
  writeFileSync(list, [...paths].sort().map((p) => p.slice(1)).join('\n') + '\n');
  const own = ['bin', 'lib', 'lib64', 'sbin', 'etc', 'etc/passwd', 'etc/group', 'tmp', 'root', 'proc', 'sys', 'dev', 'usr/local', 'usr/local/bin', 'usr/bin/cc', 'usr/bin/c++'];
  const tar = spawnSync('tar', ['-cf', out, '--no-recursion', '-C', extras, ...own, '-C', '/', '-T', list], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`tar of the base image: ${tar.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return { packages, files: paths.size, bytes };
}
