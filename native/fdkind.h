/*
 * What an open file is, from the target of its /proc/PID/fd link (fs/proc/fd.c proc_fd_link ->
 * d_path) or, in the BPF iterator, from its inode's superblock, mode and dentry name. Both give the
 * same kind for the same fd; src/probe/fd-kinds.ts mirrors the list (FD_KIND_NAMES) and the
 * /proc rules (fdKindOfTarget), and src/probe/fd-walk.test.ts holds the three walkers to one answer.
 *
 * Link targets (d_dname of each pseudo filesystem): "socket:[N]" (net/socket.c sockfs_dname),
 * "pipe:[N]" (fs/pipe.c pipefs_dname), "anon_inode:NAME" (fs/anon_inodes.c anon_inodefs_dname;
 * NAME "[eventpoll]", "[eventfd]", "inotify", "[timerfd]", "[signalfd]", "[pidfd]", "[io_uring]",
 * "[fanotify]", "bpf-map", ...; pidfs since 6.9 prints "anon_inode:[pidfd]" too), "net:[N]" and
 * the like (nsfs), else a path: a device under /dev (not /dev/shm, /dev/mqueue, /dev/hugepages,
 * which hold files), or a file ("/memfd:x (deleted)" included). A link the kernel refused
 * (EACCES) is "unknown".
 */
#ifndef SOCKDOC_FDKIND_H
#define SOCKDOC_FDKIND_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum {
  FDK_SOCKET = 0,
  FDK_PIPE,
  FDK_EVENTPOLL,
  FDK_EVENTFD,
  FDK_INOTIFY,
  FDK_TIMERFD,
  FDK_SIGNALFD,
  FDK_PIDFD,
  FDK_IO_URING,
  FDK_ANON,
  FDK_FILE,
  FDK_DEVICE,
  FDK_OTHER,
  FDK_UNKNOWN,
  FDK_COUNT
};

static inline int fdk_prefix(const char *t, size_t len, const char *p) {
  size_t n = strlen(p);
  return len >= n && memcmp(t, p, n) == 0;
}

static inline int fdk_equals(const char *t, size_t len, const char *s) {
  return len == strlen(s) && memcmp(t, s, len) == 0;
}

/* The kind of an anon inode from its name (the part after "anon_inode:"). */
static inline int fdkind_of_anon(const char *n, size_t len) {
  if (fdk_equals(n, len, "[eventpoll]")) return FDK_EVENTPOLL;
  if (fdk_equals(n, len, "[eventfd]")) return FDK_EVENTFD;
  if (fdk_equals(n, len, "inotify")) return FDK_INOTIFY;
  if (fdk_equals(n, len, "[timerfd]")) return FDK_TIMERFD;
  if (fdk_equals(n, len, "[signalfd]")) return FDK_SIGNALFD;
  if (fdk_equals(n, len, "[pidfd]")) return FDK_PIDFD;
  if (fdk_equals(n, len, "[io_uring]")) return FDK_IO_URING;
  return FDK_ANON;
}

/* The kind of a /proc/PID/fd link target of `len` bytes. */
static inline int fdkind_of_target(const char *t, size_t len) {
  if (len == 0) return FDK_OTHER;
  if (t[0] == '/') {
    if (fdk_prefix(t, len, "/dev/") && !fdk_prefix(t, len, "/dev/shm/") && !fdk_prefix(t, len, "/dev/mqueue/") && !fdk_prefix(t, len, "/dev/hugepages/")) return FDK_DEVICE;
    return FDK_FILE;
  }
  if (fdk_prefix(t, len, "socket:[")) return FDK_SOCKET;
  if (fdk_prefix(t, len, "pipe:[")) return FDK_PIPE;
  if (fdk_prefix(t, len, "anon_inode:")) return fdkind_of_anon(t + 11, len - 11);
  return FDK_OTHER;
}

/* include/uapi/linux/magic.h */
#define FDK_SOCKFS_MAGIC 0x534F434Bu
#define FDK_PIPEFS_MAGIC 0x50495045u
#define FDK_ANON_INODE_FS_MAGIC 0x09041934u
#define FDK_PID_FS_MAGIC 0x50494446u
#define FDK_NSFS_MAGIC 0x6e736673u

/* The kind of an fd the BPF iterator saw: its superblock's magic, its inode's mode and, for an anon
 * inode, the first 8 bytes of its dentry name (the names above all differ in those). */
static inline int fdkind_of_inode(uint32_t magic, uint32_t mode, const uint8_t name[8]) {
  switch (magic) {
    case FDK_SOCKFS_MAGIC: return FDK_SOCKET;
    case FDK_PIPEFS_MAGIC: return FDK_PIPE;
    case FDK_PID_FS_MAGIC: return FDK_PIDFD;
    case FDK_NSFS_MAGIC: return FDK_OTHER;
    case FDK_ANON_INODE_FS_MAGIC: {
      size_t n = 0;
      while (n < 8 && name[n]) n++;
      /* Eight bytes tell the known names apart; a name of eight or more matches by prefix. */
      static const struct { const char *full; int kind; } known[] = {
          {"[eventpoll]", FDK_EVENTPOLL}, {"[eventfd]", FDK_EVENTFD}, {"inotify", FDK_INOTIFY}, {"[timerfd]", FDK_TIMERFD},
          {"[signalfd]", FDK_SIGNALFD},   {"[pidfd]", FDK_PIDFD},     {"[io_uring]", FDK_IO_URING},
      };
      for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t full = strlen(known[i].full);
        if (full < 8 ? (n == full && memcmp(name, known[i].full, n) == 0) : (n == 8 && memcmp(name, known[i].full, 8) == 0)) return known[i].kind;
      }
      return FDK_ANON;
    }
    default: break;
  }
  switch (mode & 0170000) {
    case 0020000: /* S_IFCHR */
    case 0060000: /* S_IFBLK */
      return FDK_DEVICE;
    default:
      return FDK_FILE;
  }
}

#endif
