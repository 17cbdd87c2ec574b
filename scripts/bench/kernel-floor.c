/*
 * The kernel's cost per network namespace of each kind of read sockdoc makes (docs/benchmarks.md,
 * "The kernel floor per namespace"). Build and run (root), in the bench's scene:
 *   cc -O2 -pthread -o /tmp/kernel-floor scripts/bench/kernel-floor.c
 *   python3 scripts/bench/kernel-floor-scene.py 2000 '/tmp/kernel-floor full 2 < $NS_LIST'
 * MODE is any of these words joined by '+', each one read per namespace after setns:
 *   enter (nothing), sockstat, full (a TCPDIAG_GETSOCK dump of every state: walks the established
 *   hash), cwl (CLOSE_WAIT + LISTEN: walks it too), listen1 (LISTEN only, both families at once),
 *   listen2 (LISTEN, AF_INET then AF_INET6), sysctl (/proc/sys/net/ + core/somaxconn), six (six
 *   sysctl files by path from /proc/sys/net/), dirs (the same six through core/ and ipv4/), netstat.
 * THREADS threads take the namespaces (paths on stdin, one a line) in turn; the process's system
 * time (getrusage) over the namespaces is the kernel's cost.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>

static char **paths; static size_t npaths; static const char *mode; static atomic_size_t next; static atomic_long msgs;

static int dump(int compat, int family, unsigned states, unsigned char ext) {
  struct { struct nlmsghdr h; union { struct inet_diag_req_v2 v2; struct inet_diag_req v1; } r; } m;
  memset(&m, 0, sizeof m);
  if (compat) { m.h.nlmsg_len = NLMSG_LENGTH(sizeof m.r.v1); m.h.nlmsg_type = TCPDIAG_GETSOCK; m.r.v1.idiag_family = AF_INET; m.r.v1.idiag_states = states; m.r.v1.idiag_ext = ext; }
  else { m.h.nlmsg_len = NLMSG_LENGTH(sizeof m.r.v2); m.h.nlmsg_type = SOCK_DIAG_BY_FAMILY; m.r.v2.sdiag_family = family; m.r.v2.sdiag_protocol = IPPROTO_TCP; m.r.v2.idiag_states = states; m.r.v2.idiag_ext = ext; }
  m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP; m.h.nlmsg_seq = 1;
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  struct sockaddr_nl k = {.nl_family = AF_NETLINK};
  if (sendto(fd, &m, m.h.nlmsg_len, 0, (void *)&k, sizeof k) < 0) { perror("sendto"); exit(1); }
  static __thread char buf[65536]; int done = 0; long n_msgs = 0;
  while (!done) {
    int n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) { perror("recv"); exit(1); }
    for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) { done = 1; break; }
      if (h->nlmsg_type == NLMSG_ERROR) { done = 1; break; }
      n_msgs++;
    }
  }
  close(fd); atomic_fetch_add(&msgs, n_msgs); return 0;
}
static void readf(const char *p) { char b[8192]; int fd = open(p, O_RDONLY); if (fd < 0) { perror(p); return; } while (read(fd, b, sizeof b) > 0); close(fd); }
#define LST (1u << 10)
#define CW (1u << 8)
static void one(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) { perror(path); exit(1); }
  close(fd);
  const char *m = mode;
  if (strstr(m, "sockstat")) readf("/proc/thread-self/net/sockstat");
  if (strstr(m, "full")) dump(1, 0, 0xfff, 0);
  if (strstr(m, "cwl")) dump(1, 0, CW | LST, 1 << (INET_DIAG_SKMEMINFO - 1));
  if (strstr(m, "listen1")) dump(1, 0, LST, 1 << (INET_DIAG_SKMEMINFO - 1));
  if (strstr(m, "listen2")) { dump(0, AF_INET, LST, 1 << (INET_DIAG_SKMEMINFO - 1)); dump(0, AF_INET6, LST, 1 << (INET_DIAG_SKMEMINFO - 1)); }
  if (strstr(m, "sysctl")) { int d = open("/proc/sys/net/", O_RDONLY | O_DIRECTORY); int f = openat(d, "core/somaxconn", O_RDONLY); char b[64]; read(f, b, sizeof b); close(f); close(d); }
  if (strstr(m, "six")) { int d = open("/proc/sys/net/", O_RDONLY | O_DIRECTORY); const char *f6[] = {"core/somaxconn","ipv4/tcp_max_syn_backlog","ipv4/tcp_syncookies","ipv4/tcp_abort_on_overflow","ipv4/ip_local_port_range","core/netdev_max_backlog"}; for (int k = 0; k < 6; k++) { int f = openat(d, f6[k], O_RDONLY); if (f >= 0) { char b[64]; read(f, b, sizeof b); close(f); } } close(d); }
  if (strstr(m, "dirs")) { int d = open("/proc/sys/net/", O_RDONLY | O_DIRECTORY); int core = openat(d, "core", O_RDONLY | O_DIRECTORY), ip4 = openat(d, "ipv4", O_RDONLY | O_DIRECTORY); const char *c6[] = {"somaxconn","netdev_max_backlog"}; const char *i6[] = {"tcp_max_syn_backlog","tcp_syncookies","tcp_abort_on_overflow","ip_local_port_range"}; char b[64]; for (int k = 0; k < 2; k++) { int f = openat(core, c6[k], O_RDONLY); if (f >= 0) { read(f, b, sizeof b); close(f); } } for (int k = 0; k < 4; k++) { int f = openat(ip4, i6[k], O_RDONLY); if (f >= 0) { read(f, b, sizeof b); close(f); } } close(core); close(ip4); close(d); }
  if (strstr(m, "netstat")) { readf("/proc/thread-self/net/netstat"); readf("/proc/thread-self/net/snmp"); }
}
static void *worker(void *a) { (void)a; for (;;) { size_t i = atomic_fetch_add(&next, 1); if (i >= npaths) return NULL; one(paths[i]); } }
int main(int argc, char **argv) {
  mode = argv[1]; int threads = atoi(argv[2]);
  char line[4096]; size_t cap = 0;
  while (fgets(line, sizeof line, stdin)) { line[strcspn(line, "\n")] = 0; if (npaths == cap) paths = realloc(paths, (cap = cap ? cap * 2 : 1024) * sizeof *paths); paths[npaths++] = strdup(line); }
  struct timespec t0, t1; struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0); clock_gettime(CLOCK_MONOTONIC, &t0);
  pthread_t t[64]; for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, NULL);
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1); getrusage(RUSAGE_SELF, &r1);
  double wall = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  double sys = (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e3 + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e3;
  double usr = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1e3 + (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e3;
  printf("%-22s threads %d  ns %zu  wall %8.1f ms  sys %8.1f ms  usr %6.1f ms  sys/ns %.3f ms  msgs %ld\n", mode, threads, npaths, wall, sys, usr, sys / npaths, (long)msgs);
  return 0;
}
