/* mallocTrim, mallocStats and mallocLimits (heap.c), registered on the module's exports by sockdiag.c. */
#ifndef SOCKDOC_HEAP_H
#define SOCKDOC_HEAP_H
#include <node_api.h>

/* Adds mallocTrim, mallocStats and mallocLimits to exports; 0 on success. */
int heap_init(napi_env env, napi_value exports);

#endif
