/*
 * The C heap of the process, for `sockdoc serve` (src/serve/memory.ts): what glibc's malloc holds
 * and a way to give its free pages back.
 *
 * Why: the native readers (netns.c, fdwalk.c, tcptable.c) run on threads of their own, and glibc
 * gives each thread an arena (up to 8 per core, malloc(3) "M_ARENA_MAX"). A flood of namespaces
 * makes every arena grow by the size of the largest read; once freed, that memory stays in the
 * arenas (only the top of an arena's heap is trimmed by free()) and the exporter's RSS stays at its
 * peak for good. malloc_trim(0) (malloc_trim(3); glibc >= 2.8 walks every arena and returns whole
 * free pages anywhere in them with madvise(MADV_DONTNEED)) gives them back.
 *
 *   mallocTrim() -> boolean          true when some memory was returned to the system
 *   mallocStats() -> { arenaBytes, mmapBytes, usedBytes, freeBytes } | null
 *                                    mallinfo2(3) over every arena; null where malloc is not glibc's
 *   mallocLimits(arenaMax, mmapThreshold) -> boolean
 *                                    mallopt(3) M_ARENA_MAX and M_MMAP_THRESHOLD (0: left as is);
 *                                    true when glibc took both
 *
 * mallocLimits is for a long-running exporter whose reader threads come and go (netns.c makes a
 * thread per CPU for every batch of namespaces): every such thread's first malloc otherwise gets
 * an arena of its own, up to 8 per core, and each arena keeps the high-water mark of the reads it
 * served. A fixed M_MMAP_THRESHOLD also turns off glibc's dynamic threshold (it rises to the size of
 * the largest block freed, up to 32 MB, after which a namespace's sock_diag buffers and tables come
 * from the arenas and stay there): blocks above it are mmap'd and unmapped when freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>
#include "heap.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static napi_value malloc_trim_fn(napi_env env, napi_callback_info info) {
  (void)info;
  int released = 0;
#if defined(__GLIBC__)
  released = malloc_trim(0);
#endif
  napi_value out;
  napi_get_boolean(env, released != 0, &out);
  return out;
}

static int set_number(napi_env env, napi_value obj, const char *name, double v) {
  napi_value n;
  return napi_create_double(env, v, &n) == napi_ok && napi_set_named_property(env, obj, name, n) == napi_ok ? 0 : -1;
}

static napi_value malloc_stats_fn(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 m = mallinfo2();
  if (napi_create_object(env, &out) != napi_ok) return NULL;
  /* arena: bytes taken from the system with brk/mmap'd arena heaps; hblkhd: large blocks mmap'd one by one. */
  if (set_number(env, out, "arenaBytes", (double)m.arena) || set_number(env, out, "mmapBytes", (double)m.hblkhd) ||
      set_number(env, out, "usedBytes", (double)(m.uordblks + m.hblkhd)) || set_number(env, out, "freeBytes", (double)m.fordblks))
    return NULL;
#else
  napi_get_null(env, &out);
#endif
  return out;
}

static napi_value malloc_limits_fn(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t arena_max = 0, mmap_threshold = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 || napi_get_value_uint32(env, argv[0], &arena_max) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &mmap_threshold) != napi_ok) {
    napi_throw_type_error(env, NULL, "mallocLimits(arenaMax: u32, mmapThreshold: u32)");
    return NULL;
  }
  int ok = 0;
#if defined(__GLIBC__)
  ok = 1;
  if (arena_max) ok &= mallopt(M_ARENA_MAX, (int)arena_max) == 1;
  if (mmap_threshold) ok &= mallopt(M_MMAP_THRESHOLD, (int)mmap_threshold) == 1;
#endif
  napi_value out;
  napi_get_boolean(env, ok != 0, &out);
  return out;
}

int heap_init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "mallocTrim", NAPI_AUTO_LENGTH, malloc_trim_fn, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "mallocTrim", fn) != napi_ok)
    return -1;
  if (napi_create_function(env, "mallocStats", NAPI_AUTO_LENGTH, malloc_stats_fn, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "mallocStats", fn) != napi_ok)
    return -1;
  if (napi_create_function(env, "mallocLimits", NAPI_AUTO_LENGTH, malloc_limits_fn, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "mallocLimits", fn) != napi_ok)
    return -1;
  return 0;
}
