/* tcpDiagTable (tcptable.c), registered on the module's exports by sockdiag.c. */
#ifndef SOCKDOC_TCPTABLE_H
#define SOCKDOC_TCPTABLE_H
#include <node_api.h>

/* Adds tcpDiagTable to exports; 0 on success. */
int tcptable_init(napi_env env, napi_value exports);

#endif
