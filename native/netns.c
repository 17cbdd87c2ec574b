/*
 * netnsReadAsync(paths, statesMask, files, inodes?, flags?) -> Promise<result[]>: reads other network namespaces
 * from inside them. For each path (a namespace file: /proc/PID/ns/net or /run/netns/NAME) a thread
 * that this module creates, never Node's main thread nor a libuv pool thread (they keep running
 * JavaScript work after us), does setns(fd, CLONE_NEWNET) (man 2 setns: a multithreaded process
 * may change the network namespace of one thread), then:
 *   - the sock_diag dump of every TCP socket (tcptable.c), which answers for the namespace of the
 *     netlink socket, i.e. of the thread that created it (net/netlink/af_netlink.c uses
 *     sock_net(sk), set from current->nsproxy->net_ns at socket());
 *   - each of `files` (e.g. /proc/sys/net/core/somaxconn, /proc/thread-self/net/netstat).
 *     /proc/sys/net is per network namespace and follows the READER's namespace, not the /proc
 *     mount nor a /proc/PID path (net/sysctl_net.c net_ctl_header_lookup returns
 *     current->nsproxy->net_ns->sysctls): only a thread inside the namespace sees its sysctls.
 *     /proc/thread-self/net is that thread's namespace (fs/proc/proc_net.c get_proc_task_net).
 *     The pseudo-path "sock_diag:tcp-listen" reads the raw reply of a LISTEN dump with
 *     INET_DIAG_SKMEMINFO (AF_INET then AF_INET6), as src/probe/sock-diag.ts captures it for the
 *     host (latin1: byte for byte); "sock_diag:tcp-waiting" the raw replies of the tcp_info lookups
 *     of the connections waiting in accept queues that the dump above made (childinfo.c);
 *     "sock_diag:unix" the raw unix_diag dump of every unix-domain socket (src/probe/unix-diag.ts).
 * Order: the files listed before the first "sock_diag:" one are read before the dump, the rest
 * after it, in order (a window proves a namespace unchanged by counters read before its dump at the
 * start and after its listeners' dump at the end: src/snapshot/window-end.ts).
 * statesMask 0 makes no dump (a window's first read wants only files); `flags` (default
 * TCPTABLE_WAITS) is tcptable_collect's, plus NETNS_SKIP_EMPTY: a namespace whose sockstat counts no
 * socket at all (sockstat_empty below) is entered and that file read, nothing else: its result
 * says `empty: true`, its table is empty and each of its files is null (not read).
 * Threads: one per online CPU, at most MAX_THREADS, each taking the next namespace from an atomic
 * index, in two passes (read_first: sockstat and /proc/sys/net files of every namespace; then
 * read_second: the dump and the other files; why two: read_first's comment); they exit when done,
 * so no thread outlives the call in a foreign namespace.
 *
 * Result per path, in order: { errno, what, table, files, inode, empty } where errno is 0 or the errno of
 * the step `what` ("open", "inode", "setns", or the dump's step); table is tcpDiagTable's shape or
 * null; files holds, per file, its text (latin1) or -errno; when setns failed no file is read (it
 * would describe sockdoc's own namespace) and every entry is -errno of setns.
 *
 * The optional fourth argument (null or undefined: none) gives, per path, the namespace inode the caller discovered (0: no
 * check). The path is opened once and that fd is what setns enters; its inode (fstat: nsfs gives
 * each namespace one inode, fs/nsfs.c) must be the one discovered, else nothing is entered:
 * errno ESTALE, what "inode", and `inode` says which namespace the path names now. Between
 * discovery (readlink /proc/P/ns/net) and this open, P may have exited and its pid been reused by a
 * process of another namespace (or an `ip netns` name re-pointed): without the check that other
 * namespace's sockets would be read under this one's name.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>
#include "netns.h"
#include "settle.h"
#include "tcptable.h"
#include "sockdiag.h"
#include <linux/inet_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define MAX_THREADS 4
/* netnsReadAsync flag (never passed on to tcptable_collect): skip a namespace with no socket in use (src/probe/native.ts NETNS_SKIP_EMPTY). */
#define NETNS_SKIP_EMPTY 8u
#define MAX_FILE (4u * 1024 * 1024) /* sysctl and counter files are small; bound a surprise */

/*
 * What the namespace's sockstat files count (net/ipv4/proc.c sockstat_seq_show, net/ipv6/proc.c
 * sockstat6_seq_show), each -1 when unknown:
 * - used: "sockets: used N" = sock_inuse_get(net) (net/socket.c socket_seq_show), every socket a
 *   program made in this namespace, of any family (unix, TCP, UDP, netlink, ...) and the connections
 *   accepted from its listeners: sk_alloc counts each non-kernel socket in its namespace
 *   (sock_inuse_add), sk_clone_lock each child, and __sk_free takes it off. Per namespace since
 *   Linux 4.16 (a host-wide count before: never 0 on a host, so nothing is ever skipped there);
 * - tcp, tw: "TCP: inuse N ... tw T": hashed TCPv4 sockets of the namespace, kernel ones included
 *   (sock_prot_inuse_add at hash time), and its TIME_WAIT sockets (which `used` does not count);
 * - tcp6: "TCP6: inuse N", read only when the others are 0 (no sockstat6 without IPv6: 0).
 */
typedef struct {
  long used, tcp, tw, tcp6;
} sockstat_counts;

typedef struct {
  char *text; /* NULL when err != 0 or not read */
  size_t len;
  int err;
  int skipped; /* not read: the namespace was empty (NETNS_SKIP_EMPTY) */
} file_result;

typedef struct {
  int err;
  const char *what;
  int have_table;
  table t;
  file_result *files;
  uint64_t inode; /* of the namespace the opened path named; 0 when not opened */
  int empty; /* its sockstat counted no socket: nothing else was read (NETNS_SKIP_EMPTY) */
  sockstat_counts counts; /* read in the first pass (-1: unknown) */
} ns_result;

typedef struct {
  char **paths;
  size_t npaths;
  uint64_t *expected; /* per path: the discovered inode, 0 = no check; NULL when not given */
  char **files;
  size_t nfiles;
  size_t first_files; /* files[0 .. first_files): read in the first pass, before any dump (those before the first "sock_diag:" one) */
  uint32_t states, flags;
  ns_result *results;
  atomic_size_t next, next2; /* the next namespace of the first and of the second pass */
  pthread_mutex_t lock;
  pthread_cond_t second_open;
  size_t running, done_first; /* threads started; of those, done with the first pass (under lock) */
  napi_async_work work;
  napi_deferred deferred;
} ns_job;

/* `path` read whole into *r, relative to `dirfd` (AT_FDCWD: as given); 0 or an errno. */
static int read_file_at(int dirfd, const char *path, file_result *r) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  if (!buf) { close(fd); return ENOMEM; }
  for (;;) {
    if (len == cap) {
      if (cap >= MAX_FILE) { free(buf); close(fd); return EFBIG; }
      char *p = realloc(buf, cap * 2);
      if (!p) { free(buf); close(fd); return ENOMEM; }
      buf = p;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(buf);
      close(fd);
      return e;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  r->text = buf;
  r->len = len;
  return 0;
}

static int read_file(const char *path, file_result *r) {
  return read_file_at(AT_FDCWD, path, r);
}

/*
 * /proc/sys/net/ files are opened relative to this namespace's /proc/sys/net and its first-level
 * directories (core/, ipv4/), each looked up once per namespace. A lookup of a name under
 * /proc/sys compares against the dentry of that name of every namespace that has one (one dcache
 * hash chain; fs/proc/proc_sysctl.c proc_sys_compare checks each one's visibility under
 * sysctl_lock), so each lookup costs O(N) with N namespaces, and a lookup by full path per file
 * made 2,000 namespaces cost O(N^2) kernel time (perf: a third of it). Measured with 2,000
 * namespaces (docs/benchmarks.md): six files by path from /proc/sys/net 0.75-1.1 ms per
 * namespace, through the two directories 0.33 ms, one file 0.14 ms.
 */
#define SYSCTL_NET "/proc/sys/net/"
#define SYSCTL_DIRS 4

typedef struct {
  int net; /* -1: not opened yet; < -1: -1 - errno of the open */
  size_t n;
  char name[SYSCTL_DIRS][32];
  int fd[SYSCTL_DIRS]; /* as `net` */
} sysctl_dirs;

static void sysctl_dirs_init(sysctl_dirs *d) {
  d->net = -1;
  d->n = 0;
}

static void sysctl_dirs_close(sysctl_dirs *d) {
  if (d->net >= 0) close(d->net);
  for (size_t i = 0; i < d->n; i++)
    if (d->fd[i] >= 0) close(d->fd[i]);
}

/* Opens `name` under `dirfd` once: a remembered fd, or -1 - errno. */
static int open_dir_at(int dirfd, const char *name) {
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -1 - errno : fd;
}

static int read_sysctl_net(sysctl_dirs *d, const char *path, file_result *r) {
  if (d->net == -1) d->net = open_dir_at(AT_FDCWD, SYSCTL_NET);
  if (d->net < -1) return -1 - d->net;
  const char *rel = path + strlen(SYSCTL_NET);
  const char *slash = strchr(rel, '/');
  size_t len = slash ? (size_t)(slash - rel) : 0;
  if (!slash || len >= sizeof d->name[0]) return read_file_at(d->net, rel, r);
  size_t i = 0;
  while (i < d->n && !(strncmp(d->name[i], rel, len) == 0 && d->name[i][len] == 0)) i++;
  if (i == d->n) {
    if (d->n == SYSCTL_DIRS) return read_file_at(d->net, rel, r);
    memcpy(d->name[i], rel, len);
    d->name[i][len] = 0;
    d->fd[i] = open_dir_at(d->net, d->name[i]);
    d->n++;
  }
  if (d->fd[i] < -1) return -1 - d->fd[i];
  return read_file_at(d->fd[i], slash + 1, r);
}

#define PSEUDO_PREFIX "sock_diag:"
#define LISTEN_DUMP "sock_diag:tcp-listen"
#define WAITING_DUMP "sock_diag:tcp-waiting"
#define TCP_LISTEN_BIT (1u << 10) /* TCP_LISTEN = 10, include/net/tcp_states.h */

/* A finished dump's bytes become the file's text (or the dump's errno). */
static int take_bytes(file_result *r, sockdiag_bytes *acc, int err) {
  if (err) {
    free(acc->buf);
    return err;
  }
  r->text = acc->buf ? (char *)acc->buf : malloc(1);
  r->len = acc->len;
  return r->text ? 0 : ENOMEM;
}

/* The raw LISTEN dump of the calling thread's namespace, each listener with its drops (INET_DIAG_SKMEMINFO), into *r (no IPv6 handler: IPv4 only). */
static int read_listen_dump(file_result *r) {
  sockdiag_bytes acc = {0};
  const char *what = "";
  const uint8_t ext = SOCKDIAG_EXT(INET_DIAG_SKMEMINFO);
  int err = sockdiag_dump(AF_INET, IPPROTO_TCP, TCP_LISTEN_BIT, ext, sockdiag_collect, &acc, &what);
  if (!err) {
    size_t v4 = acc.len;
    err = sockdiag_dump(AF_INET6, IPPROTO_TCP, TCP_LISTEN_BIT, ext, sockdiag_collect, &acc, &what);
    if (err == ENOENT || err == EAFNOSUPPORT || err == EPROTONOSUPPORT) {
      err = 0;
      acc.len = v4;
    }
  }
  return take_bytes(r, &acc, err);
}

#define UNIX_DUMP "sock_diag:unix"

/* The raw unix_diag dump of the calling thread's namespace into *r. */
static int read_unix_dump(file_result *r) {
  sockdiag_bytes acc = {0};
  const char *what = "";
  return take_bytes(r, &acc, sockdiag_dump_unix(SOCKDOC_UNIX_STATES, SOCKDOC_UNIX_SHOW, sockdiag_collect, &acc, &what));
}

/* The value after `key` ("used ", "inuse ", "tw ") on the line of `text` that starts with `prefix`; -1 when absent. */
static long sockstat_field(const char *text, size_t len, const char *prefix, const char *key) {
  size_t plen = strlen(prefix), klen = strlen(key);
  for (size_t at = 0; at < len;) {
    const char *line = text + at;
    const char *nl = memchr(line, '\n', len - at);
    size_t n = nl ? (size_t)(nl - line) : len - at;
    if (n > plen && memcmp(line, prefix, plen) == 0) {
      for (size_t i = plen; i + klen < n; i++) {
        if (line[i - 1] == ' ' && memcmp(line + i, key, klen) == 0) {
          long v = 0;
          size_t j = i + klen;
          if (j >= n || line[j] < '0' || line[j] > '9') return -1;
          for (; j < n && line[j] >= '0' && line[j] <= '9'; j++) v = v * 10 + (line[j] - '0');
          return v;
        }
      }
      return -1;
    }
    at += n + 1;
  }
  return -1;
}


static void read_sockstat(sockstat_counts *c) {
  file_result f = {0};
  c->used = c->tcp = c->tw = c->tcp6 = -1;
  if (read_file("/proc/thread-self/net/sockstat", &f) != 0) return;
  c->used = sockstat_field(f.text, f.len, "sockets: ", "used ");
  c->tcp = sockstat_field(f.text, f.len, "TCP: ", "inuse ");
  c->tw = sockstat_field(f.text, f.len, "TCP: ", "tw ");
  free(f.text);
  if (c->tcp != 0 || c->tw != 0) return;
  file_result g = {0};
  int err = read_file("/proc/thread-self/net/sockstat6", &g);
  if (err == ENOENT) c->tcp6 = 0;
  else if (!err) c->tcp6 = sockstat_field(g.text, g.len, "TCP6: ", "inuse ");
  free(g.text);
}

/*
 * True when the namespace has no TCP socket to list: nothing in use and nothing in TIME_WAIT (request
 * sockets hang off a counted listener, orphans stay hashed). The dump would still walk every socket
 * of the established hash, which all namespaces share unless tcp_child_ehash_entries gave them their
 * own: ~18 ms per namespace on a host with 100k sockets. Any doubt (-1): not empty.
 */
static int tcp_nothing_in_use(const sockstat_counts *c) {
  return c->tcp == 0 && c->tw == 0 && c->tcp6 == 0;
}

/* True when nothing at all is in the namespace: no socket of any family a program made, no TCP socket (kernel ones too), none in TIME_WAIT. */
static int sockstat_empty(const sockstat_counts *c) {
  return c->used == 0 && tcp_nothing_in_use(c);
}

/*
 * Opens `path`, checks the namespace it names (its inode must be `want`, 0: any; *inode gets it) and
 * enters it on the calling thread; 0 or the errno of step *what.
 */
static int enter_ns(const char *path, uint64_t want, uint64_t *inode, const char **what) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) { *what = "open"; return errno; }
  struct stat st;
  int err = 0;
  if (fstat(fd, &st) < 0) { err = errno; *what = "fstat"; }
  else {
    *inode = (uint64_t)st.st_ino;
    if (want && *inode != want) { err = ESTALE; *what = "inode"; }
    /* The fd checked is the fd entered: nothing is opened again by name. */
    else if (setns(fd, CLONE_NEWNET) < 0) { err = errno; *what = "setns"; }
  }
  close(fd);
  return err;
}

static int is_sysctl(const char *file) {
  return strncmp(file, SYSCTL_NET, strlen(SYSCTL_NET)) == 0;
}

/*
 * The first pass over namespace i: enter it, read its sockstat (the empty test) and the files listed
 * before the first "sock_diag:" one (a caller orders them: what is read before the dump, e.g. the
 * counters a window compares, and what after). Sysctls are best looked up in this pass: the
 * lookup of /proc/sys/net compares against every namespace's "net" dentry (read_sysctl_net above),
 * and a dump walks the host-wide established hash (MBs) between two lookups, so that each compare
 * missed the cache: measured with 2,000 namespaces, 0.15 ms per lookup alone, ~0.7 ms between dumps.
 */
static void read_first(ns_job *job, size_t i) {
  ns_result *r = &job->results[i];
  int err = enter_ns(job->paths[i], job->expected ? job->expected[i] : 0, &r->inode, &r->what);
  if (err) {
    r->err = err;
    for (size_t f = 0; f < job->nfiles; f++) r->files[f].err = err;
    return;
  }
  r->counts = (sockstat_counts){-1, -1, -1, -1};
  if ((job->flags & NETNS_SKIP_EMPTY) || job->states != 0) read_sockstat(&r->counts);
  if ((job->flags & NETNS_SKIP_EMPTY) && sockstat_empty(&r->counts)) {
    /* Nothing in it to list, queue or leak: the sockstat read above is all (an empty table, files not read). */
    memset(&r->t, 0, sizeof r->t);
    r->t.ipv6 = 1;
    r->have_table = 1;
    r->empty = 1;
    for (size_t f = 0; f < job->nfiles; f++) r->files[f].skipped = 1;
    return;
  }
  sysctl_dirs dirs;
  sysctl_dirs_init(&dirs);
  for (size_t f = 0; f < job->first_files; f++) {
    file_result *fr = &r->files[f];
    fr->err = is_sysctl(job->files[f]) ? read_sysctl_net(&dirs, job->files[f], fr) : read_file(job->files[f], fr);
  }
  sysctl_dirs_close(&dirs);
}

/* The second pass: enter namespace i again (the same one: its inode from the first pass), dump its sockets, read the other files. */
static void read_second(ns_job *job, size_t i) {
  ns_result *r = &job->results[i];
  if (r->err || r->empty) return;
  uint64_t again = 0;
  int err = enter_ns(job->paths[i], r->inode, &again, &r->what);
  if (err) {
    /* Gone or re-pointed between the passes: what the first pass read stays, nothing else is read. */
    r->err = err;
    for (size_t f = job->first_files; f < job->nfiles; f++) r->files[f].err = err;
    return;
  }
  const uint32_t flags = job->flags & ~NETNS_SKIP_EMPTY;
  const char *what = "";
  sockdiag_bytes raw = {0};
  int want_raw = 0;
  for (size_t f = 0; f < job->nfiles; f++) want_raw |= strcmp(job->files[f], WAITING_DUMP) == 0;
  if (job->states == 0) {
    /* No dump asked: the files only. */
  } else if (tcp_nothing_in_use(&r->counts)) {
    memset(&r->t, 0, sizeof r->t); /* an empty table, as the dump would have given */
    r->t.ipv6 = 1;
    r->have_table = 1;
  } else {
    memset(&r->t, 0, sizeof r->t);
    if (want_raw) r->t.raw_waits = &raw;
    err = tcptable_collect(job->states, flags, &r->t, &what);
    r->t.raw_waits = NULL;
    r->have_table = 1;
  }
  if (err) { r->err = err; r->what = what; }
  sysctl_dirs dirs;
  sysctl_dirs_init(&dirs);
  for (size_t f = job->first_files; f < job->nfiles; f++) {
    file_result *fr = &r->files[f];
    if (is_sysctl(job->files[f])) fr->err = read_sysctl_net(&dirs, job->files[f], fr);
    else if (strcmp(job->files[f], LISTEN_DUMP) == 0) fr->err = read_listen_dump(fr);
    else if (strcmp(job->files[f], UNIX_DUMP) == 0) fr->err = read_unix_dump(fr);
    else if (strcmp(job->files[f], WAITING_DUMP) == 0) {
      /* The replies the lookups above kept; none (no dump, or nothing in use) reads as an empty stream. */
      fr->text = raw.buf ? (char *)raw.buf : malloc(1);
      fr->len = raw.len;
      fr->err = fr->text ? 0 : ENOMEM;
      raw.buf = NULL;
    } else fr->err = read_file(job->files[f], fr);
  }
  sysctl_dirs_close(&dirs);
  free(raw.buf);
}

/*
 * Each thread takes the next namespace of the first pass; the last thread to finish it opens the
 * second (the pass barrier: pthread_barrier would wait for threads that failed to start).
 */
static void *worker(void *arg) {
  ns_job *job = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&job->next, 1);
    if (i >= job->npaths) break;
    read_first(job, i);
  }
  pthread_mutex_lock(&job->lock);
  if (++job->done_first == job->running) pthread_cond_broadcast(&job->second_open);
  while (job->done_first < job->running) pthread_cond_wait(&job->second_open, &job->lock);
  pthread_mutex_unlock(&job->lock);
  for (;;) {
    size_t i = atomic_fetch_add(&job->next2, 1);
    if (i >= job->npaths) return NULL;
    read_second(job, i);
  }
}

static void free_strings(char **s, size_t n) {
  if (!s) return;
  for (size_t i = 0; i < n; i++) free(s[i]);
  free(s);
}

static void free_job(ns_job *job) {
  if (!job) return;
  if (job->results) {
    for (size_t i = 0; i < job->npaths; i++) {
      ns_result *r = &job->results[i];
      if (r->have_table) tcptable_free(&r->t);
      if (r->files) {
        for (size_t f = 0; f < job->nfiles; f++) free(r->files[f].text);
        free(r->files);
      }
    }
    free(job->results);
  }
  free(job->expected);
  pthread_mutex_destroy(&job->lock);
  pthread_cond_destroy(&job->second_open);
  free_strings(job->paths, job->npaths);
  free_strings(job->files, job->nfiles);
  free(job);
}

static void execute(napi_env env, void *data) {
  (void)env;
  ns_job *job = data;
  /* The reads are kernel work (dumps, lookups): a thread per CPU, no more (more only contend for the same locks). */
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  size_t threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (size_t)cpus;
  if (job->npaths < threads) threads = job->npaths;
  pthread_t tids[MAX_THREADS];
  size_t started = 0;
  /* Held while threads start: none passes the barrier before `running` is final. */
  pthread_mutex_lock(&job->lock);
  for (size_t t = 0; t < threads; t++) {
    if (pthread_create(&tids[started], NULL, worker, job) != 0) break;
    started++;
  }
  job->running = started;
  if (started && job->done_first == started) pthread_cond_broadcast(&job->second_open);
  pthread_mutex_unlock(&job->lock);
  /* Never setns on this (libuv pool) thread: without a thread of our own a namespace stays unread. */
  for (size_t t = 0; t < started; t++) pthread_join(tids[t], NULL);
  for (size_t i = atomic_load(&job->next); started == 0 && i < job->npaths; i++) {
    job->results[i].err = EAGAIN;
    job->results[i].what = "pthread_create";
    for (size_t f = 0; f < job->nfiles; f++) job->results[i].files[f].err = EAGAIN;
  }
}

static napi_value result_js(napi_env env, ns_job *job) {
  napi_value arr;
  if (napi_create_array_with_length(env, job->npaths, &arr) != napi_ok) return NULL;
  for (size_t i = 0; i < job->npaths; i++) {
    ns_result *r = &job->results[i];
    napi_value obj, errv, whatv, tablev, files;
    if (napi_create_object(env, &obj) != napi_ok || napi_create_int32(env, r->err, &errv) != napi_ok ||
        napi_create_string_utf8(env, r->what ? r->what : "", NAPI_AUTO_LENGTH, &whatv) != napi_ok ||
        napi_create_array_with_length(env, job->nfiles, &files) != napi_ok)
      return NULL;
    if (r->have_table && !r->err) {
      if (!(tablev = tcptable_to_js(env, &r->t))) return NULL;
    } else if (napi_get_null(env, &tablev) != napi_ok) return NULL;
    for (size_t f = 0; f < job->nfiles; f++) {
      napi_value v;
      const file_result *fr = &r->files[f];
      napi_status st = fr->skipped ? napi_get_null(env, &v)
                       : fr->err   ? napi_create_int32(env, -fr->err, &v)
                                   : napi_create_string_latin1(env, fr->text ? fr->text : "", fr->len, &v);
      if (st != napi_ok || napi_set_element(env, files, (uint32_t)f, v) != napi_ok) return NULL;
    }
    napi_set_named_property(env, obj, "errno", errv);
    napi_set_named_property(env, obj, "what", whatv);
    napi_set_named_property(env, obj, "table", tablev);
    napi_set_named_property(env, obj, "files", files);
    napi_value inodev;
    if (napi_create_double(env, (double)r->inode, &inodev) != napi_ok) return NULL;
    napi_set_named_property(env, obj, "inode", inodev);
    napi_value emptyv;
    if (napi_get_boolean(env, r->empty != 0, &emptyv) != napi_ok) return NULL;
    napi_set_named_property(env, obj, "empty", emptyv);
    if (napi_set_element(env, arr, (uint32_t)i, obj) != napi_ok) return NULL;
  }
  return arr;
}

static void complete(napi_env env, napi_status status, void *data) {
  ns_job *job = data;
  napi_value result = status == napi_ok ? result_js(env, job) : NULL;
  settle_deferred(env, job->deferred, result, "netnsReadAsync");
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/* Copies a JS string array into a malloc'd C array; -1 when it is not one. */
static int string_array(napi_env env, napi_value v, char ***out, size_t *n) {
  bool is_array = false;
  uint32_t len = 0;
  if (napi_is_array(env, v, &is_array) != napi_ok || !is_array || napi_get_array_length(env, v, &len) != napi_ok) return -1;
  char **s = calloc(len ? len : 1, sizeof *s);
  if (!s) return -1;
  *out = s;
  *n = len;
  for (uint32_t i = 0; i < len; i++) {
    napi_value e;
    size_t slen = 0;
    if (napi_get_element(env, v, i, &e) != napi_ok || napi_get_value_string_utf8(env, e, NULL, 0, &slen) != napi_ok) return -1;
    if (!(s[i] = malloc(slen + 1))) return -1;
    napi_get_value_string_utf8(env, e, s[i], slen + 1, &slen);
  }
  return 0;
}

/* The expected inodes: an array of numbers as long as paths (0 = no check); -1 when it is not one. */
static int inode_array(napi_env env, napi_value v, size_t n, uint64_t **out) {
  bool is_array = false;
  uint32_t len = 0;
  if (napi_is_array(env, v, &is_array) != napi_ok || !is_array || napi_get_array_length(env, v, &len) != napi_ok || len != n) return -1;
  uint64_t *a = calloc(n ? n : 1, sizeof *a);
  if (!a) return -1;
  *out = a;
  for (uint32_t i = 0; i < len; i++) {
    napi_value e;
    double d = 0;
    if (napi_get_element(env, v, i, &e) != napi_ok || napi_get_value_double(env, e, &d) != napi_ok || !(d >= 0) || d > 18446744073709551615.0) return -1;
    a[i] = (uint64_t)d;
  }
  return 0;
}

/* True for undefined or null: an optional argument left out before a later one. */
static bool is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_undefined || t == napi_null);
}

static napi_value netns_read_async(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  const char *usage = "netnsReadAsync(paths: string[], statesMask: u32, files: string[], inodes?: number[] | null, flags?: u32)";
  ns_job *job = calloc(1, sizeof *job);
  if (!job) {
    napi_throw_error(env, "ENOMEM", "netnsReadAsync: out of memory");
    return NULL;
  }
  job->flags = TCPTABLE_WAITS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || argc > 5 ||
      string_array(env, argv[0], &job->paths, &job->npaths) != 0 ||
      napi_get_value_uint32(env, argv[1], &job->states) != napi_ok ||
      string_array(env, argv[2], &job->files, &job->nfiles) != 0 ||
      (argc >= 4 && !is_nullish(env, argv[3]) && inode_array(env, argv[3], job->npaths, &job->expected) != 0) ||
      (argc == 5 && napi_get_value_uint32(env, argv[4], &job->flags) != napi_ok)) {
    free_job(job);
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  while (job->first_files < job->nfiles && strncmp(job->files[job->first_files], PSEUDO_PREFIX, strlen(PSEUDO_PREFIX)) != 0) job->first_files++;
  job->results = calloc(job->npaths ? job->npaths : 1, sizeof *job->results);
  int ok = job->results != NULL;
  for (size_t i = 0; ok && i < job->npaths; i++) ok = (job->results[i].files = calloc(job->nfiles ? job->nfiles : 1, sizeof(file_result))) != NULL;
  if (!ok) {
    free_job(job);
    napi_throw_error(env, "ENOMEM", "netnsReadAsync: out of memory");
    return NULL;
  }
  atomic_init(&job->next, 0);
  atomic_init(&job->next2, 0);
  pthread_mutex_init(&job->lock, NULL);
  pthread_cond_init(&job->second_open, NULL);
  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "sockdoc.netnsRead", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    free_job(job);
    napi_throw_error(env, NULL, "netnsReadAsync: could not queue the read");
    return NULL;
  }
  return promise;
}

int netns_init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "netnsReadAsync", NAPI_AUTO_LENGTH, netns_read_async, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "netnsReadAsync", fn) != napi_ok)
    return -1;
  return 0;
}
