/*
 * userNsInfo(paths) -> [{ inode, owner, parent, errno }]: who owns a user namespace and which is
 * its parent, from its file (/proc/PID/ns/user) with the nsfs ioctls (man 2 ioctl_ns):
 * NS_GET_OWNER_UID gives the uid that created it, as this process's user namespace sees it;
 * NS_GET_PARENT an fd of the parent (EPERM for the initial namespace, or one outside ours).
 * Why: inotify instances and watches are charged per user namespace and, through each parent, to
 * the namespace's owner (kernel/ucount.c inc_ucount walks ns->ucounts up to init_user_ns), so a
 * rootless container's watchers count against its owner's fs.inotify.max_user_* on the host.
 * Each field is -1 when unknown; errno is that of the open (0 when it opened).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <linux/nsfs.h>
#include <node_api.h>
#include "userns.h"

static napi_value info_of(napi_env env, const char *path) {
  double inode = -1, owner = -1, parent = -1;
  int err = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) err = errno;
  else {
    struct stat st;
    if (fstat(fd, &st) == 0) inode = (double)st.st_ino;
    uid_t uid;
    if (ioctl(fd, NS_GET_OWNER_UID, &uid) == 0) owner = (double)uid;
    int pfd = ioctl(fd, NS_GET_PARENT);
    if (pfd >= 0) {
      if (fstat(pfd, &st) == 0) parent = (double)st.st_ino;
      close(pfd);
    }
    close(fd);
  }
  napi_value obj, v;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  napi_create_double(env, inode, &v);
  napi_set_named_property(env, obj, "inode", v);
  napi_create_double(env, owner, &v);
  napi_set_named_property(env, obj, "owner", v);
  napi_create_double(env, parent, &v);
  napi_set_named_property(env, obj, "parent", v);
  napi_create_int32(env, err, &v);
  napi_set_named_property(env, obj, "errno", v);
  return obj;
}

static napi_value userns_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], arr;
  bool is_array = false;
  uint32_t n = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &n) != napi_ok || napi_create_array_with_length(env, n, &arr) != napi_ok) {
    napi_throw_type_error(env, NULL, "userNsInfo(paths: string[])");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    char path[4096];
    size_t len = 0;
    if (napi_get_element(env, argv[0], i, &e) != napi_ok || napi_get_value_string_utf8(env, e, path, sizeof path, &len) != napi_ok) {
      napi_throw_type_error(env, NULL, "userNsInfo(paths: string[])");
      return NULL;
    }
    napi_value o = info_of(env, path);
    if (!o || napi_set_element(env, arr, i, o) != napi_ok) return NULL;
  }
  return arr;
}

int userns_init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "userNsInfo", NAPI_AUTO_LENGTH, userns_info, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "userNsInfo", fn) != napi_ok)
    return -1;
  return 0;
}
