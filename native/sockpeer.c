/*
 * inetDiagPeerUid(family, clientAddr, clientPort, serverAddr, serverPort) -> uid | -errno
 *
 * Who opened the other end of a TCP connection that came from this same network namespace: the
 * uid of the client's own socket, found by its four-tuple with one exact sock_diag request (no
 * NLM_F_DUMP: net/ipv4/inet_diag.c inet_diag_find_one_icsk is a hash lookup, not a walk). The
 * accepted socket's remote address and port are the client socket's local ones. Used by
 * `sockdoc serve` to count connections per local user (src/serve/peer-identity.ts); no privilege
 * is needed (ss(8) shows every socket's uid to everyone).
 *
 * The kernel's lookup falls back to a listening socket when no connected one matches: a reply that
 * is not ESTABLISHED, or whose ports are not the ones asked, is refused (-ENOENT), so a closed
 * client's port can never name the owner of some listener.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <node_api.h>
#include "sockpeer.h"

#define TCP_ESTABLISHED_STATE 1 /* include/net/tcp_states.h */

/* 0 and *uid set, or an errno. addr: 4 (AF_INET) or 16 (AF_INET6) network-order bytes; ports in host order. */
static int peer_uid(uint8_t family, const uint8_t *client, uint16_t cport, const uint8_t *server, uint16_t sport, uint32_t *uid) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST; /* exact: one socket, no dump */
  msg.nlh.nlmsg_seq = 1;
  msg.req.sdiag_family = family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0u;
  /* The socket asked for is the client's: its local end is the client, its remote end is us. */
  msg.req.id.idiag_sport = htons(cport);
  msg.req.id.idiag_dport = htons(sport);
  memcpy(msg.req.id.idiag_src, client, family == AF_INET ? 4 : 16);
  memcpy(msg.req.id.idiag_dst, server, family == AF_INET ? 4 : 16);
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;

  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return errno;
  struct timeval tv = {.tv_sec = 1, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  int err = ENOENT;
  if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    err = errno;
    close(fd);
    return err;
  }
  union {
    struct nlmsghdr h;
    uint8_t bytes[8192];
  } reply;
  int n;
  do n = (int)recv(fd, &reply, sizeof reply, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) err = errno;
  close(fd);
  if (n < 0) return err;
  for (struct nlmsghdr *h = &reply.h; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      const struct nlmsgerr *e = NLMSG_DATA(h);
      return h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) && e->error < 0 ? -e->error : EPROTO;
    }
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) continue;
    const struct inet_diag_msg *m = NLMSG_DATA(h);
    if (m->idiag_state != TCP_ESTABLISHED_STATE || ntohs(m->id.idiag_sport) != cport || ntohs(m->id.idiag_dport) != sport) return ENOENT;
    *uid = m->idiag_uid;
    return 0;
  }
  return ENOENT;
}

static napi_value inet_diag_peer_uid(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint32_t family, cport, sport;
  uint8_t *client = NULL, *server = NULL;
  size_t clen = 0, slen = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5 ||
      napi_get_value_uint32(env, argv[0], &family) != napi_ok ||
      napi_get_buffer_info(env, argv[1], (void **)&client, &clen) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &cport) != napi_ok ||
      napi_get_buffer_info(env, argv[3], (void **)&server, &slen) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &sport) != napi_ok || (family != AF_INET && family != AF_INET6) ||
      clen != (family == AF_INET ? 4u : 16u) || slen != clen || cport > 65535 || sport > 65535) {
    napi_throw_type_error(env, NULL, "inetDiagPeerUid(family: 2|10, client: Buffer(4|16), clientPort, server: Buffer(4|16), serverPort)");
    return NULL;
  }
  uint32_t uid = 0;
  int err = peer_uid((uint8_t)family, client, (uint16_t)cport, server, (uint16_t)sport, &uid);
  napi_value result;
  if (err) napi_create_int32(env, -err, &result);
  else napi_create_uint32(env, uid, &result);
  return result;
}

int sockpeer_init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "inetDiagPeerUid", NAPI_AUTO_LENGTH, inet_diag_peer_uid, NULL, &fn) != napi_ok) return -1;
  return napi_set_named_property(env, exports, "inetDiagPeerUid", fn) == napi_ok ? 0 : -1;
}
