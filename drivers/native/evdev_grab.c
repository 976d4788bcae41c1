/*
 * evdev_grab: the one ioctl Node cannot issue, EVIOCGRAB, for drivers/evdev-grab.ts.
 *
 *   grab(fd: number, on: boolean): void   throws Error{code: "ENOTTY" | "EBUSY" | …, errno}
 *
 * Grabbing an input device gives this process all of its events: a keyboard-wedge scanner then
 * never types into the POS window. The grab ends with release (grab(fd, false)) or close(fd).
 * Node-API only (no nan, no node-addon-api): ABI-stable, built by node-gyp at npm ci.
 */
#include <errno.h>
#include <linux/input.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

static const char *errno_code(int e) {
  switch (e) {
    case ENOTTY: return "ENOTTY";
    case EBUSY: return "EBUSY";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENODEV: return "ENODEV";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    default: return "EIO";
  }
}

static napi_value grab(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd = -1;
  bool on = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_bool(env, argv[1], &on) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "grab(fd: number, on: boolean)");
    return NULL;
  }
  /* EVIOCGRAB's argument is the value itself: non-zero grabs, zero releases. */
  if (ioctl(fd, EVIOCGRAB, on ? 1 : 0) < 0) {
    int e = errno;
    const char *code = errno_code(e);
    napi_value message, code_value, error, errno_value;
    char text[160];
    snprintf(text, sizeof text, "EVIOCGRAB failed: %s (%s)", code, strerror(e));
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
    napi_create_error(env, code_value, message, &error);
    napi_create_int32(env, e, &errno_value);
    napi_set_named_property(env, error, "errno", errno_value);
    napi_throw(env, error);
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "grab", NAPI_AUTO_LENGTH, grab, NULL, &fn);
  napi_set_named_property(env, exports, "grab", fn);
  return exports;
}
