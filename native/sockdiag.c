/*
 * sockdoc_native: inetDiagDump(family, protocol, statesMask) -> Buffer and unixDiagDump(states, show)
 * -> Buffer, here; tcpDiagTable (every
 * TCP socket decoded into typed arrays) in tcptable.c; fdWalk and fdWalkAsync (the /proc/PID/fd
 * walk) in fdwalk.c; netnsReadAsync (other network namespaces, read from inside) in netns.c;
 * inetDiagPeerUid (the uid of a local client's socket, one exact lookup) in sockpeer.c.
 *
 * inetDiagDump asks the kernel's sock_diag netlink interface (what `ss` uses) for the sockets of one
 * address family whose state is in statesMask, with the attributes of the optional `ext` mask
 * (1 << (INET_DIAG_x - 1): INET_DIAG_SKMEMINFO gives a listener's drops), and returns the raw
 * reply bytes, NLMSG_DONE included.
 * Those are decoded in TypeScript (src/probe/inet-diag.ts), so captured bytes and live bytes go
 * through the same parser; sockdiag_dump, the loop below, also feeds tcptable.c. The listen backlog limit (sk_max_ack_backlog) is only visible here:
 * net/ipv4/tcp_diag.c tcp_diag_get_info puts it in idiag_wqueue for LISTEN sockets.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <linux/unix_diag.h>
#include <node_api.h>
#include "fdwalk.h"
#include "procread.h"
#include "socknetns.h"
#include "netns.h"
#include "sockdiag.h"
#include "sockpeer.h"
#include "tcptable.h"
#include "userns.h"
#ifdef __linux__
#include "heap.h" /* built on Linux only (binding.gyp): glibc's malloc_trim */
#endif

/* Dump datagrams are at most 32 KiB (net/netlink/af_netlink.c netlink_dump caps max_recvmsg_len). */
#define RECV_BUF (64 * 1024)
#define MAX_REPLY (512u * 1024 * 1024) /* bound the dump: a runaway reply must not eat memory */

/* The errno's symbolic name, so TypeScript can classify it like a Node fs error (EPERM -> denied). */
static const char *errno_name(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *name = strerrorname_np(err);
  if (name) return name;
#endif
  switch (err) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOENT: return "ENOENT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    default: return "EUNKNOWN";
  }
}

napi_value sockdiag_throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "sock_diag %s: %s", what, strerror(err));
  napi_value message, error, code, num;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, NULL, message, &error);
  napi_create_string_utf8(env, errno_name(err), NAPI_AUTO_LENGTH, &code);
  napi_set_named_property(env, error, "code", code);
  napi_create_int32(env, -err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_create_string_utf8(env, "sock_diag", NAPI_AUTO_LENGTH, &code);
  napi_set_named_property(env, error, "syscall", code);
  napi_throw(env, error);
  return NULL;
}

/* Appends n bytes to a growing buffer; returns 0 or ENOMEM/EFBIG. */
static int append(uint8_t **buf, size_t *len, size_t *cap, const uint8_t *src, size_t n) {
  if (*len + n > MAX_REPLY) return EFBIG;
  if (*len + n > *cap) {
    size_t ncap = *cap ? *cap * 2 : RECV_BUF;
    while (ncap < *len + n) ncap *= 2;
    uint8_t *p = realloc(*buf, ncap);
    if (!p) return ENOMEM;
    *buf = p;
    *cap = ncap;
  }
  memcpy(*buf + *len, src, n);
  *len += n;
  return 0;
}


int sockdiag_collect(const struct nlmsghdr *h, size_t take, void *ctx) {
  sockdiag_bytes *a = ctx;
  return append(&a->buf, &a->len, &a->cap, (const uint8_t *)h, take);
}

/* Sends one dump request of `type` carrying `req` and hands every reply message to on_msg until NLMSG_DONE. */
static int run_dump(uint16_t type, const void *req, size_t req_len, sockdiag_msg_fn on_msg, void *ctx, const char **what) {
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  uint8_t *rbuf = NULL;
  int err = 0, done = 0;
  const uint32_t seq = 1;
  struct {
    struct nlmsghdr nlh;
    uint8_t req[sizeof(struct inet_diag_req_v2) > sizeof(struct inet_diag_req) ? sizeof(struct inet_diag_req_v2) : sizeof(struct inet_diag_req)];
  } msg;
  if (req_len > sizeof msg.req) { *what = "request"; return EINVAL; }
  memset(&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = (uint32_t)NLMSG_LENGTH(req_len);
  msg.nlh.nlmsg_type = type;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = seq;
  memcpy(msg.req, req, req_len);

  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) { *what = "socket"; return errno; }
  /* A dump that stalls must not hang the diagnosis. */
  struct timeval tv = {.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (sendto(fd, &msg, msg.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    *what = "sendto"; err = errno; goto out;
  }
  rbuf = malloc(RECV_BUF);
  if (!rbuf) { *what = "malloc"; err = ENOMEM; goto out; }
  while (!done) {
    /* MSG_TRUNC makes netlink return the datagram's real length, so a cut one is detected. */
    int n = (int)recv(fd, rbuf, RECV_BUF, MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      *what = "recv"; err = errno; goto out;
    }
    if (n == 0) { *what = "recv"; err = EPIPE; goto out; }
    if (n > RECV_BUF) { *what = "recv"; err = EMSGSIZE; goto out; }
    for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq) continue; /* not ours */
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        *what = "request";
        err = h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) && e->error < 0 ? -e->error : EPROTO;
        goto out;
      }
      size_t take = NLMSG_ALIGN(h->nlmsg_len) <= (size_t)n ? NLMSG_ALIGN(h->nlmsg_len) : h->nlmsg_len;
      if ((err = on_msg(h, take, ctx)) != 0) { *what = "reply"; goto out; }
      if (h->nlmsg_type == NLMSG_DONE) { done = 1; break; }
    }
  }
out:
  close(fd);
  free(rbuf);
  return err;
}

int sockdiag_dump(uint8_t family, uint8_t protocol, uint32_t states, uint8_t ext, sockdiag_msg_fn on_msg, void *ctx, const char **what) {
  struct inet_diag_req_v2 req;
  memset(&req, 0, sizeof req);
  req.sdiag_family = family;
  req.sdiag_protocol = protocol;
  req.idiag_ext = ext;
  req.idiag_states = states; /* the kernel filters by state before building replies */
  return run_dump(SOCK_DIAG_BY_FAMILY, &req, sizeof req, on_msg, ctx, what);
}

/*
 * Every TCP socket of both families in ONE walk of the kernel's socket hash: the original
 * TCPDIAG_GETSOCK request (struct inet_diag_req), which net/ipv4/inet_diag.c still serves as
 * inet_diag_dump_compat with sdiag_family = AF_UNSPEC. Two SOCK_DIAG_BY_FAMILY dumps (AF_INET,
 * then AF_INET6) walk the whole established hash twice: at 100k sockets ~18 ms of kernel time per
 * walk here, paid again in every network namespace, since the hash is host-wide. Replies carry
 * nlmsg_type TCPDIAG_GETSOCK and the same struct inet_diag_msg.
 */
int sockdiag_dump_tcp_both(uint32_t states, uint8_t ext, sockdiag_msg_fn on_msg, void *ctx, const char **what) {
  struct inet_diag_req req;
  memset(&req, 0, sizeof req);
  req.idiag_family = AF_INET; /* ignored: the compat dump asks for every family */
  req.idiag_ext = ext;        /* inet_diag_dump_compat passes it on */
  req.idiag_states = states;
  return run_dump(TCPDIAG_GETSOCK, &req, sizeof req, on_msg, ctx, what);
}

/*
 * Unix-domain sockets of the caller's network namespace (net/unix/diag.c unix_diag_dump: the
 * kernel filters by state before building a reply, and walks only this namespace's unix hash).
 * For a listener UNIX_DIAG_RQLEN carries the accept queue (sk_receive_queue.qlen, one skb per
 * pending connection) and the backlog (sk_max_ack_backlog), as ss -xl prints them.
 */
int sockdiag_dump_unix(uint32_t states, uint32_t show, sockdiag_msg_fn on_msg, void *ctx, const char **what) {
  struct unix_diag_req req;
  memset(&req, 0, sizeof req);
  req.sdiag_family = AF_UNIX;
  req.udiag_states = states;
  req.udiag_show = show;
  return run_dump(SOCK_DIAG_BY_FAMILY, &req, sizeof req, on_msg, ctx, what);
}

/* The collected bytes as a Node Buffer (freed here either way); NULL after a throw. */
static napi_value bytes_to_buffer(napi_env env, sockdiag_bytes *acc) {
  napi_value result;
  napi_status st = napi_create_buffer_copy(env, acc->len, acc->buf ? (void *)acc->buf : (void *)"", NULL, &result);
  free(acc->buf);
  acc->buf = NULL;
  if (st != napi_ok) {
    napi_throw_error(env, NULL, "sock_diag: could not allocate the reply buffer");
    return NULL;
  }
  return result;
}

/* unixDiagDump(statesMask, show) -> Buffer: the raw reply, NLMSG_DONE included (src/probe/unix-diag.ts decodes it). */
static napi_value unix_diag_dump(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t states, show;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_uint32(env, argv[0], &states) != napi_ok || napi_get_value_uint32(env, argv[1], &show) != napi_ok) {
    napi_throw_type_error(env, NULL, "unixDiagDump(statesMask: u32, show: u32)");
    return NULL;
  }
  sockdiag_bytes acc = {0};
  const char *what = "";
  int err = sockdiag_dump_unix(states, show, sockdiag_collect, &acc, &what);
  if (err) {
    free(acc.buf);
    return sockdiag_throw_errno(env, what, err);
  }
  return bytes_to_buffer(env, &acc);
}

static napi_value inet_diag_dump(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  uint32_t family, protocol, states, ext = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || argc > 4 ||
      napi_get_value_uint32(env, argv[0], &family) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &protocol) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &states) != napi_ok || family > 255 || protocol > 255 ||
      (argc == 4 && (napi_get_value_uint32(env, argv[3], &ext) != napi_ok || ext > 255))) {
    napi_throw_type_error(env, NULL, "inetDiagDump(family: u8, protocol: u8, statesMask: u32, ext?: u8)");
    return NULL;
  }
  sockdiag_bytes acc = {0};
  const char *what = "";
  int err = sockdiag_dump((uint8_t)family, (uint8_t)protocol, states, (uint8_t)ext, sockdiag_collect, &acc, &what);
  if (err) {
    free(acc.buf);
    return sockdiag_throw_errno(env, what, err);
  }
  return bytes_to_buffer(env, &acc);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  if (napi_create_function(env, "inetDiagDump", NAPI_AUTO_LENGTH, inet_diag_dump, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "inetDiagDump", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "unixDiagDump", NAPI_AUTO_LENGTH, unix_diag_dump, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "unixDiagDump", fn) != napi_ok)
    return NULL;
  if (fdwalk_init(env, exports) != 0) return NULL;
  if (tcptable_init(env, exports) != 0) return NULL;
#ifdef __linux__
  if (heap_init(env, exports) != 0) return NULL;
#endif
  if (netns_init(env, exports) != 0) return NULL;
  if (userns_init(env, exports) != 0) return NULL;
  if (sockpeer_init(env, exports) != 0) return NULL;
  if (procread_init(env, exports) != 0) return NULL;
  if (socknetns_init(env, exports) != 0) return NULL;
  return exports;
}
