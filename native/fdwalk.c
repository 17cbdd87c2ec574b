/*
 * fdWalk(procDir, pids) / fdWalkAsync(procDir, pids): the /proc/PID/fd walk of many processes in C.
 *
 * Each fd entry is a symlink whose target names the open file (fs/proc/fd.c proc_fd_link); a socket
 * reads "socket:[INODE]" (net/socket.c sockfs_dname). From JavaScript every readlink costs a path
 * lookup of /proc/PID/fd/N plus a libuv call (~5 us per fd); here each readlinkat() is relative to
 * the already opened fd directory, and the pids are shared by up to MAX_THREADS threads taking the
 * next pid from an atomic index (one huge process must not leave the other thread idle).
 *
 * Result, all typed arrays, no per-fd objects:
 *   status: Int32Array, per pid: the fd count, or -errno when the walk failed (the JS reader throws
 *           there; ENOENT usually means the process exited);
 *   flags:  Uint8Array, per pid: FLAG_REFUSED (some links refused, EACCES/EPERM: the ptrace check
 *           of proc_fd_access_allowed), FLAG_DIR_DENIED (the directory itself refused: count unknown);
 *   sockets: Float64Array, triples (pid, fd, inode), pids in the order given, fds ascending;
 *   kinds:  Uint32Array, FDK_COUNT per pid: its open fds by kind (fdkind.h: sockets, pipes,
 *           eventpoll, eventfd, inotify, ..., files, devices), counted from the same readlink;
 *   inotify: Uint32Array, pairs (pid, fd) of every inotify instance (for its fdinfo's watches);
 *   ms:     wall time of the walk (it overlaps other reads when async).
 * Doubles because a fixture tree may hold any digits, and JavaScript parses them as doubles too.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <node_api.h>
#include "fdwalk.h"
#include "settle.h"
#include "fdkind.h"
#include "bpffds.h"

#define MAX_THREADS 4
#define FLAG_REFUSED 1
#define FLAG_DIR_DENIED 2

typedef struct {
  double fd;
  double inode;
} fd_socket;

typedef struct {
  int32_t status;
  uint8_t flags;
  size_t n, cap;
  fd_socket *sockets;
  /* Open fds by kind (fdkind.h), and the fd numbers of its inotify instances (their fdinfo lists the watches). */
  uint32_t kinds[FDK_COUNT];
  size_t ni, icap;
  uint32_t *inotify;
} pid_result;

typedef struct {
  char *proc_dir;
  int32_t *pids;
  size_t npids;
  pid_result *results;
  atomic_size_t next;
  /* The pids (indices into pids) still to walk through /proc: all of them, or those the iterator did not report. */
  size_t *todo;
  size_t ntodo;
  /* BPF task_file iterator link (bpffds.c), or -1: walk /proc only. */
  int bpf_link;
  /* Set when the iterator was asked for and could not answer: "step: strerror", and /proc was walked. */
  char bpf_error[160];
  int bpf_used;
  double ms; /* wall time of the walk */
  /* async only */
  napi_async_work work;
  napi_deferred deferred;
} walk_job;

static const char SOCKET_PREFIX[] = "socket:[";
#define PREFIX_LEN (sizeof SOCKET_PREFIX - 1)

/* The inode of a "socket:[N]" target, or -1: the same rules as socketInode() in src/probe/pid-fd.ts. */
static double socket_inode(const char *t, size_t len) {
  if (len <= PREFIX_LEN + 1 || memcmp(t, SOCKET_PREFIX, PREFIX_LEN) != 0 || t[len - 1] != ']') return -1;
  double inode = 0;
  for (size_t i = PREFIX_LEN; i < len - 1; i++) {
    if (t[i] < '0' || t[i] > '9') return -1;
    inode = inode * 10 + (t[i] - '0');
  }
  return inode;
}

static int push_socket(pid_result *r, double fd, double inode) {
  if (r->n == r->cap) {
    size_t ncap = r->cap ? r->cap * 2 : 16;
    fd_socket *p = realloc(r->sockets, ncap * sizeof *p);
    if (!p) return ENOMEM;
    r->sockets = p;
    r->cap = ncap;
  }
  r->sockets[r->n].fd = fd;
  r->sockets[r->n].inode = inode;
  r->n++;
  return 0;
}

static int push_inotify(pid_result *r, uint32_t fd) {
  if (r->ni == r->icap) {
    size_t ncap = r->icap ? r->icap * 2 : 8;
    uint32_t *p = realloc(r->inotify, ncap * sizeof *p);
    if (!p) return ENOMEM;
    r->inotify = p;
    r->icap = ncap;
  }
  r->inotify[r->ni++] = fd;
  return 0;
}

/* One fd of kind `kind` (its socket inode when a socket): counted, and listed when it is a socket or inotify. */
static int add_fd(pid_result *r, int kind, double fd, double inode) {
  r->kinds[kind]++;
  if (kind == FDK_SOCKET && inode >= 0) return push_socket(r, fd, inode);
  if (kind == FDK_INOTIFY) return push_inotify(r, (uint32_t)fd);
  return 0;
}

static int by_fd(const void *a, const void *b) {
  double x = ((const fd_socket *)a)->fd, y = ((const fd_socket *)b)->fd;
  return (x > y) - (x < y);
}

/* Walks PROC_DIR/PID/fd into *r. Mirrors readPidFds(): ENOENT on a link = closed since readdir. */
static void walk_pid(const char *proc_dir, int32_t pid, pid_result *r) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%d/fd", proc_dir, (int)pid) >= (int)sizeof path) {
    r->status = -ENAMETOOLONG;
    return;
  }
  int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    if (errno == EACCES || errno == EPERM) r->flags |= FLAG_DIR_DENIED;
    else r->status = -errno;
    return;
  }
  DIR *dir = fdopendir(dfd);
  if (!dir) {
    r->status = -errno;
    close(dfd);
    return;
  }
  char target[PATH_MAX];
  int32_t count = 0;
  int err = 0;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(dir);
    if (!e) {
      err = errno;
      break;
    }
    const char *name = e->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    ssize_t len = readlinkat(dfd, name, target, sizeof target);
    if (len < 0) {
      if (errno == ENOENT) continue;
      if (errno == EACCES || errno == EPERM) {
        r->flags |= FLAG_REFUSED;
        r->kinds[FDK_UNKNOWN]++;
        count++;
        continue;
      }
      err = errno;
      break;
    }
    count++;
    int kind = fdkind_of_target(target, (size_t)len);
    double fd = 0; /* entries are decimal fd numbers (proc_readfd_common prints them with %u) */
    for (const char *c = name; *c; c++) fd = fd * 10 + (*c - '0');
    /* "socket:[" with a malformed number is no socket sockdoc can match: another kind of file. */
    double inode = kind == FDK_SOCKET ? socket_inode(target, (size_t)len) : -1;
    if (kind == FDK_SOCKET && inode < 0) kind = FDK_OTHER;
    if ((err = add_fd(r, kind, fd, inode)) != 0) break;
  }
  closedir(dir);
  if (err) {
    r->status = -err;
    r->n = 0;
    r->ni = 0;
    memset(r->kinds, 0, sizeof r->kinds);
    return;
  }
  r->status = count;
  /* procfs lists fds ascending; a fixture tree on another filesystem lists in its own order. */
  for (size_t i = 1; i < r->n; i++) {
    if (r->sockets[i - 1].fd > r->sockets[i].fd) {
      qsort(r->sockets, r->n, sizeof *r->sockets, by_fd);
      break;
    }
  }
}

static void *worker(void *arg) {
  walk_job *job = arg;
  for (;;) {
    size_t i = atomic_fetch_add(&job->next, 1);
    if (i >= job->ntodo) return NULL;
    size_t k = job->todo[i];
    walk_pid(job->proc_dir, job->pids[k], &job->results[k]);
  }
}

static void set_bpf_error(walk_job *job, const char *what, int err) {
  snprintf(job->bpf_error, sizeof job->bpf_error, "%s: %s", what, strerror(err));
}

/* Index of pid in job->pids through a small open-addressing table; -1 when not asked for. */
typedef struct {
  int32_t *keys;
  size_t *vals;
  size_t mask;
} pid_index;

static int index_build(pid_index *ix, const int32_t *pids, size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap *= 2;
  ix->keys = malloc(cap * sizeof *ix->keys);
  ix->vals = malloc(cap * sizeof *ix->vals);
  if (!ix->keys || !ix->vals) return ENOMEM;
  ix->mask = cap - 1;
  for (size_t i = 0; i < cap; i++) ix->keys[i] = -1;
  for (size_t i = 0; i < n; i++) {
    size_t j = ((uint32_t)pids[i] * 2654435761u) & ix->mask;
    while (ix->keys[j] != -1 && ix->keys[j] != pids[i]) j = (j + 1) & ix->mask;
    if (ix->keys[j] == -1) { ix->keys[j] = pids[i]; ix->vals[j] = i; }
  }
  return 0;
}

static long index_get(const pid_index *ix, int32_t pid) {
  size_t j = ((uint32_t)pid * 2654435761u) & ix->mask;
  while (ix->keys[j] != -1) {
    if (ix->keys[j] == pid) return (long)ix->vals[j];
    j = (j + 1) & ix->mask;
  }
  return -1;
}

/*
 * Fills job->results from one run of the BPF iterator and leaves in job->todo the pids it did not
 * report (no fds, exited, or a kernel thread), for the /proc walk. Returns 0, or an errno with
 * bpf_error set and nothing filled (the caller walks every pid).
 */
static int run_bpf(walk_job *job, uint8_t *seen) {
  uint8_t *buf = NULL;
  size_t len = 0;
  int iter_fd = -1;
  const char *what = "";
  int err = bpffds_read(job->bpf_link, &buf, &len, &iter_fd, &what);
  if (err) { set_bpf_error(job, what, err); return err; }
  pid_index ix = {0};
  if ((err = index_build(&ix, job->pids, job->npids)) != 0) {
    set_bpf_error(job, "index the pids", err);
    goto out;
  }
  /* The iterator reports pids as the initial pid namespace numbers them (task->tgid). In another
   * pid namespace they are not /proc's: the record of the iterator's own fd proves they match. */
  int32_t self = (int32_t)getpid();
  int matched = 0;
  for (size_t off = 0; off < len; off += BPFFDS_RECORD) {
    uint32_t tgid, fd;
    memcpy(&tgid, buf + off, 4);
    memcpy(&fd, buf + off + 4, 4);
    if ((int32_t)tgid == self && (int)fd == iter_fd) { matched = 1; break; }
  }
  if (!matched) {
    err = EXDEV;
    set_bpf_error(job, "pid namespace check (sockdoc does not see the host's pids)", err);
    goto out;
  }
  for (size_t off = 0; off < len; off += BPFFDS_RECORD) {
    uint32_t tgid, fd, magic, mode;
    uint64_t inode;
    memcpy(&tgid, buf + off, 4);
    memcpy(&fd, buf + off + 4, 4);
    memcpy(&inode, buf + off + 8, 8);
    memcpy(&magic, buf + off + 16, 4);
    memcpy(&mode, buf + off + 20, 4);
    long k = index_get(&ix, (int32_t)tgid);
    if (k < 0) continue;
    pid_result *r = &job->results[k];
    seen[k] = 1;
    r->status++;
    int kind = fdkind_of_inode(magic, mode, buf + off + 24);
    if ((err = add_fd(r, kind, (double)fd, kind == FDK_SOCKET ? (double)inode : -1)) != 0) {
      set_bpf_error(job, "collect the sockets", err);
      goto out;
    }
  }
out:
  free(ix.keys);
  free(ix.vals);
  free(buf);
  if (err) {
    for (size_t i = 0; i < job->npids; i++) {
      free(job->results[i].sockets);
      free(job->results[i].inotify);
      memset(&job->results[i], 0, sizeof job->results[i]);
      seen[i] = 0;
    }
  }
  return err;
}

/* Runs the walk on the calling thread plus helpers, one per online CPU up to MAX_THREADS. */
static void run_job(walk_job *job) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  uint8_t *seen = calloc(job->npids ? job->npids : 1, 1);
  job->ntodo = 0;
  if (job->bpf_link >= 0 && seen) job->bpf_used = run_bpf(job, seen) == 0;
  else if (job->bpf_link >= 0) set_bpf_error(job, "allocate", ENOMEM);
  for (size_t i = 0; i < job->npids; i++)
    if (!seen || !seen[i]) job->todo[job->ntodo++] = i;
  free(seen);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  size_t threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (size_t)cpus;
  if (threads > job->ntodo) threads = job->ntodo ? job->ntodo : 1;
  pthread_t helpers[MAX_THREADS];
  size_t started = 0;
  for (size_t t = 1; t < threads; t++) {
    if (pthread_create(&helpers[started], NULL, worker, job) != 0) break; /* fewer threads still finish */
    started++;
  }
  worker(job);
  for (size_t t = 0; t < started; t++) pthread_join(helpers[t], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  job->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

static void free_job(walk_job *job) {
  if (!job) return;
  if (job->results) {
    for (size_t i = 0; i < job->npids; i++) {
      free(job->results[i].sockets);
      free(job->results[i].inotify);
    }
  }
  free(job->results);
  free(job->todo);
  free(job->pids);
  free(job->proc_dir);
  free(job);
}

/* Parses (procDir: string, pids: Int32Array) into a job owning copies of both; NULL after a throw. */
static walk_job *make_job(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 3;
  napi_value argv[3];
  napi_typedarray_type type;
  napi_valuetype third = napi_undefined;
  int32_t link = -1;
  size_t npids = 0, dir_len = 0;
  void *data = NULL;
  bool is_typed = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || argc > 3 ||
      (argc == 3 && (napi_typeof(env, argv[2], &third) != napi_ok ||
                     (third != napi_undefined && (third != napi_number || napi_get_value_int32(env, argv[2], &link) != napi_ok || link < 0)))) ||
      napi_get_value_string_utf8(env, argv[0], NULL, 0, &dir_len) != napi_ok ||
      napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &type, &npids, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  walk_job *job = calloc(1, sizeof *job);
  if (job) {
    job->npids = npids;
    job->proc_dir = malloc(dir_len + 1);
    job->pids = malloc(npids ? npids * sizeof *job->pids : 1);
    job->results = calloc(npids ? npids : 1, sizeof *job->results);
    job->todo = malloc((npids ? npids : 1) * sizeof *job->todo);
    job->bpf_link = link;
  }
  if (!job || !job->proc_dir || !job->pids || !job->results || !job->todo) {
    free_job(job);
    napi_throw_error(env, "ENOMEM", "fdWalk: out of memory");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[0], job->proc_dir, dir_len + 1, &dir_len);
  if (npids) memcpy(job->pids, data, npids * sizeof *job->pids);
  atomic_init(&job->next, 0);
  return job;
}

static napi_value typed(napi_env env, napi_typedarray_type type, size_t length, size_t elem, void **data) {
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, length * elem, data, &buffer) != napi_ok) return NULL;
  if (napi_create_typedarray(env, type, length, buffer, 0, &array) != napi_ok) return NULL;
  return array;
}

/* { status, flags, sockets, kinds, inotify } from a finished job; NULL (with a pending exception) on failure. */
static napi_value job_result(napi_env env, walk_job *job) {
  size_t total = 0, inotify_total = 0;
  for (size_t i = 0; i < job->npids; i++) {
    total += job->results[i].n;
    inotify_total += job->results[i].ni;
  }
  int32_t *status;
  uint8_t *flags;
  double *sockets;
  uint32_t *kinds, *inotify;
  napi_value obj, ms, st = typed(env, napi_int32_array, job->npids, sizeof *status, (void **)&status),
                  fl = typed(env, napi_uint8_array, job->npids, sizeof *flags, (void **)&flags),
                  so = typed(env, napi_float64_array, total * 3, sizeof *sockets, (void **)&sockets),
                  ki = typed(env, napi_uint32_array, job->npids * FDK_COUNT, sizeof *kinds, (void **)&kinds),
                  in = typed(env, napi_uint32_array, inotify_total * 2, sizeof *inotify, (void **)&inotify);
  if (!st || !fl || !so || !ki || !in || napi_create_object(env, &obj) != napi_ok || napi_create_double(env, job->ms, &ms) != napi_ok) return NULL;
  size_t k = 0, m = 0;
  for (size_t i = 0; i < job->npids; i++) {
    const pid_result *r = &job->results[i];
    status[i] = r->status;
    flags[i] = r->flags;
    memcpy(kinds + i * FDK_COUNT, r->kinds, sizeof r->kinds);
    for (size_t j = 0; j < r->n; j++) {
      sockets[k++] = job->pids[i];
      sockets[k++] = r->sockets[j].fd;
      sockets[k++] = r->sockets[j].inode;
    }
    for (size_t j = 0; j < r->ni; j++) {
      inotify[m++] = (uint32_t)job->pids[i];
      inotify[m++] = r->inotify[j];
    }
  }
  napi_set_named_property(env, obj, "status", st);
  napi_set_named_property(env, obj, "flags", fl);
  napi_set_named_property(env, obj, "sockets", so);
  napi_set_named_property(env, obj, "kinds", ki);
  napi_set_named_property(env, obj, "inotify", in);
  napi_set_named_property(env, obj, "ms", ms);
  napi_value used, error;
  if (napi_get_boolean(env, job->bpf_used, &used) != napi_ok) return NULL;
  napi_set_named_property(env, obj, "bpf", used);
  if (job->bpf_error[0]) {
    if (napi_create_string_utf8(env, job->bpf_error, NAPI_AUTO_LENGTH, &error) != napi_ok) return NULL;
  } else if (napi_get_null(env, &error) != napi_ok) {
    return NULL;
  }
  napi_set_named_property(env, obj, "bpfError", error);
  return obj;
}

static napi_value fd_walk(napi_env env, napi_callback_info info) {
  walk_job *job = make_job(env, info, "fdWalk(procDir: string, pids: Int32Array, bpfLink?: fd)");
  if (!job) return NULL;
  run_job(job);
  napi_value result = job_result(env, job);
  free_job(job);
  return result;
}

static void async_execute(napi_env env, void *data) {
  (void)env;
  run_job(data);
}

static void async_complete(napi_env env, napi_status status, void *data) {
  walk_job *job = data;
  napi_value result = status == napi_ok ? job_result(env, job) : NULL;
  settle_deferred(env, job->deferred, result, "fdWalkAsync");
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/* The same walk on a libuv worker thread: the caller reads /proc/net/tcp meanwhile. */
static napi_value fd_walk_async(napi_env env, napi_callback_info info) {
  walk_job *job = make_job(env, info, "fdWalkAsync(procDir: string, pids: Int32Array, bpfLink?: fd)");
  if (!job) return NULL;
  napi_value promise, name;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "sockdoc.fdWalk", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, async_execute, async_complete, job, &job->work) != napi_ok) {
    /* The promise, if made, is dropped unsettled; nothing else refers to it. */
    free_job(job);
    napi_throw_error(env, NULL, "fdWalkAsync: could not queue the walk");
    return NULL;
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    free_job(job);
    napi_throw_error(env, NULL, "fdWalkAsync: could not queue the walk");
    return NULL;
  }
  return promise;
}

/* bpfFdIterOpen(): the iterator link's fd; throws Error {code: errno name, message: "step: strerror"}. */
static napi_value bpf_open(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = -1;
  const char *what = "";
  int err = bpffds_open(&fd, &what);
  if (err) {
    char msg[200];
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
    napi_throw_error(env, strerrorname_np(err) ? strerrorname_np(err) : "EUNKNOWN", msg);
    return NULL;
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/* bpfFdIterClose(fd): closes a link fd from bpfFdIterOpen. */
static napi_value bpf_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "bpfFdIterClose(fd: number)");
    return NULL;
  }
  close(fd);
  return NULL;
}

int fdwalk_init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "bpfFdIterOpen", NAPI_AUTO_LENGTH, bpf_open, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "bpfFdIterOpen", fn) != napi_ok ||
      napi_create_function(env, "bpfFdIterClose", NAPI_AUTO_LENGTH, bpf_close, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "bpfFdIterClose", fn) != napi_ok)
    return -1;
  if (napi_create_function(env, "fdWalk", NAPI_AUTO_LENGTH, fd_walk, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "fdWalk", fn) != napi_ok ||
      napi_create_function(env, "fdWalkAsync", NAPI_AUTO_LENGTH, fd_walk_async, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "fdWalkAsync", fn) != napi_ok)
    return -1;
  return 0;
}
