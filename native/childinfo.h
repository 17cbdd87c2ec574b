/* Exact sock_diag lookups of connections waiting in accept queues (childinfo.c), for tcptable.c. */
#ifndef SOCKDOC_CHILDINFO_H
#define SOCKDOC_CHILDINFO_H
#include <stddef.h>
#include <stdint.h>
#include <linux/inet_diag.h>
#include "sockdiag.h"

/* A socket to look up: its row in the table, its family (AF_INET/AF_INET6) and its id as the dump gave it. */
typedef struct {
  uint32_t row;
  uint8_t family;
  struct inet_diag_sockid id;
} childinfo_want;

/* Words per answer in childinfo_result.words: row, tcpi_last_data_sent, tcpi_last_data_recv, tcpi_last_ack_recv (ms). */
#define CHILDINFO_WORDS 4

typedef struct {
  uint32_t *words; /* CHILDINFO_WORDS per socket that answered */
  size_t n, cap;
  uint32_t gone;   /* asked but gone or changed since the dump (ENOENT, ESTALE) */
} childinfo_result;

/*
 * Looks up each of `want` (n of them) with INET_DIAG_INFO in the calling thread's network namespace
 * and appends an answer per socket found to *out; with `raw`, also every reply message as it came
 * (then one NLMSG_DONE), for a capture. 0 or an errno with the step in *what; answers already
 * appended stay.
 */
int childinfo_lookup(const childinfo_want *want, size_t n, childinfo_result *out, sockdiag_bytes *raw, const char **what);

void childinfo_free(childinfo_result *r);

#endif
