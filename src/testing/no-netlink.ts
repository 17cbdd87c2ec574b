/**
 * A launcher that runs a command under a seccomp filter refusing socket(AF_NETLINK, …) with
 * EAFNOSUPPORT — exactly what systemd's RestrictAddressFamilies= (without AF_NETLINK) installs
 * (src/shared/seccomp-util.c seccomp_restrict_address_families). Compiled with the C compiler
 * node-gyp needs anyway; for tests only. buildFamilyRefuser refuses another family the same way
 * (AF_INET6: a host booted with ipv6.disable=1, for `serve --listen :PORT`).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE = String.raw`
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifndef FAMILY
#define FAMILY AF_NETLINK
#endif
#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "add this architecture's AUDIT_ARCH"
#endif
int main(int argc, char **argv) {
  struct sock_filter f[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FAMILY, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { sizeof f / sizeof f[0], f };
  if (argc < 2 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
    perror("no-netlink");
    return 127;
  }
  execvp(argv[1], argv + 1);
  perror("no-netlink: exec");
  return 127;
}
`;

/** Compiles the launcher into `dir`; returns its path. */
export function buildNoNetlink(dir: string): string {
  return buildFamilyRefuser(dir, 'AF_NETLINK');
}

/** Compiles a launcher refusing socket(`family`, …) with EAFNOSUPPORT into `dir`; returns its path. */
export function buildFamilyRefuser(dir: string, family: 'AF_NETLINK' | 'AF_INET6'): string {
  const src = join(dir, 'no-family.c');
  const bin = join(dir, `no-${family.slice(3).toLowerCase()}`);
  writeFileSync(src, SOURCE);
  execFileSync('cc', ['-O1', `-DFAMILY=${family}`, '-o', bin, src], { stdio: ['ignore', 'ignore', 'inherit'] });
  return bin;
}
