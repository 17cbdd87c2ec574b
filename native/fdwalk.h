/* fdWalk / fdWalkAsync (fdwalk.c), registered on the module's exports by sockdiag.c. */
#ifndef SOCKDOC_FDWALK_H
#define SOCKDOC_FDWALK_H
#include <node_api.h>

/* Adds fdWalk and fdWalkAsync to exports; 0 on success. */
int fdwalk_init(napi_env env, napi_value exports);

#endif
