/* userNsInfo (userns.c), registered on the module's exports by sockdiag.c. */
#ifndef SOCKDOC_USERNS_H
#define SOCKDOC_USERNS_H
#include <node_api.h>

/* Adds userNsInfo to exports; 0 on success. */
int userns_init(napi_env env, napi_value exports);

#endif
