/*
 * socketNetnsAsync(leads, known, maxKeep): the network namespace of sockets other processes hold, found
 * through each socket itself, for the sockets no namespace sockdoc read holds (a process that made a
 * listener and then unshare(CLONE_NEWNET)ed, a socket passed over SCM_RIGHTS from another namespace:
 * their namespace may be one no process is in and no name holds).
 *
 * Per lead (pid, fd, inode):
 *   pidfd_open(pid) (Linux 5.3; one per run of leads of the same pid), pidfd_getfd(pidfd, fd)
 *   (Linux 5.6; man 2 pidfd_getfd: needs PTRACE_MODE_ATTACH_REALCREDS over the process) duplicates
 *   the socket into sockdoc; fstat checks that it is still that socket (the fd may have been closed
 *   and reused since the walk); getsockopt SO_DOMAIN / SO_TYPE / SO_PROTOCOL say its family;
 *   ioctl(SIOCGSKNS) (Linux 4.9; net/socket.c sock_ioctl, include/uapi/linux/sockios.h: needs
 *   CAP_NET_ADMIN in the namespace's user namespace) opens its network namespace, whose nsfs inode
 *   fstat gives. The duplicate is closed at once: that drops one reference of the holder's file,
 *   nothing else (no FIN, no epoll change: only the last close of a socket releases it).
 * A namespace's fd is kept open (and returned) only for the first socket found in a namespace
 * neither in `known` nor met earlier in the call, for at most `maxKeep` namespaces (beyond: -2, so
 * a tenant's thousands of namespaces cannot exhaust sockdoc's fds): the caller reads that namespace
 * through /proc/self/fd/N and must close it. Every other fd is closed before the call returns.
 *
 * Result: { results: Float64Array, RESULT_WORDS per lead: errno (0 when found), step (SN_STEP_*:
 * where it stopped), domain, type, protocol, namespace inode (0 unknown); nsFds: Int32Array per
 * lead (-1: none kept, -2: a new namespace not kept, over maxKeep), ms }.
 *
 * Runs on a libuv pool thread (no setns here: nothing of the thread changes).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>
#include <node_api.h>
#include "socknetns.h"
#include "settle.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C
#endif

/* Leads per call at most: the caller's bound is lower (src/probe/socket-netns.ts). */
#define MAX_LEADS 4096
#define RESULT_WORDS 6

enum {
  SN_STEP_FOUND = 0,
  SN_STEP_PIDFD_OPEN = 1,
  SN_STEP_PIDFD_GETFD = 2,
  SN_STEP_FSTAT = 3,
  SN_STEP_INODE = 4,
  SN_STEP_GETSOCKOPT = 5,
  SN_STEP_SIOCGSKNS = 6,
  SN_STEP_NS_FSTAT = 7,
};

typedef struct {
  double *leads; /* (pid, fd, inode) triples */
  size_t nleads;
  double *known;
  size_t nknown;
  double *results; /* RESULT_WORDS per lead */
  int32_t *nsfds;
  size_t max_keep, kept;
  double ms;
  napi_async_work work;
  napi_deferred deferred;
} lookup_job;

static int is_known(const double *list, size_t n, double inode) {
  for (size_t i = 0; i < n; i++)
    if (list[i] == inode) return 1;
  return 0;
}

/* Looks up lead k with the pidfd of its pid; fills its results and maybe keeps its namespace's fd. */
static void look_up(lookup_job *job, size_t k, int pidfd) {
  double *r = job->results + k * RESULT_WORDS;
  int fd = (int)job->leads[3 * k + 1];
  double inode = job->leads[3 * k + 2];
  int sock = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  if (sock < 0) {
    r[0] = errno;
    r[1] = SN_STEP_PIDFD_GETFD;
    return;
  }
  struct stat st;
  int domain = 0, type = 0, protocol = 0;
  socklen_t len = sizeof domain;
  if (fstat(sock, &st) < 0) {
    r[0] = errno;
    r[1] = SN_STEP_FSTAT;
  } else if (!S_ISSOCK(st.st_mode) || (double)st.st_ino != inode) {
    r[0] = ESTALE; /* the fd now holds another file: the socket walked is gone from it */
    r[1] = SN_STEP_INODE;
  } else if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || (len = sizeof type, getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &len)) < 0 ||
             (len = sizeof protocol, getsockopt(sock, SOL_SOCKET, SO_PROTOCOL, &protocol, &len)) < 0) {
    r[0] = errno;
    r[1] = SN_STEP_GETSOCKOPT;
  } else {
    r[2] = domain;
    r[3] = type;
    r[4] = protocol;
    int ns = ioctl(sock, SIOCGSKNS);
    if (ns < 0) {
      r[0] = errno;
      r[1] = SN_STEP_SIOCGSKNS;
    } else if (fstat(ns, &st) < 0) {
      r[0] = errno;
      r[1] = SN_STEP_NS_FSTAT;
      close(ns);
    } else {
      r[5] = (double)st.st_ino;
      int seen = is_known(job->known, job->nknown, r[5]);
      for (size_t j = 0; j < k && !seen; j++)
        if (job->nsfds[j] != -1 && job->results[j * RESULT_WORDS + 5] == r[5]) seen = 1;
      if (seen || job->kept >= job->max_keep) {
        close(ns);
        if (!seen) job->nsfds[k] = -2;
      } else {
        job->nsfds[k] = ns;
        job->kept++;
      }
    }
  }
  close(sock);
}

static void run_job(lookup_job *job) {
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int pidfd = -1, pidfd_errno = 0;
  double pid_of_fd = -1;
  for (size_t k = 0; k < job->nleads; k++) {
    double *r = job->results + k * RESULT_WORDS;
    double pid = job->leads[3 * k];
    if (pid != pid_of_fd) {
      if (pidfd >= 0) close(pidfd);
      pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
      pidfd_errno = pidfd < 0 ? errno : 0;
      pid_of_fd = pid;
    }
    if (pidfd < 0) {
      r[0] = pidfd_errno;
      r[1] = SN_STEP_PIDFD_OPEN;
      continue;
    }
    look_up(job, k, pidfd);
  }
  if (pidfd >= 0) close(pidfd);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  job->ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
}

static void free_job(lookup_job *job) {
  if (!job) return;
  free(job->leads);
  free(job->known);
  free(job->results);
  free(job->nsfds);
  free(job);
}

/* A Float64Array argument's contents copied (NULL after a throw); `count` its length. */
static double *float64_arg(napi_env env, napi_value v, size_t *count) {
  bool typed = false;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_is_typedarray(env, v, &typed) != napi_ok || !typed || napi_get_typedarray_info(env, v, &type, count, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array)
    return NULL;
  double *copy = malloc(*count ? *count * sizeof *copy : 1);
  if (copy && *count) memcpy(copy, data, *count * sizeof *copy);
  return copy;
}

static lookup_job *make_job(napi_env env, napi_callback_info info) {
  static const char usage[] = "socketNetnsAsync(leads: Float64Array of (pid, fd, inode) triples, known: Float64Array of namespace inodes, maxKeep: number)";
  size_t argc = 3, nleads = 0, nknown = 0;
  napi_value argv[3];
  lookup_job *job = NULL;
  double max_keep = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3 || napi_get_value_double(env, argv[2], &max_keep) != napi_ok ||
      !(max_keep >= 0 && max_keep <= MAX_LEADS) || !(job = calloc(1, sizeof *job))) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  job->leads = float64_arg(env, argv[0], &nleads);
  job->known = float64_arg(env, argv[1], &nknown);
  if (!job->leads || !job->known || nleads % 3 != 0 || nleads / 3 > MAX_LEADS) {
    free_job(job);
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  job->nleads = nleads / 3;
  job->nknown = nknown;
  job->max_keep = (size_t)max_keep;
  for (size_t k = 0; k < job->nleads; k++) {
    double pid = job->leads[3 * k], fd = job->leads[3 * k + 1];
    if (!(pid >= 1 && pid <= INT32_MAX && pid == (double)(int32_t)pid && fd >= 0 && fd <= INT32_MAX && fd == (double)(int32_t)fd)) {
      free_job(job);
      napi_throw_range_error(env, NULL, "socketNetnsAsync: a pid or fd is not a non-negative integer");
      return NULL;
    }
  }
  job->results = calloc(job->nleads ? job->nleads * RESULT_WORDS : 1, sizeof *job->results);
  job->nsfds = malloc(job->nleads ? job->nleads * sizeof *job->nsfds : 1);
  if (!job->results || !job->nsfds) {
    free_job(job);
    napi_throw_error(env, "ENOMEM", "socketNetnsAsync: out of memory");
    return NULL;
  }
  for (size_t k = 0; k < job->nleads; k++) job->nsfds[k] = -1;
  return job;
}

/* Closes the namespace fds a job kept (its result could not be handed over). */
static void close_kept(lookup_job *job) {
  for (size_t k = 0; k < job->nleads; k++)
    if (job->nsfds[k] >= 0) close(job->nsfds[k]);
}

static napi_value job_result(napi_env env, lookup_job *job) {
  size_t n = job->nleads;
  void *res = NULL, *fds = NULL;
  napi_value rbuf, rarr, fbuf, farr, ms, obj;
  if (napi_create_arraybuffer(env, (n ? n : 1) * RESULT_WORDS * sizeof(double), &res, &rbuf) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, n * RESULT_WORDS, rbuf, 0, &rarr) != napi_ok ||
      napi_create_arraybuffer(env, (n ? n : 1) * sizeof(int32_t), &fds, &fbuf) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, n, fbuf, 0, &farr) != napi_ok || napi_create_double(env, job->ms, &ms) != napi_ok ||
      napi_create_object(env, &obj) != napi_ok)
    return NULL;
  if (n) {
    memcpy(res, job->results, n * RESULT_WORDS * sizeof(double));
    memcpy(fds, job->nsfds, n * sizeof(int32_t));
  }
  napi_set_named_property(env, obj, "results", rarr);
  napi_set_named_property(env, obj, "nsFds", farr);
  napi_set_named_property(env, obj, "ms", ms);
  return obj;
}

static void async_execute(napi_env env, void *data) {
  (void)env;
  run_job(data);
}

static void async_complete(napi_env env, napi_status status, void *data) {
  lookup_job *job = data;
  napi_value result = NULL;
  if (status == napi_ok) result = job_result(env, job);
  if (!result) close_kept(job); /* not handed over (or cancelled before it ran: none opened) */
  settle_deferred(env, job->deferred, result, "socketNetnsAsync");
  napi_delete_async_work(env, job->work);
  free_job(job);
}

static napi_value socket_netns_async(napi_env env, napi_callback_info info) {
  lookup_job *job = make_job(env, info);
  if (!job) return NULL;
  napi_value promise = queue_deferred(env, "sockdoc.socketNetns", async_execute, async_complete, job, &job->work, &job->deferred, "socketNetnsAsync");
  if (!promise) free_job(job);
  return promise;
}

/*
 * closeNetnsFds(fds: Int32Array): closes namespace fds a lookup kept. Here and not with Node's
 * fs.closeSync: those fds were never opened through Node, and a worker thread (serve's scrape)
 * warns "File descriptor N closed but not opened in unmanaged mode" for each. Negative entries are skipped.
 */
static napi_value close_netns_fds(napi_env env, napi_callback_info info) {
  size_t argc = 1, n = 0;
  napi_value argv[1];
  bool typed = false;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_is_typedarray(env, argv[0], &typed) != napi_ok || !typed ||
      napi_get_typedarray_info(env, argv[0], &type, &n, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "closeNetnsFds(fds: Int32Array)");
    return NULL;
  }
  const int32_t *fds = data;
  for (size_t k = 0; k < n; k++)
    if (fds[k] >= 0) close(fds[k]);
  return NULL;
}

int socknetns_init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "socketNetnsAsync", NAPI_AUTO_LENGTH, socket_netns_async, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "socketNetnsAsync", fn) != napi_ok ||
      napi_create_function(env, "closeNetnsFds", NAPI_AUTO_LENGTH, close_netns_fds, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "closeNetnsFds", fn) != napi_ok)
    return -1;
  return 0;
}
