{
  "targets": [
    {
      "target_name": "sockdoc_native",
      "sources": ["sockdiag.c", "tcptable.c", "childinfo.c", "fdwalk.c", "bpffds.c", "netns.c", "userns.c", "sockpeer.c", "procread.c", "socknetns.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-O2", "-pthread"],
      "ldflags": ["-pthread"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "conditions": [["OS=='linux'", { "sources": ["heap.c"] }]]
    }
  ]
}
