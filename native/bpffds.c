/*
 * Every process's open fds in one pass inside the kernel: a BPF task_file iterator
 * (kernel/bpf/task_iter.c, Linux >= 5.8) instead of a readlink of each /proc/PID/fd/N.
 *
 * Why: at 100k socket fds the readlink walk costs ~490 ms of CPU here, nearly all of it procfs
 * path lookups (tid_fd_revalidate, proc_fd_link, d_path) — more than sockdoc serve may spend on a
 * whole scrape. The iterator visits each task's fd table once (task_file_seq_get_next) and the
 * program below writes 16 bytes per fd: ~30-60 ms for the same 100k fds.
 *
 * The program is written as raw BPF instructions (no clang, no libbpf at build or run time). The
 * offsets it needs (task_struct.pid/.tgid, file.f_inode/.f_path, path.dentry, dentry.d_iname (d_shortname
 * since 6.14), inode.i_mode/.i_ino/.i_sb, super_block.s_magic, bpf_iter_meta.seq)
 * are looked up in the running kernel's BTF (/sys/kernel/btf/vmlinux) when it is loaded, the way
 * libbpf's CO-RE relocations would, so one build works on every kernel that has BTF.
 *
 * Record per fd (host byte order), BPFFDS_RECORD bytes: u32 tgid, u32 fd, u64 inode (0 unless a sockfs
 * inode), u32 the superblock's magic, u32 the inode's mode, u8[8] the start of the dentry's name for
 * an anon inode ("[eventpoll]", "inotify", ...; else zeros): what fdkind.h needs to tell the fd's
 * kind, as the /proc walk tells it from the link's text. Only a thread group leader's table is
 * reported (task->pid == task->tgid): /proc/PID/fd shows the leader's.
 *
 * Needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN) and kernel BTF; any failure is an errno with
 * the step that failed, and the caller walks /proc instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "bpffds.h"

#if defined(__linux__) && __has_include(<linux/bpf.h>) && __has_include(<linux/btf.h>) && defined(SYS_bpf)
#include <linux/bpf.h>
#include <linux/btf.h>
#define HAVE_BPF_ITER 1
#endif

#ifdef HAVE_BPF_ITER

#define BTF_PATH "/sys/kernel/btf/vmlinux"
#define BTF_MAX (64u << 20) /* bound the read of a file that claims to be BTF */
#ifndef BTF_KIND_ENUM64
#define BTF_KIND_ENUM64 19
#endif

typedef struct {
  uint8_t *data;
  const uint8_t *types;
  uint32_t types_len;
  const char *strs;
  uint32_t strs_len;
  uint32_t ntypes;
  const struct btf_type **index; /* index[id], ids from 1 */
} btf_file;

/* Bytes of a type record with its kind-specific tail (include/uapi/linux/btf.h); 0 = unknown kind. */
static size_t btf_type_size(const struct btf_type *t) {
  uint32_t vlen = BTF_INFO_VLEN(t->info);
  switch (BTF_INFO_KIND(t->info)) {
    case BTF_KIND_INT: return sizeof *t + sizeof(uint32_t);
    case BTF_KIND_ARRAY: return sizeof *t + sizeof(struct btf_array);
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: return sizeof *t + vlen * sizeof(struct btf_member);
    case BTF_KIND_ENUM: return sizeof *t + vlen * sizeof(struct btf_enum);
    case BTF_KIND_FUNC_PROTO: return sizeof *t + vlen * sizeof(struct btf_param);
    case BTF_KIND_VAR: return sizeof *t + sizeof(struct btf_var);
    case BTF_KIND_DATASEC: return sizeof *t + vlen * sizeof(struct btf_var_secinfo);
    case BTF_KIND_DECL_TAG: return sizeof *t + sizeof(uint32_t);
    case BTF_KIND_ENUM64: return sizeof *t + vlen * 3 * sizeof(uint32_t);
    case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_FLOAT: case BTF_KIND_TYPE_TAG: return sizeof *t;
    default: return 0;
  }
}

static void btf_free(btf_file *b) {
  free(b->data);
  free(b->index);
}

static int btf_load(btf_file *b) {
  memset(b, 0, sizeof *b);
  int fd = open(BTF_PATH, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  size_t cap = 8u << 20, len = 0;
  b->data = malloc(cap);
  if (!b->data) { close(fd); return ENOMEM; }
  for (;;) {
    ssize_t n = read(fd, b->data + len, cap - len);
    if (n < 0) { int e = errno; close(fd); return e; }
    if (n == 0) break;
    len += (size_t)n;
    if (len == cap) {
      if (cap >= BTF_MAX) { close(fd); return EFBIG; }
      uint8_t *p = realloc(b->data, cap * 2);
      if (!p) { close(fd); return ENOMEM; }
      b->data = p;
      cap *= 2;
    }
  }
  close(fd);
  const struct btf_header *h = (const void *)b->data;
  if (len < sizeof *h || h->magic != BTF_MAGIC || (uint64_t)h->hdr_len + h->type_off + h->type_len > len ||
      (uint64_t)h->hdr_len + h->str_off + h->str_len > len)
    return EPROTO;
  b->types = b->data + h->hdr_len + h->type_off;
  b->types_len = h->type_len;
  b->strs = (const char *)b->data + h->hdr_len + h->str_off;
  b->strs_len = h->str_len;
  uint32_t count = 0;
  for (size_t off = 0; off < b->types_len; count++) {
    if (b->types_len - off < sizeof(struct btf_type)) return EPROTO;
    size_t sz = btf_type_size((const void *)(b->types + off));
    if (!sz || sz > b->types_len - off) return EPROTO;
    off += sz;
  }
  b->index = calloc((size_t)count + 1, sizeof *b->index);
  if (!b->index) return ENOMEM;
  size_t off = 0;
  for (uint32_t i = 1; i <= count; i++) {
    b->index[i] = (const void *)(b->types + off);
    off += btf_type_size(b->index[i]);
  }
  b->ntypes = count;
  return 0;
}

static const char *btf_name(const btf_file *b, uint32_t off) { return off < b->strs_len ? b->strs + off : ""; }

static int32_t btf_find(const btf_file *b, const char *name, unsigned kind) {
  for (uint32_t i = 1; i <= b->ntypes; i++)
    if (BTF_INFO_KIND(b->index[i]->info) == kind && strcmp(btf_name(b, b->index[i]->name_off), name) == 0) return (int32_t)i;
  return -1;
}

/* Byte offset of member `name` in struct/union `id`, looking into anonymous members; -1 if absent. */
static long btf_member_offset(const btf_file *b, uint32_t id, const char *name, int depth) {
  while (id && id <= b->ntypes) {
    unsigned k = BTF_INFO_KIND(b->index[id]->info);
    if (k != BTF_KIND_TYPEDEF && k != BTF_KIND_VOLATILE && k != BTF_KIND_CONST && k != BTF_KIND_RESTRICT && k != BTF_KIND_TYPE_TAG) break;
    id = b->index[id]->type;
  }
  if (!id || id > b->ntypes || depth > 8) return -1;
  const struct btf_type *t = b->index[id];
  unsigned k = BTF_INFO_KIND(t->info);
  if (k != BTF_KIND_STRUCT && k != BTF_KIND_UNION) return -1;
  const struct btf_member *m = (const void *)(t + 1);
  for (uint32_t i = 0; i < BTF_INFO_VLEN(t->info); i++) {
    uint32_t bits = BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
    if (m[i].name_off == 0) {
      long inner = btf_member_offset(b, m[i].type, name, depth + 1);
      if (inner >= 0 && bits % 8 == 0) return (long)(bits / 8) + inner;
    } else if (strcmp(btf_name(b, m[i].name_off), name) == 0) {
      return bits % 8 ? -1 : (long)(bits / 8);
    }
  }
  return -1;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (int16_t)(o), .imm = (i)})

/* struct bpf_iter__task_file (DEFINE_BPF_ITER_FUNC(task_file, meta, task, fd, file)): one u64 slot per argument. */
/* include/uapi/linux/magic.h: the superblock of every socket's inode (net/socket.c sockfs). A file
 * with S_IFSOCK elsewhere (an O_PATH fd on a Unix socket's file in tmpfs) is no socket: /proc shows
 * it as a path, not socket:[N], and its i_ino is that filesystem's number, which could equal a
 * socket's and give the socket a wrong owner. */
#define SOCKFS_MAGIC 0x534F434B
/* include/uapi/linux/magic.h: the superblock of anon inodes (eventpoll, eventfd, inotify, ...), whose
 * dentry name says which they are. Short names live in the dentry itself (d_iname, DNAME_INLINE_LEN
 * bytes; the union d_shortname since 6.14), so the program reads them without a helper. */
#define ANON_INODE_FS_MAGIC 0x09041934
enum { CTX_META = 0, CTX_TASK = 8, CTX_FD = 16, CTX_FILE = 24 };

int bpffds_open(int *link_fd, const char **what) {
  btf_file b;
  int err = btf_load(&b);
  if (err) { *what = "read " BTF_PATH; btf_free(&b); return err; }
  int32_t task = btf_find(&b, "task_struct", BTF_KIND_STRUCT), file = btf_find(&b, "file", BTF_KIND_STRUCT),
          inode = btf_find(&b, "inode", BTF_KIND_STRUCT), meta = btf_find(&b, "bpf_iter_meta", BTF_KIND_STRUCT),
          target = btf_find(&b, "bpf_iter_task_file", BTF_KIND_FUNC), sb = btf_find(&b, "super_block", BTF_KIND_STRUCT),
          path = btf_find(&b, "path", BTF_KIND_STRUCT), dentry = btf_find(&b, "dentry", BTF_KIND_STRUCT);
  long o_pid = task > 0 ? btf_member_offset(&b, (uint32_t)task, "pid", 0) : -1,
       o_tgid = task > 0 ? btf_member_offset(&b, (uint32_t)task, "tgid", 0) : -1,
       o_inode = file > 0 ? btf_member_offset(&b, (uint32_t)file, "f_inode", 0) : -1,
       o_mode = inode > 0 ? btf_member_offset(&b, (uint32_t)inode, "i_mode", 0) : -1,
       o_ino = inode > 0 ? btf_member_offset(&b, (uint32_t)inode, "i_ino", 0) : -1,
       o_seq = meta > 0 ? btf_member_offset(&b, (uint32_t)meta, "seq", 0) : -1,
       o_sb = inode > 0 ? btf_member_offset(&b, (uint32_t)inode, "i_sb", 0) : -1,
       o_magic = sb > 0 ? btf_member_offset(&b, (uint32_t)sb, "s_magic", 0) : -1,
       o_fpath = file > 0 ? btf_member_offset(&b, (uint32_t)file, "f_path", 0) : -1,
       o_pdentry = path > 0 ? btf_member_offset(&b, (uint32_t)path, "dentry", 0) : -1,
       o_dname = dentry > 0 ? btf_member_offset(&b, (uint32_t)dentry, "d_shortname", 0) : -1;
  if (o_dname < 0 && dentry > 0) o_dname = btf_member_offset(&b, (uint32_t)dentry, "d_iname", 0);
  btf_free(&b);
  if (target < 0) { *what = "find bpf_iter_task_file in BTF"; return ENOENT; }
  const long offsets[] = {o_pid, o_tgid, o_inode, o_mode, o_ino, o_seq, o_sb, o_magic, o_fpath, o_pdentry, o_dname};
  int bad = 0;
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) bad |= offsets[i] < 0 || offsets[i] > 32767;
  if (bad) {
    *what = "find struct members in BTF";
    return ENOENT;
  }
  const long o_fdentry = o_fpath + o_pdentry;
  /* Record on the stack at fp-32: tgid -32, fd -28, inode -24, magic -16, mode -12, name -8. */
  const struct bpf_insn prog[] = {
      INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),              /*  0 r6 = ctx */
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 7, 6, CTX_TASK, 0),        /*  1 r7 = ctx->task */
      INSN(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 31, 0),               /*  2 NULL at the end of the walk: exit (34) */
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 8, 6, CTX_FILE, 0),        /*  3 r8 = ctx->file */
      INSN(BPF_JMP | BPF_JEQ | BPF_K, 8, 0, 29, 0),               /*  4 -> 34 */
      INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 7, o_pid, 0),            /*  5 r2 = task->pid */
      INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 7, o_tgid, 0),           /*  6 r3 = task->tgid */
      INSN(BPF_JMP | BPF_JNE | BPF_X, 2, 3, 26, 0),               /*  7 not the leader (/proc/PID/fd is the leader's table): -> 34 */
      INSN(BPF_STX | BPF_MEM | BPF_W, 10, 3, -32, 0),             /*  8 rec.tgid */
      INSN(BPF_LDX | BPF_MEM | BPF_W, 4, 6, CTX_FD, 0),           /*  9 r4 = ctx->fd */
      INSN(BPF_STX | BPF_MEM | BPF_W, 10, 4, -28, 0),             /* 10 rec.fd */
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 9, 8, o_inode, 0),         /* 11 r9 = file->f_inode */
      INSN(BPF_LDX | BPF_MEM | BPF_H, 5, 9, o_mode, 0),           /* 12 r5 = inode->i_mode */
      INSN(BPF_STX | BPF_MEM | BPF_W, 10, 5, -12, 0),             /* 13 rec.mode */
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 9, o_sb, 0),            /* 14 r1 = inode->i_sb */
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 1, o_magic, 0),         /* 15 r1 = i_sb->s_magic */
      INSN(BPF_STX | BPF_MEM | BPF_W, 10, 1, -16, 0),             /* 16 rec.magic */
      INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),              /* 17 r0 = 0 */
      INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 0, -24, 0),            /* 18 rec.inode = 0 */
      INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 0, -8, 0),             /* 19 rec.name = 0 */
      INSN(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 3, SOCKFS_MAGIC),     /* 20 not a socket (an O_PATH fd on a socket file in tmpfs is not one either): -> 24 */
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 0, 9, o_ino, 0),           /* 21 r0 = inode->i_ino */
      INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 0, -24, 0),            /* 22 rec.inode */
      INSN(BPF_JMP | BPF_JA, 0, 0, 4, 0),                         /* 23 -> 28 */
      INSN(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 3, ANON_INODE_FS_MAGIC), /* 24 not an anon inode: -> 28 */
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 8, o_fdentry, 0),       /* 25 r1 = file->f_path.dentry */
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 1, o_dname, 0),         /* 26 r1 = the first 8 bytes of its inline name */
      INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 1, -8, 0),             /* 27 rec.name */
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 6, CTX_META, 0),        /* 28 r1 = ctx->meta */
      INSN(BPF_LDX | BPF_MEM | BPF_DW, 1, 1, o_seq, 0),           /* 29 r1 = meta->seq */
      INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),             /* 30 */
      INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -32),            /* 31 r2 = &rec */
      INSN(BPF_ALU64 | BPF_MOV | BPF_K, 3, 0, 0, BPFFDS_RECORD),  /* 32 r3 = sizeof rec */
      INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_seq_write),      /* 33 */
      INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),              /* 34 return 0: go on */
      INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),                       /* 35 */
  };
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_TRACING;
  a.expected_attach_type = BPF_TRACE_ITER;
  a.attach_btf_id = (uint32_t)target;
  a.insns = (uint64_t)(uintptr_t)prog;
  a.insn_cnt = sizeof prog / sizeof prog[0];
  /* bpf_seq_write is GPL-only (kernel/bpf/helpers.c); the kernel accepts a dual licence. */
  a.license = (uint64_t)(uintptr_t) "Dual MIT/GPL";
  memcpy(a.prog_name, "sockdoc_fds", sizeof "sockdoc_fds");
  /* The verifier gives up with EAGAIN when a signal is pending (kernel/bpf/verifier.c, do_check:
   * signal_pending), e.g. a profiler's SIGPROF every 50 us, faster than a load. Signals are blocked
   * on this thread for the load (blocked ones do not count as pending; they are delivered right
   * after), and an EAGAIN is still retried, as libbpf's sys_bpf_prog_load does. */
  sigset_t all, old;
  sigfillset(&all);
  int masked = pthread_sigmask(SIG_BLOCK, &all, &old) == 0;
  int prog_fd = -1, load_err = 0;
  for (int attempt = 0; attempt < 8; attempt++) {
    prog_fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a);
    load_err = errno;
    if (prog_fd >= 0 || load_err != EAGAIN) break;
  }
  if (masked) pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (prog_fd < 0) { *what = "bpf(BPF_PROG_LOAD)"; return load_err; }
  memset(&a, 0, sizeof a);
  a.link_create.prog_fd = (uint32_t)prog_fd;
  a.link_create.attach_type = BPF_TRACE_ITER;
  int fd = (int)syscall(SYS_bpf, BPF_LINK_CREATE, &a, sizeof a);
  err = errno;
  close(prog_fd); /* the link holds the program */
  if (fd < 0) { *what = "bpf(BPF_LINK_CREATE)"; return err; }
  *link_fd = fd;
  return 0;
}

int bpffds_read(int link_fd, uint8_t **out, size_t *len, int *iter_fd, const char **what) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.iter_create.link_fd = (uint32_t)link_fd;
  int fd = (int)syscall(SYS_bpf, BPF_ITER_CREATE, &a, sizeof a);
  if (fd < 0) { *what = "bpf(BPF_ITER_CREATE)"; return errno; }
  size_t cap = 1u << 20, n = 0;
  uint8_t *buf = malloc(cap);
  int err = buf ? 0 : ENOMEM;
  while (!err) {
    if (cap - n < (64u << 10)) {
      if (cap >= BPFFDS_MAX_BYTES) { err = EFBIG; break; }
      uint8_t *p = realloc(buf, cap * 2);
      if (!p) { err = ENOMEM; break; }
      buf = p;
      cap *= 2;
    }
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0) {
      if (errno == EINTR) continue;
      err = errno;
    } else if (got == 0) {
      break;
    } else {
      n += (size_t)got;
    }
  }
  *iter_fd = fd;
  close(fd);
  if (err) { free(buf); *what = "read the task_file iterator"; return err; }
  *out = buf;
  *len = n - n % BPFFDS_RECORD;
  return 0;
}

#else

int bpffds_open(int *link_fd, const char **what) {
  (void)link_fd;
  *what = "BPF iterators (not built in: no <linux/bpf.h>)";
  return ENOSYS;
}

int bpffds_read(int link_fd, uint8_t **out, size_t *len, int *iter_fd, const char **what) {
  (void)link_fd; (void)out; (void)len; (void)iter_fd;
  *what = "BPF iterators (not built in)";
  return ENOSYS;
}

#endif
