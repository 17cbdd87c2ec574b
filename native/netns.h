/* netnsReadAsync (netns.c), registered on the module's exports by sockdiag.c. */
#ifndef SOCKDOC_NETNS_H
#define SOCKDOC_NETNS_H
#include <node_api.h>

/* Adds netnsReadAsync to exports; 0 on success. */
int netns_init(napi_env env, napi_value exports);

#endif
