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
 */
#include <stddef.h>
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

int heap_init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "mallocTrim", NAPI_AUTO_LENGTH, malloc_trim_fn, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "mallocTrim", fn) != napi_ok)
    return -1;
  if (napi_create_function(env, "mallocStats", NAPI_AUTO_LENGTH, malloc_stats_fn, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "mallocStats", fn) != napi_ok)
    return -1;
  return 0;
}
