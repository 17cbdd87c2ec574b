/*
 * tcpDiagTable(statesMask, flags?) -> { count, rows, addrs, addrFamilies, ipv6, listenerDrops,
 * acceptWaits, … }: every TCP socket of the caller's network namespace from sock_diag dumps (the
 * TCPDIAG_GETSOCK request: one walk of the kernel's socket hash for both families; else one dump
 * per family, AF_INET then AF_INET6), decoded here into typed arrays so that JavaScript never sees
 * the netlink bytes or builds a temporary object per socket. This replaces reading
 * /proc/net/tcp{,6}, whose text the kernel formats with sprintf per socket and JavaScript parses
 * again (src/probe/net-diag.ts says how the fields map onto what /proc prints).
 *
 * Two requests: LISTEN first, with INET_DIAG_SKMEMINFO, then every other state asked without
 * extensions. The kernel walks its listening hash only for the first (inet_diag_dump_icsk skips it
 * when TCPF_LISTEN is not asked) and its established hash only for the second (skipped when only
 * TCPF_LISTEN is asked): the same work as one request of all states (measured at 100k sockets:
 * 87-88 ms against 90-92), while SKMEMINFO on every socket would cost 4 MB more replies per dump.
 * The listeners still come first, as they did from one request.
 *
 *   rows:  Uint32Array, ROW_WORDS per socket: family (4|6) | state << 8 | V6ONLY_* flags, sport << 16 | dport (host
 *          order), local address index, remote address index, rqueue, wqueue, uid, inode
 *          (struct inet_diag_msg, include/uapi/linux/inet_diag.h);
 *   addrs: Uint8Array, 16 network-order bytes per distinct address (IPv4 in the first 4), so each
 *          address is formatted once however many sockets share it; addrFamilies: 4 | 6 for each;
 *   ipv6:  false when the kernel has no IPv6 sock_diag handler (IPv6 disabled): nothing to list;
 *   listenerDrops: Uint32Array of (row, drops) pairs: SK_MEMINFO_DROPS of each listener whose reply
 *          carried it (sk_drops, which tcp_listendrop() counts per listener since Linux 4.7);
 *   acceptWaits: Uint32Array of (row, last_data_sent, last_data_recv, last_ack_recv) in ms for each
 *          connection waiting in an accept queue (childinfo.c), with flags & TCPTABLE_WAITS;
 *          acceptWaitsSkipped / acceptWaitsGone / acceptWaitsError: what was not measured and why.
 * The state is passed through as the kernel sent it; the caller rejects what it does not know.
 */
#include <errno.h>
#include <stdio.h>
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
/* At most this many waiting connections are looked up per namespace (~40 ms); beyond it an evenly
 * spread sample of them, and the rest counted in waits_skipped. */
#define MAX_LOOKUPS 16384u
#define TCP_ESTABLISHED_STATE 1
#define TCP_CLOSE_WAIT_STATE 8
#define TCP_LISTEN_STATE 10
#define LISTEN_BIT (1u << TCP_LISTEN_STATE)
/* include/uapi/linux/sock_diag.h: SK_MEMINFO_DROPS is the 9th u32 (Linux 4.7+; older kernels send 8). */
#define MEMINFO_DROPS 8

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

static int push_drops(table *t, uint32_t row, uint32_t drops) {
  if (t->ndrops == t->drops_cap) {
    size_t cap = t->drops_cap ? t->drops_cap * 2 : 64;
    uint32_t *p = realloc(t->drops, cap * 2 * sizeof *p);
    if (!p) return ENOMEM;
    t->drops = p;
    t->drops_cap = cap;
  }
  t->drops[t->ndrops * 2] = row;
  t->drops[t->ndrops * 2 + 1] = drops;
  t->ndrops++;
  return 0;
}

static int push_want(table *t, uint32_t row, const struct inet_diag_msg *m) {
  if (t->nwant == t->want_cap) {
    size_t cap = t->want_cap ? t->want_cap * 2 : 256;
    childinfo_want *p = realloc(t->want, cap * sizeof *p);
    if (!p) return ENOMEM;
    t->want = p;
    t->want_cap = cap;
  }
  t->want[t->nwant].row = row;
  t->want[t->nwant].family = m->idiag_family;
  t->want[t->nwant].id = m->id;
  t->nwant++;
  return 0;
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
  const int listen = m->idiag_state == TCP_LISTEN_STATE;
  if (family == 6 || listen) {
    /* Attributes follow the message (include/uapi/linux/rtnetlink.h rtattr framing). */
    const size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct inet_diag_msg)));
    const uint8_t *p = (const uint8_t *)h + off, *end = (const uint8_t *)h + h->nlmsg_len;
    while (h->nlmsg_len > off && end - p >= (ptrdiff_t)sizeof(struct rtattr)) {
      const struct rtattr *a = (const struct rtattr *)p;
      if (a->rta_len < sizeof *a || a->rta_len > end - p) break;
      const uint8_t *payload = (const uint8_t *)a + RTA_LENGTH(0);
      if (a->rta_type == INET_DIAG_SKV6ONLY && family == 6 && a->rta_len > sizeof *a) {
        row[0] |= V6ONLY_KNOWN | (*payload ? V6ONLY_SET : 0);
      } else if (a->rta_type == INET_DIAG_SKMEMINFO && listen && a->rta_len >= RTA_LENGTH((MEMINFO_DROPS + 1) * sizeof(uint32_t))) {
        uint32_t drops;
        memcpy(&drops, payload + MEMINFO_DROPS * sizeof(uint32_t), sizeof drops);
        int err = push_drops(t, (uint32_t)t->n, drops);
        if (err) return err;
      }
      p += RTA_ALIGN(a->rta_len);
    }
  }
  if (m->idiag_inode == 0 && (m->idiag_state == TCP_ESTABLISHED_STATE || m->idiag_state == TCP_CLOSE_WAIT_STATE)) {
    /* No file yet: maybe a connection waiting in an accept queue (kept for the lookups). */
    int err = push_want(t, (uint32_t)t->n, m);
    if (err) return err;
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
  free(t->drops);
  free(t->want);
  childinfo_free(&t->waits);
  t->rows = NULL;
  t->slots = NULL;
  t->addrs = t->families = NULL;
  t->drops = NULL;
  t->want = NULL;
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

/* Back to `n` sockets (a dump that failed part-way is retried another way); interned addresses stay. */
static void truncate_to(table *t, size_t n) {
  t->n = n;
  while (t->ndrops && t->drops[(t->ndrops - 1) * 2] >= n) t->ndrops--;
  while (t->nwant && t->want[t->nwant - 1].row >= n) t->nwant--;
}

/* The sockets in `states` with the attributes of `ext`: one walk of both families, else one dump per family. */
static int collect_states(uint32_t states, uint8_t ext, table *t, const char **what) {
  size_t mark = t->n;
  int err = sockdiag_dump_tcp_both(states, ext, add_msg, t, what);
  if (!err) return 0;
  truncate_to(t, mark);
  err = sockdiag_dump(AF_INET, IPPROTO_TCP, states, ext, add_msg, t, what);
  if (!err && t->ipv6) {
    size_t v4 = t->n;
    err = sockdiag_dump(AF_INET6, IPPROTO_TCP, states, ext, add_msg, t, what);
    /* No IPv6 sock_diag handler (IPv6 disabled): no IPv6 sockets, not a failure. */
    if (err == ENOENT || err == EAFNOSUPPORT || err == EPROTONOSUPPORT) {
      truncate_to(t, v4);
      err = 0;
      t->ipv6 = 0;
    }
  }
  return err;
}

/*
 * The connections kept by add_msg whose local port is a listener's: those waiting in its accept
 * queue (a connection no process holds yet, on the listening port). An evenly spread sample when
 * there are more than MAX_LOOKUPS.
 */
static void lookup_waits(table *t) {
  uint8_t *ports = calloc(65536 / 8, 1);
  if (!ports) { t->waits_err = ENOMEM; t->waits_what = "malloc"; return; }
  for (size_t i = 0; i < t->n; i++) {
    const uint32_t *row = t->rows + i * ROW_WORDS;
    if (((row[0] >> 8) & 0xff) == TCP_LISTEN_STATE) { uint32_t p = row[1] >> 16; ports[p >> 3] |= (uint8_t)(1u << (p & 7)); }
  }
  size_t n = 0;
  for (size_t i = 0; i < t->nwant; i++) {
    uint16_t p = ntohs(t->want[i].id.idiag_sport);
    if (ports[p >> 3] & (1u << (p & 7))) t->want[n++] = t->want[i];
  }
  free(ports);
  t->nwant = n;
  if (n > MAX_LOOKUPS) {
    size_t keep = 0;
    for (size_t k = 0; k < MAX_LOOKUPS; k++) t->want[keep++] = t->want[k * n / MAX_LOOKUPS];
    t->waits_skipped = (uint32_t)(n - keep);
    t->nwant = keep;
  }
  const char *what = "";
  int err = childinfo_lookup(t->want, t->nwant, &t->waits, t->raw_waits, &what);
  if (err) { t->waits_err = err; t->waits_what = what; }
}

int tcptable_collect(uint32_t states, uint32_t flags, table *t, const char **what) {
  sockdiag_bytes *raw = t->raw_waits;
  memset(t, 0, sizeof *t);
  t->raw_waits = raw;
  t->ipv6 = 1;
  int err = 0;
  if (flags & TCPTABLE_PLAIN) {
    t->plain = 1;
    return collect_states(states, 0, t, what);
  }
  if (states & LISTEN_BIT) err = collect_states(LISTEN_BIT, SOCKDIAG_EXT(INET_DIAG_SKMEMINFO), t, what);
  if (!err && (states & ~LISTEN_BIT)) err = collect_states(states & ~LISTEN_BIT, 0, t, what);
  if (!err && (flags & TCPTABLE_WAITS) && (states & LISTEN_BIT)) lookup_waits(t);
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
  /*
   * Shrink to fit first: the rows grow by doubling from 4096 (128 KB), and V8 is told only the
   * length, so an empty namespace's 2 rows held 128 KB that no GC pressure would free soon: 2,000
   * namespaces kept 256 MB of C heap per snapshot alive (issue 23). realloc to a smaller size
   * returns the tail to malloc.
   */
  if (length && t->rows && t->cap > t->n) {
    uint32_t *fit = realloc(t->rows, length * sizeof(uint32_t));
    if (fit) {
      t->rows = fit;
      t->cap = t->n;
    }
  }
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
  if (t->plain) return obj; /* neither drops nor waits asked: absent, as from an addon that predates them */
  napi_value drops = typed_copy(env, napi_uint32_array, t->ndrops * 2, sizeof(uint32_t), t->drops),
             waits = typed_copy(env, napi_uint32_array, t->waits.n * CHILDINFO_WORDS, sizeof(uint32_t), t->waits.words), skipped, gone, werr;
  if (!drops || !waits || napi_create_uint32(env, t->waits_skipped, &skipped) != napi_ok || napi_create_uint32(env, t->waits.gone, &gone) != napi_ok) return NULL;
  if (t->waits_err) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s: %s", t->waits_what ? t->waits_what : "lookup", strerror(t->waits_err));
    if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &werr) != napi_ok) return NULL;
  } else if (napi_get_null(env, &werr) != napi_ok) return NULL;
  napi_set_named_property(env, obj, "listenerDrops", drops);
  napi_set_named_property(env, obj, "acceptWaits", waits);
  napi_set_named_property(env, obj, "acceptWaitsSkipped", skipped);
  napi_set_named_property(env, obj, "acceptWaitsGone", gone);
  napi_set_named_property(env, obj, "acceptWaitsError", werr);
  return obj;
}

/* tcpDiagTable(statesMask, flags = TCPTABLE_WAITS); flags & 2: also `waitBytes`, the lookups' raw replies (a capture); & 4: TCPTABLE_PLAIN. */
#define TCPTABLE_JS_RAW 2u
static napi_value tcp_diag_table(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t states, flags = TCPTABLE_WAITS;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || argc > 2 ||
      napi_get_value_uint32(env, argv[0], &states) != napi_ok || (argc == 2 && napi_get_value_uint32(env, argv[1], &flags) != napi_ok)) {
    napi_throw_type_error(env, NULL, "tcpDiagTable(statesMask: u32, flags?: u32)");
    return NULL;
  }
  table t;
  sockdiag_bytes raw = {0};
  memset(&t, 0, sizeof t);
  if (flags & TCPTABLE_JS_RAW) t.raw_waits = &raw;
  const char *what = "";
  int err = tcptable_collect(states, flags & (TCPTABLE_WAITS | TCPTABLE_PLAIN), &t, &what);
  if (err) {
    tcptable_free(&t);
    free(raw.buf);
    return sockdiag_throw_errno(env, what, err);
  }
  napi_value obj = tcptable_to_js(env, &t), bytes;
  tcptable_free(&t);
  if (obj && (flags & TCPTABLE_JS_RAW)) {
    if (napi_create_buffer_copy(env, raw.len, raw.buf ? (void *)raw.buf : (void *)"", NULL, &bytes) != napi_ok) obj = NULL;
    else napi_set_named_property(env, obj, "waitBytes", bytes);
  }
  free(raw.buf);
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
