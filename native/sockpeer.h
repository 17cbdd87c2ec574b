/* inetDiagPeerUid: the uid of a local TCP client's socket, by its four-tuple (sockpeer.c). */
#ifndef SOCKDOC_SOCKPEER_H
#define SOCKDOC_SOCKPEER_H
#include <node_api.h>

/* Adds inetDiagPeerUid to the addon's exports; 0 or -1. */
int sockpeer_init(napi_env env, napi_value exports);

#endif
