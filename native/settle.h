/*
 * The end of every async read of the addon (fdwalk.c, netns.c, procread.c): its promise is resolved
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

#endif
