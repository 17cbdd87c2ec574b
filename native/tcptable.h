/* tcpDiagTable (tcptable.c), registered on the module's exports by sockdiag.c; the collector is shared with netns.c. */
#ifndef SOCKDOC_TCPTABLE_H
#define SOCKDOC_TCPTABLE_H
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>
#include "childinfo.h"
#include "sockdiag.h"

typedef struct {
  uint8_t family; /* 4 or 6; 0 = empty slot */
  uint8_t bytes[16];
  uint32_t index;
} addr_slot;

/* Every TCP socket of the calling thread's network namespace, as rows and deduplicated addresses. */
typedef struct {
  uint32_t *rows;
  size_t n, cap; /* sockets */
  addr_slot *slots;
  size_t nslots; /* power of two */
  uint8_t *addrs; /* 16 bytes per distinct address, in index order */
  uint8_t *families;
  size_t naddrs, addr_cap;
  int ipv6; /* 0 when the kernel has no IPv6 sock_diag handler */
  int plain; /* asked with TCPTABLE_PLAIN: no drops, no waits (neither is reported, not even as none) */
  uint32_t *drops; /* pairs: row, SK_MEMINFO_DROPS of a listener (INET_DIAG_SKMEMINFO) */
  size_t ndrops, drops_cap;
  childinfo_want *want; /* connections with no owner (inode 0) in ESTABLISHED or CLOSE_WAIT */
  size_t nwant, want_cap;
  childinfo_result waits;  /* their tcp_info answers (TCPTABLE_WAITS) */
  uint32_t waits_skipped;  /* waiting connections not looked up (over MAX_LOOKUPS) */
  int waits_err;           /* errno of the lookups (0: every answer came), `waits_what` the step */
  const char *waits_what;
  sockdiag_bytes *raw_waits; /* set by the caller: the lookups' raw replies are appended here */
} table;

/* tcptable_collect flags: look up how long each connection waiting in an accept queue has waited. */
#define TCPTABLE_WAITS 1u
/*
 * tcptable_collect flags: one request of every state without extensions, as sockdoc asked before
 * it read drops and waits: neither is known then. The benchmark's A/B of what they cost
 * (SOCKDOC_LISTENER_EXTRAS=off, docs/benchmarks.md); TCPTABLE_WAITS is then ignored.
 */
#define TCPTABLE_PLAIN 4u

/*
 * The TCP sockets in `states` of the calling thread's netns into *t: the listeners first, with
 * INET_DIAG_SKMEMINFO (their drops), then the other states without extensions, each in one walk of
 * both families (else one dump per family) — with TCPTABLE_PLAIN one request of all states without
 * extensions instead; with TCPTABLE_WAITS, then the tcp_info of every
 * connection waiting in an accept queue (childinfo.c). Set t->raw_waits after zeroing *t to keep
 * the raw lookup replies. 0 or an errno; a failed lookup is not an error (t->waits_err).
 */
int tcptable_collect(uint32_t states, uint32_t flags, table *t, const char **what);
/* { count, rows, addrs, addrFamilies, ipv6, listenerDrops, acceptWaits, acceptWaitsSkipped, acceptWaitsGone,
 * acceptWaitsError }; NULL on allocation failure. The rows buffer may move
 * into the result (t->rows is then NULL): call tcptable_free afterwards either way. */
napi_value tcptable_to_js(napi_env env, table *t);
void tcptable_free(table *t);

/* Adds tcpDiagTable to exports; 0 on success. */
int tcptable_init(napi_env env, napi_value exports);

#endif
