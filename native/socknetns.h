/* socketNetnsAsync (socknetns.c), registered on the module's exports by sockdiag.c. */
#ifndef SOCKDOC_SOCKNETNS_H
#define SOCKDOC_SOCKNETNS_H
#include <node_api.h>

/* Adds socketNetnsAsync to exports; 0 on success. */
int socknetns_init(napi_env env, napi_value exports);

#endif
