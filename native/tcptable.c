/*
 * tcpDiagTable(statesMask) -> { count, rows, addrs, addrFamilies, ipv6 }: every TCP socket of the
 * caller's network namespace from one sock_diag dump of both families (the TCPDIAG_GETSOCK request:
 * one walk of the kernel's socket hash; else one dump per family, AF_INET then AF_INET6),
 * decoded here into typed arrays so that JavaScript never sees the netlink bytes or builds a
 * temporary object per socket. This replaces reading /proc/net/tcp{,6}, whose text the kernel
 * formats with sprintf per socket and JavaScript parses again (src/probe/net-diag.ts says how the
 * fields map onto what /proc prints).
 *
 *   rows:  Uint32Array, ROW_WORDS per socket: family (4|6) | state << 8 | V6ONLY_* flags, sport << 16 | dport (host
 *          order), local address index, remote address index, rqueue, wqueue, uid, inode
 *          (struct inet_diag_msg, include/uapi/linux/inet_diag.h);
 *   addrs: Uint8Array, 16 network-order bytes per distinct address (IPv4 in the first 4), so each
 *          address is formatted once however many sockets share it; addrFamilies: 4 | 6 for each;
 *   ipv6:  false when the kernel has no IPv6 sock_diag handler (IPv6 disabled): nothing to list.
 * The state is passed through as the kernel sent it; the caller rejects what it does not know.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <node_api.h>
#include "sockdiag.h"
#include "tcptable.h"

#define ROW_WORDS 8
/* Flags in row word 0 from the INET_DIAG_SKV6ONLY attribute, which net/ipv4/inet_diag.c
 * inet_diag_msg_attrs_fill sends for AF_INET6 sockets in LISTEN or CLOSE: KNOWN = it was sent,
 * SET = IPV6_V6ONLY is on. An addon built before sets neither: unknown, never "false". */
#define V6ONLY_KNOWN (1u << 16)
#define V6ONLY_SET (1u << 17)
#define MAX_ROWS (16u * 1024 * 1024) /* bound memory against a runaway dump */

static uint32_t hash_addr(uint8_t family, const uint8_t *b) {
  uint32_t h = 2166136261u ^ family; /* FNV-1a */
  for (int i = 0; i < 16; i++) h = (h ^ b[i]) * 16777619u;
  return h;
}

static int grow_slots(table *t) {
  size_t n = t->nslots ? t->nslots * 2 : 256;
  addr_slot *s = calloc(n, sizeof *s);
  if (!s) return ENOMEM;
  for (size_t i = 0; i < t->nslots; i++) {
    const addr_slot *o = &t->slots[i];
    if (!o->family) continue;
    size_t j = hash_addr(o->family, o->bytes) & (n - 1);
    while (s[j].family) j = (j + 1) & (n - 1);
    s[j] = *o;
  }
  free(t->slots);
  t->slots = s;
  t->nslots = n;
  return 0;
}

/* Index of (family, bytes) in the distinct-address list, adding it when new; -errno on failure. */
static int64_t intern(table *t, uint8_t family, const uint8_t *bytes) {
  if ((t->naddrs + 1) * 2 > t->nslots && grow_slots(t) != 0) return -ENOMEM;
  size_t j = hash_addr(family, bytes) & (t->nslots - 1);
  while (t->slots[j].family) {
    if (t->slots[j].family == family && memcmp(t->slots[j].bytes, bytes, 16) == 0) return t->slots[j].index;
    j = (j + 1) & (t->nslots - 1);
  }
  if (t->naddrs == t->addr_cap) {
    size_t cap = t->addr_cap ? t->addr_cap * 2 : 64;
    uint8_t *a = realloc(t->addrs, cap * 16), *f;
    if (!a) return -ENOMEM;
    t->addrs = a;
    if (!(f = realloc(t->families, cap))) return -ENOMEM;
    t->families = f;
    t->addr_cap = cap;
  }
  memcpy(t->addrs + t->naddrs * 16, bytes, 16);
  t->families[t->naddrs] = family;
  t->slots[j].family = family;
  memcpy(t->slots[j].bytes, bytes, 16);
  t->slots[j].index = (uint32_t)t->naddrs;
  return (int64_t)t->naddrs++;
}

static int add_msg(const struct nlmsghdr *h, size_t take, void *ctx) {
  (void)take;
  table *t = ctx;
  if (h->nlmsg_type == NLMSG_DONE) {
    /* A dump interrupted by an error ends in NLMSG_DONE carrying a negative errno. */
    if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
      int e = *(const int *)NLMSG_DATA(h);
      if (e < 0) return -e;
    }
    return 0;
  }
  if ((h->nlmsg_type != SOCK_DIAG_BY_FAMILY && h->nlmsg_type != TCPDIAG_GETSOCK) || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) return EPROTO;
  const struct inet_diag_msg *m = NLMSG_DATA(h);
  if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6) return EPROTO;
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 4096;
    if (cap > MAX_ROWS) return EFBIG;
    uint32_t *r = realloc(t->rows, cap * ROW_WORDS * sizeof *r);
    if (!r) return ENOMEM;
    t->rows = r;
    t->cap = cap;
  }
  uint8_t family = m->idiag_family == AF_INET ? 4 : 6;
  uint8_t src[16] = {0}, dst[16] = {0};
  size_t alen = family == 4 ? 4 : 16; /* an AF_INET socket fills only the first word */
  memcpy(src, m->id.idiag_src, alen);
  memcpy(dst, m->id.idiag_dst, alen);
  int64_t li = intern(t, family, src), ri = intern(t, family, dst);
  if (li < 0 || ri < 0) return ENOMEM;
  uint32_t *row = t->rows + t->n * ROW_WORDS;
  row[0] = family | (uint32_t)m->idiag_state << 8;
  if (family == 6) {
    /* Attributes follow the message (include/uapi/linux/rtnetlink.h rtattr framing). */
    const size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct inet_diag_msg)));
    const uint8_t *p = (const uint8_t *)h + off, *end = (const uint8_t *)h + h->nlmsg_len;
    while (h->nlmsg_len > off && end - p >= (ptrdiff_t)sizeof(struct rtattr)) {
      const struct rtattr *a = (const struct rtattr *)p;
      if (a->rta_len < sizeof *a || a->rta_len > end - p) break;
      if (a->rta_type == INET_DIAG_SKV6ONLY && a->rta_len > sizeof *a) {
        row[0] |= V6ONLY_KNOWN | (*((const uint8_t *)a + RTA_LENGTH(0)) ? V6ONLY_SET : 0);
        break;
      }
      p += RTA_ALIGN(a->rta_len);
    }
  }
  row[1] = (uint32_t)ntohs(m->id.idiag_sport) << 16 | ntohs(m->id.idiag_dport);
  row[2] = (uint32_t)li;
  row[3] = (uint32_t)ri;
  row[4] = m->idiag_rqueue;
  row[5] = m->idiag_wqueue;
  row[6] = m->idiag_uid;
  row[7] = m->idiag_inode;
  t->n++;
  return 0;
}

void tcptable_free(table *t) {
  free(t->rows);
  free(t->slots);
  free(t->addrs);
  free(t->families);
}

/* A typed array of `length` elements over a fresh ArrayBuffer, copied from `src`; NULL on failure. */
static napi_value typed_copy(napi_env env, napi_typedarray_type type, size_t length, size_t elem, const void *src) {
  void *data;
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, length * elem, &data, &buffer) != napi_ok) return NULL;
  if (length) memcpy(data, src, length * elem);
  if (napi_create_typedarray(env, type, length, buffer, 0, &array) != napi_ok) return NULL;
  return array;
}

int tcptable_collect(uint32_t states, table *t, const char **what) {
  memset(t, 0, sizeof *t);
  t->ipv6 = 1;
  /* One walk for both families when the kernel serves the compat request (every kernel with
   * inet_diag does); else, or when it fails before any reply, one dump per family. */
  int err = sockdiag_dump_tcp_both(states, add_msg, t, what);
  if (!err) return 0;
  tcptable_free(t);
  memset(t, 0, sizeof *t);
  t->ipv6 = 1;
  err = sockdiag_dump(AF_INET, IPPROTO_TCP, states, add_msg, t, what);
  if (!err) {
    err = sockdiag_dump(AF_INET6, IPPROTO_TCP, states, add_msg, t, what);
    /* No IPv6 sock_diag handler (IPv6 disabled): no IPv6 sockets, not a failure. */
    if (err == ENOENT || err == EAFNOSUPPORT || err == EPROTONOSUPPORT) {
      err = 0;
      t->ipv6 = 0;
    }
  }
  return err;
}

static void free_rows(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/*
 * The rows as a Uint32Array over the table's own buffer: no zeroed ArrayBuffer and no copy of
 * 32 bytes per socket (at 100k sockets: 3.2 MB memset and memcpy per dump). The buffer then
 * belongs to the ArrayBuffer and is freed by its finalizer; t->rows is cleared so that
 * tcptable_free leaves it. Falls back to a copy where external buffers are refused (a runtime
 * with the V8 sandbox: napi_no_external_buffers_allowed).
 */
static napi_value rows_to_js(napi_env env, table *t) {
  size_t length = t->n * ROW_WORDS;
  napi_value buffer, array;
  if (length && t->rows && napi_create_external_arraybuffer(env, t->rows, length * sizeof(uint32_t), free_rows, NULL, &buffer) == napi_ok) {
    t->rows = NULL; /* owned by the ArrayBuffer now, also if the typed array below fails */
    if (napi_create_typedarray(env, napi_uint32_array, length, buffer, 0, &array) != napi_ok) return NULL;
    return array;
  }
  return typed_copy(env, napi_uint32_array, length, sizeof(uint32_t), t->rows);
}

napi_value tcptable_to_js(napi_env env, table *t) {
  napi_value obj, count, v6,
      rows = rows_to_js(env, t),
      addrs = typed_copy(env, napi_uint8_array, t->naddrs * 16, 1, t->addrs),
      fams = typed_copy(env, napi_uint8_array, t->naddrs, 1, t->families);
  if (!rows || !addrs || !fams || napi_create_object(env, &obj) != napi_ok || napi_create_uint32(env, (uint32_t)(t->n), &count) != napi_ok ||
      napi_get_boolean(env, t->ipv6, &v6) != napi_ok)
    return NULL;
  napi_set_named_property(env, obj, "count", count);
  napi_set_named_property(env, obj, "rows", rows);
  napi_set_named_property(env, obj, "addrs", addrs);
  napi_set_named_property(env, obj, "addrFamilies", fams);
  napi_set_named_property(env, obj, "ipv6", v6);
  return obj;
}

static napi_value tcp_diag_table(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t states;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_uint32(env, argv[0], &states) != napi_ok) {
    napi_throw_type_error(env, NULL, "tcpDiagTable(statesMask: u32)");
    return NULL;
  }
  table t;
  const char *what = "";
  int err = tcptable_collect(states, &t, &what);
  if (err) {
    tcptable_free(&t);
    return sockdiag_throw_errno(env, what, err);
  }
  napi_value obj = tcptable_to_js(env, &t);
  tcptable_free(&t);
  if (!obj) {
    napi_throw_error(env, NULL, "tcpDiagTable: could not allocate the result");
    return NULL;
  }
  return obj;
}

int tcptable_init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "tcpDiagTable", NAPI_AUTO_LENGTH, tcp_diag_table, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "tcpDiagTable", fn) != napi_ok)
    return -1;
  return 0;
}
