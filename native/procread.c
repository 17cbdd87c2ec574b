/*
 * procFilesAsync(procDir, pids, files, cap): the small per-process files of many processes
 * (/proc/PID/stat, status, cmdline, limits) read in C on up to MAX_THREADS threads, off the
 * JavaScript thread.
 *
 * Why: at 15,000 processes these reads are ~60,000 open/read/close triples, nearly all kernel time
 * (procfs formats each file on read), and from JavaScript each also pays a libuv call, a buffer and
 * a string (~2 s of the main thread at load 15 on 2 CPUs, src/probe/processes.ts). Here each file
 * is opened relative to its already opened /proc/PID directory, the pids are shared by threads
 * taking the next pid from an atomic index, and the whole runs while JavaScript reads the sockets.
 *
 * Same rules as the confined reader (src/probe/read-file.ts) on the live host's kernel paths:
 * O_NOFOLLOW (no final link followed), O_NONBLOCK and O_NOCTTY, at most `cap` bytes per file
 * (EFBIG beyond). Only the live /proc is given here: a capture tree goes through the JavaScript
 * reader, which confines every link.
 *
 * `keep` (per file, or null for all of it): the line prefixes to keep, so a file of which a scan
 * needs two lines (status: Uid, Kthread; limits: the header and "Max open files") costs ~100 bytes
 * per process instead of ~1.4 KiB: 15,000 processes are then ~10 MB of text, not ~50.
 *
 * Result: { data: Buffer (every file's kept bytes, one after another), index: Int32Array with two
 * entries per (pid, file) in the order asked, pid-major: offset into data and length, or
 * (0, -errno) when that file could not be opened or read, ms }.
 */
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
#include "procread.h"
#include "settle.h"

#define MAX_THREADS 4
#define MAX_FILES 8
#define FIRST_CHUNK 4096

typedef struct {
  int32_t arena; /* the thread whose arena holds the bytes */
  int32_t off;   /* offset in that arena */
  int32_t len;   /* bytes kept, or -errno */
} file_text;

/* A thread's growing store of kept bytes, and its scratch buffer for the file being read. */
typedef struct {
  char *bytes;
  size_t len, cap;
  char *scratch;
  size_t scratch_cap;
} arena;

#define MAX_PREFIXES 8

typedef struct {
  char *proc_dir;
  int32_t *pids;
  size_t npids;
  char *names[MAX_FILES];
  /* Per file: line prefixes to keep (nkeep 0: the whole file). */
  char *keep[MAX_FILES][MAX_PREFIXES];
  size_t nkeep[MAX_FILES];
  size_t nfiles;
  size_t cap;
  file_text *texts; /* npids * nfiles */
  arena arenas[MAX_THREADS];
  atomic_size_t next;
  double ms;
  napi_async_work work;
  napi_deferred deferred;
} read_job;

typedef struct {
  read_job *job;
  int32_t id;
} worker_arg;

static int arena_reserve(arena *a, size_t more) {
  if (a->len + more <= a->cap) return 0;
  size_t cap = a->cap ? a->cap : 1 << 16;
  while (cap < a->len + more) cap *= 2;
  char *p = realloc(a->bytes, cap);
  if (!p) return ENOMEM;
  a->bytes = p;
  a->cap = cap;
  return 0;
}

/* Reads an opened file to its end into the arena's scratch (at most cap bytes; EFBIG beyond); its length or -errno. */
static ssize_t read_all(int fd, size_t cap, arena *a) {
  size_t len = 0;
  for (;;) {
    if (len == a->scratch_cap) {
      if (a->scratch_cap > cap) return -EFBIG;
      size_t next = a->scratch_cap ? a->scratch_cap * 2 : FIRST_CHUNK;
      char *p = realloc(a->scratch, next);
      if (!p) return -ENOMEM;
      a->scratch = p;
      a->scratch_cap = next;
    }
    ssize_t n = read(fd, a->scratch + len, a->scratch_cap - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* A regular file never says EAGAIN: what would block is not what was asked for. */
      return -(errno == EAGAIN ? ENOTSUP : errno);
    }
    if (n == 0) return (ssize_t)len;
    len += (size_t)n;
    if (len > cap) return -EFBIG;
  }
}

/* Whether the line starting at p begins with one of the file's prefixes. */
static int kept_line(const read_job *job, size_t f, const char *p, size_t n) {
  for (size_t i = 0; i < job->nkeep[f]; i++) {
    size_t k = strlen(job->keep[f][i]);
    if (k <= n && memcmp(p, job->keep[f][i], k) == 0) return 1;
  }
  return 0;
}

/* Appends the file's text (or its kept lines) from the scratch buffer to the arena. */
static void keep_text(read_job *job, size_t f, arena *a, size_t len, file_text *t) {
  if (arena_reserve(a, len) != 0) {
    t->len = -ENOMEM;
    return;
  }
  t->off = (int32_t)a->len;
  if (job->nkeep[f] == 0) {
    memcpy(a->bytes + a->len, a->scratch, len);
    a->len += len;
  } else {
    for (size_t i = 0; i < len;) {
      const char *nl = memchr(a->scratch + i, '\n', len - i);
      size_t end = nl ? (size_t)(nl - a->scratch) + 1 : len;
      if (kept_line(job, f, a->scratch + i, end - i)) {
        memcpy(a->bytes + a->len, a->scratch + i, end - i);
        a->len += end - i;
      }
      i = end;
    }
  }
  t->len = (int32_t)(a->len - (size_t)t->off);
}

static void read_pid(read_job *job, size_t k, int32_t id) {
  arena *a = &job->arenas[id];
  file_text *out = job->texts + k * job->nfiles;
  char path[PATH_MAX];
  int dfd = -1;
  for (size_t f = 0; f < job->nfiles; f++) out[f].arena = id;
  if (snprintf(path, sizeof path, "%s/%d", job->proc_dir, (int)job->pids[k]) < (int)sizeof path)
    dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  else
    errno = ENAMETOOLONG;
  if (dfd < 0) {
    int err = errno;
    for (size_t f = 0; f < job->nfiles; f++) out[f].len = -err;
    return;
  }
  for (size_t f = 0; f < job->nfiles; f++) {
    int fd = openat(dfd, job->names[f], O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
      out[f].len = -errno;
      continue;
    }
    ssize_t len = read_all(fd, job->cap, a);
    close(fd);
    if (len < 0) out[f].len = (int32_t)len;
    else keep_text(job, f, a, (size_t)len, &out[f]);
  }
  close(dfd);
}

static void *worker(void *arg) {
  worker_arg *w = arg;
  read_job *job = w->job;
  for (;;) {
    size_t k = atomic_fetch_add(&job->next, 1);
    if (k >= job->npids) break;
    read_pid(job, k, w->id);
  }
  /* The scratch buffer is done with; the arena is copied out when the result is built. */
  free(job->arenas[w->id].scratch);
  job->arenas[w->id].scratch = NULL;
  job->arenas[w->id].scratch_cap = 0;
  return NULL;
}

static void run_job(read_job *job) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  size_t threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (size_t)cpus;
  if (threads > job->npids) threads = job->npids ? job->npids : 1;
  pthread_t helpers[MAX_THREADS];
  worker_arg args[MAX_THREADS];
  size_t started = 0;
  for (size_t t = 0; t < threads; t++) args[t] = (worker_arg){job, (int32_t)t};
  for (size_t t = 1; t < threads; t++) {
    if (pthread_create(&helpers[started], NULL, worker, &args[started + 1]) != 0) break; /* fewer threads still finish */
    started++;
  }
  worker(&args[0]);
  for (size_t t = 0; t < started; t++) pthread_join(helpers[t], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  job->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

static void free_job(read_job *job) {
  if (!job) return;
  for (size_t t = 0; t < MAX_THREADS; t++) {
    free(job->arenas[t].bytes);
    free(job->arenas[t].scratch);
  }
  for (size_t f = 0; f < job->nfiles; f++) {
    free(job->names[f]);
    for (size_t i = 0; i < job->nkeep[f]; i++) free(job->keep[f][i]);
  }
  free(job->texts);
  free(job->pids);
  free(job->proc_dir);
  free(job);
}

static char *string_arg(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s) napi_get_value_string_utf8(env, v, s, len + 1, &len);
  return s;
}

/* A file name: one component, no '/', not "." or "..". */
static int plain_name(const char *s) {
  return s[0] && strchr(s, '/') == NULL && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Reads keep[f] (null/undefined, or an array of at most MAX_PREFIXES non-empty strings) into the job; 0 or -1. */
static int keep_arg(napi_env env, napi_value keep, uint32_t f, read_job *job) {
  napi_value v, item;
  napi_valuetype t;
  bool is_array = false;
  uint32_t n = 0;
  if (napi_get_element(env, keep, f, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_null || t == napi_undefined) return 0;
  if (napi_is_array(env, v, &is_array) != napi_ok || !is_array || napi_get_array_length(env, v, &n) != napi_ok || n == 0 || n > MAX_PREFIXES) return -1;
  for (uint32_t i = 0; i < n; i++) {
    if (napi_get_element(env, v, i, &item) != napi_ok || napi_typeof(env, item, &t) != napi_ok || t != napi_string) return -1;
    char *prefix = string_arg(env, item);
    if (!prefix) return -1;
    job->keep[f][job->nkeep[f]++] = prefix;
    if (!prefix[0]) return -1;
  }
  return 0;
}

/* Parses (procDir, pids: Int32Array, files: string[], cap: number, keep: (string[] | null)[]) into a job; NULL after a throw. */
static read_job *make_job(napi_env env, napi_callback_info info) {
  static const char usage[] = "procFilesAsync(procDir: string, pids: Int32Array, files: string[], cap: number, keep: (string[] | null)[])";
  size_t argc = 5;
  napi_value argv[5];
  napi_typedarray_type type;
  size_t npids = 0;
  void *data = NULL;
  bool is_typed = false, is_array = false, keep_array = false;
  uint32_t nfiles = 0, nkeep = 0;
  double cap = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5 ||
      napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &type, &npids, &data, NULL, NULL) != napi_ok || type != napi_int32_array ||
      napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[2], &nfiles) != napi_ok || nfiles == 0 || nfiles > MAX_FILES ||
      napi_get_value_double(env, argv[3], &cap) != napi_ok || !(cap >= 1 && cap <= (double)INT32_MAX - 1) ||
      napi_is_array(env, argv[4], &keep_array) != napi_ok || !keep_array ||
      napi_get_array_length(env, argv[4], &nkeep) != napi_ok || nkeep != nfiles) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  read_job *job = calloc(1, sizeof *job);
  if (!job) {
    napi_throw_error(env, "ENOMEM", "procFilesAsync: out of memory");
    return NULL;
  }
  job->npids = npids;
  job->cap = (size_t)cap;
  job->proc_dir = string_arg(env, argv[0]);
  for (uint32_t f = 0; f < nfiles; f++) {
    napi_value v;
    napi_valuetype t;
    job->nfiles = f + 1;
    if (napi_get_element(env, argv[2], f, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok || t != napi_string ||
        !(job->names[f] = string_arg(env, v)) || !plain_name(job->names[f]) || keep_arg(env, argv[4], f, job) != 0) {
      free_job(job);
      napi_throw_type_error(env, NULL, usage);
      return NULL;
    }
  }
  job->pids = malloc(npids ? npids * sizeof *job->pids : 1);
  job->texts = calloc(npids ? npids * nfiles : 1, sizeof *job->texts);
  if (!job->proc_dir || !job->pids || !job->texts) {
    free_job(job);
    napi_throw_error(env, "ENOMEM", "procFilesAsync: out of memory");
    return NULL;
  }
  if (npids) memcpy(job->pids, data, npids * sizeof *job->pids);
  atomic_init(&job->next, 0);
  return job;
}

/* { data, index, ms } from a finished job; NULL (with a pending exception) on failure. */
static napi_value job_result(napi_env env, read_job *job) {
  size_t n = job->npids * job->nfiles, total = 0;
  for (size_t i = 0; i < n; i++)
    if (job->texts[i].len > 0) total += (size_t)job->texts[i].len;
  if (total > (size_t)INT32_MAX) {
    napi_throw_range_error(env, "EFBIG", "procFilesAsync: more than 2 GiB read");
    return NULL;
  }
  void *bytes = NULL;
  int32_t *index = NULL;
  napi_value data, ibuf, iarr, ms, obj;
  if (napi_create_buffer(env, total, &bytes, &data) != napi_ok ||
      napi_create_arraybuffer(env, (n ? n : 1) * 2 * sizeof *index, (void **)&index, &ibuf) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, n * 2, ibuf, 0, &iarr) != napi_ok ||
      napi_create_double(env, job->ms, &ms) != napi_ok || napi_create_object(env, &obj) != napi_ok)
    return NULL;
  size_t off = 0;
  for (size_t i = 0; i < n; i++) {
    const file_text *t = &job->texts[i];
    index[2 * i] = (int32_t)off;
    index[2 * i + 1] = t->len;
    if (t->len > 0) {
      memcpy((char *)bytes + off, job->arenas[t->arena].bytes + t->off, (size_t)t->len);
      off += (size_t)t->len;
    }
  }
  napi_set_named_property(env, obj, "data", data);
  napi_set_named_property(env, obj, "index", iarr);
  napi_set_named_property(env, obj, "ms", ms);
  return obj;
}

static void async_execute(napi_env env, void *data) {
  (void)env;
  run_job(data);
}

static void async_complete(napi_env env, napi_status status, void *data) {
  read_job *job = data;
  napi_value result = status == napi_ok ? job_result(env, job) : NULL;
  settle_deferred(env, job->deferred, result, "procFilesAsync");
  napi_delete_async_work(env, job->work);
  free_job(job);
}

static napi_value proc_files_async(napi_env env, napi_callback_info info) {
  read_job *job = make_job(env, info);
  if (!job) return NULL;
  napi_value promise = queue_deferred(env, "sockdoc.procFiles", async_execute, async_complete, job, &job->work, &job->deferred, "procFilesAsync");
  if (!promise) free_job(job);
  return promise;
}

/*
 * pidNetns(procDir, pids): the network namespace of each pid, from its link procDir/PID/ns/net
 * ("net:[INODE]", fs/nsfs.c ns_dname), read with readlinkat relative to procDir on up to
 * MAX_THREADS threads. Returns when every link is read: the namespace plan needs them all before
 * anything else is read (src/snapshot/netns-plan.ts). From JavaScript each readlink went through
 * the confined reader's checks of every component: 150-300 ms at 15,000 processes.
 *
 * Result: Float64Array, one entry per pid in the order asked: the inode (> 0), or -errno (EACCES,
 * EPERM: refused by the ptrace check; ENOENT, ESRCH: gone; EINVAL: not a "net:[N]" link).
 */
typedef struct {
  int dirfd;
  const int32_t *pids;
  double *out;
  size_t n;
  atomic_size_t next;
} ns_job;

/* The inode of "net:[N]" (N decimal, > 0, below 2^53 as JavaScript's parseNetnsLink takes it), or 0. */
static double netns_inode(const char *link, size_t len) {
  if (len < 7 || memcmp(link, "net:[", 5) != 0 || link[len - 1] != ']' || len - 6 > 20) return 0;
  double v = 0;
  for (size_t i = 5; i < len - 1; i++) {
    if (link[i] < '0' || link[i] > '9') return 0;
    v = v * 10 + (link[i] - '0');
  }
  return v > 0 && v <= 9007199254740991.0 ? v : 0;
}

static void *ns_worker(void *arg) {
  ns_job *job = arg;
  char path[32], link[64];
  for (;;) {
    size_t k = atomic_fetch_add(&job->next, 1);
    if (k >= job->n) break;
    if (job->pids[k] <= 0) {
      job->out[k] = -ENOENT;
      continue;
    }
    snprintf(path, sizeof path, "%d/ns/net", (int)job->pids[k]);
    ssize_t len = readlinkat(job->dirfd, path, link, sizeof link);
    if (len < 0) {
      job->out[k] = -(double)errno;
      continue;
    }
    double inode = (size_t)len < sizeof link ? netns_inode(link, (size_t)len) : 0;
    job->out[k] = inode > 0 ? inode : -EINVAL;
  }
  return NULL;
}

static napi_value pid_netns(napi_env env, napi_callback_info info) {
  static const char usage[] = "pidNetns(procDir: string, pids: Int32Array)";
  size_t argc = 2;
  napi_value argv[2], buf, result;
  napi_typedarray_type type;
  size_t npids = 0;
  void *data = NULL;
  bool is_typed = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &type, &npids, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  char *dir = string_arg(env, argv[0]);
  if (!dir) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  ns_job job = {.pids = data, .n = npids};
  atomic_init(&job.next, 0);
  if (napi_create_arraybuffer(env, (npids ? npids : 1) * sizeof(double), (void **)&job.out, &buf) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, npids, buf, 0, &result) != napi_ok) {
    free(dir);
    return NULL;
  }
  /* A synchronous call: the threads are joined before it returns, while `data` (the caller's pids) cannot move. */
  job.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free(dir);
  if (job.dirfd < 0) {
    int err = errno;
    char msg[128];
    snprintf(msg, sizeof msg, "pidNetns: open of the proc directory failed: %s", strerror(err));
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  size_t threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (size_t)cpus;
  /* A thread each is worth its start only for a few hundred links. */
  if (npids < 256) threads = 1;
  pthread_t helpers[MAX_THREADS];
  size_t started = 0;
  for (size_t t = 1; t < threads; t++) {
    if (pthread_create(&helpers[started], NULL, ns_worker, &job) != 0) break; /* fewer threads still finish */
    started++;
  }
  ns_worker(&job);
  for (size_t t = 0; t < started; t++) pthread_join(helpers[t], NULL);
  close(job.dirfd);
  return result;
}

int procread_init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "procFilesAsync", NAPI_AUTO_LENGTH, proc_files_async, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "procFilesAsync", fn) != napi_ok ||
      napi_create_function(env, "pidNetns", NAPI_AUTO_LENGTH, pid_netns, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "pidNetns", fn) != napi_ok)
    return -1;
  return 0;
}
