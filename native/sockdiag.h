/* The sock_diag dump loop (sockdiag.c), shared by inetDiagDump and tcpDiagTable (tcptable.c). */
#ifndef SOCKDOC_SOCKDIAG_H
#define SOCKDOC_SOCKDIAG_H
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <node_api.h>

/* Called for each message of the dump, NLMSG_DONE included; `take` = its length with padding. 0 or an errno. */
typedef int (*sockdiag_msg_fn)(const struct nlmsghdr *h, size_t take, void *ctx);

/* One SOCK_DIAG_BY_FAMILY dump of `family`/`protocol` sockets whose state is in `states`, with the
 * attributes of `ext` (1 << (INET_DIAG_x - 1) each; 0 = none). 0 or an errno. */
int sockdiag_dump(uint8_t family, uint8_t protocol, uint32_t states, uint8_t ext, sockdiag_msg_fn on_msg, void *ctx, const char **what);

/* Every TCP socket of both families in one walk of the kernel's hash (the TCPDIAG_GETSOCK request,
 * inet_diag_dump_compat); replies have nlmsg_type TCPDIAG_GETSOCK. 0 or an errno with the step in *what. */
int sockdiag_dump_tcp_both(uint32_t states, uint8_t ext, sockdiag_msg_fn on_msg, void *ctx, const char **what);

/* The idiag_ext bit of an INET_DIAG_x attribute (include/uapi/linux/inet_diag.h: bit x - 1). */
#define SOCKDIAG_EXT(attr) ((uint8_t)(1u << ((attr) - 1)))

/* Every unix-domain socket whose state is in `states` (SOCK_DIAG_BY_FAMILY, AF_UNIX: struct unix_diag_req,
 * include/uapi/linux/unix_diag.h), with the attributes asked for in `show` (UDIAG_SHOW_*). 0 or an errno. */
int sockdiag_dump_unix(uint32_t states, uint32_t show, sockdiag_msg_fn on_msg, void *ctx, const char **what);

/* The show flags sockdoc asks unix_diag for: name, file inode, peer, queued connections, queue lengths. */
#define SOCKDOC_UNIX_SHOW 0x1fu /* UDIAG_SHOW_NAME | VFS | PEER | ICONS | RQLEN */
/* Every state: unix sockets use TCP_ESTABLISHED, TCP_LISTEN, TCP_CLOSE (and TCP_SYN_SENT while connecting). */
#define SOCKDOC_UNIX_STATES 0xffffffffu

/* Whole messages of a dump (alignment padding kept, so concatenated dumps stay a valid stream). */
typedef struct {
  uint8_t *buf;
  size_t len, cap;
} sockdiag_bytes;

/* A sockdiag_msg_fn appending each message to a sockdiag_bytes (ctx). */
int sockdiag_collect(const struct nlmsghdr *h, size_t take, void *ctx);

/* Throws an Error with code (errno name), errno (negative) and syscall "sock_diag"; returns NULL. */
napi_value sockdiag_throw_errno(napi_env env, const char *what, int err);

#endif
