/* The BPF task_file iterator behind the fd walk (bpffds.c); used by fdwalk.c. */
#ifndef SOCKDOC_BPFFDS_H
#define SOCKDOC_BPFFDS_H
#include <stddef.h>
#include <stdint.h>

/* Bytes per record: u32 tgid, u32 fd, u64 inode (0 for anything but a socket), u32 superblock magic,
 * u32 inode mode, u8[8] the start of an anon inode's dentry name (bpffds.c). */
#define BPFFDS_RECORD 32
/* Bound on one read: 16 M fds. */
#define BPFFDS_MAX_BYTES ((size_t)BPFFDS_RECORD << 24)

/* Loads the program and creates its iterator link; 0 and *link_fd, or an errno and the step in *what. */
int bpffds_open(int *link_fd, const char **what);

/* Runs the iterator once: every fd of every thread-group leader on the host as records in *out
 * (malloc'd, *len bytes). *iter_fd is the iterator's own fd number, which this process held while
 * it ran (the caller's pid-namespace check). 0, or an errno and the step in *what. */
int bpffds_read(int link_fd, uint8_t **out, size_t *len, int *iter_fd, const char **what);

#endif
