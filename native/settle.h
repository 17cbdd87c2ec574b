/*
 * The start and end of the addon's async reads (fdwalk.c, netns.c, procread.c, socknetns.c). The end: its promise is resolved
 * with the result built on the main thread, or rejected with the exception that building it left
 * pending, else with "<what>: the read was cancelled or its result not built" (a cancelled work
 * item, or a result that could not be made: napi_async_complete_callback's status).
 */
#ifndef SOCKDOC_SETTLE_H
#define SOCKDOC_SETTLE_H

#include <node_api.h>
#include <stdbool.h>
#include <stdio.h>

static inline void settle_deferred(napi_env env, napi_deferred deferred, napi_value result, const char *what) {
  if (result) {
    napi_resolve_deferred(env, deferred, result);
    return;
  }
  napi_value error = NULL, message;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) napi_get_and_clear_last_exception(env, &error);
  if (!error) {
    char text[160];
    snprintf(text, sizeof text, "%s: the read was cancelled or its result not built", what);
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
  }
  napi_reject_deferred(env, deferred, error);
}

/*
 * Starts an async read: a promise, and `execute` queued on the libuv pool with `complete` after it
 * (which settles `*deferred` and deletes `*work`). Returns the promise, or NULL after throwing
 * "<what>: could not queue the read"; the caller then frees `data`.
 */
static inline napi_value queue_deferred(napi_env env, const char *resource, napi_async_execute_callback execute, napi_async_complete_callback complete,
                                        void *data, napi_async_work *work, napi_deferred *deferred, const char *what) {
  napi_value promise, name;
  char text[160];
  snprintf(text, sizeof text, "%s: could not queue the read", what);
  if (napi_create_promise(env, deferred, &promise) != napi_ok || napi_create_string_utf8(env, resource, NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, data, work) != napi_ok) {
    napi_throw_error(env, NULL, text);
    return NULL;
  }
  if (napi_queue_async_work(env, *work) != napi_ok) {
    napi_delete_async_work(env, *work);
    napi_throw_error(env, NULL, text);
    return NULL;
  }
  return promise;
}

#endif
