/* procFilesAsync and pidNetns (procread.c), registered on the module's exports by sockdiag.c. */
#ifndef SOCKDOC_PROCREAD_H
#define SOCKDOC_PROCREAD_H
#include <node_api.h>

/* Adds procFilesAsync and pidNetns to exports; 0 on success. */
int procread_init(napi_env env, napi_value exports);

#endif
