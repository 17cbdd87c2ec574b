/* tcpDiagTable (tcptable.c), registered on the module's exports by sockdiag.c; the collector is shared with netns.c. */
#ifndef SOCKDOC_TCPTABLE_H
#define SOCKDOC_TCPTABLE_H
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

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
} table;

/* Dumps AF_INET then AF_INET6 TCP sockets in `states` of the calling thread's netns into *t. 0 or an errno. */
int tcptable_collect(uint32_t states, table *t, const char **what);
/* { count, rows, addrs, addrFamilies, ipv6 }; NULL on allocation failure. The rows buffer may move
 * into the result (t->rows is then NULL): call tcptable_free afterwards either way. */
napi_value tcptable_to_js(napi_env env, table *t);
void tcptable_free(table *t);

/* Adds tcpDiagTable to exports; 0 on success. */
int tcptable_init(napi_env env, napi_value exports);

#endif
