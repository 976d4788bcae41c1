// release(): gives the memory start-up left behind back to the system (runtime/release-memory.ts).
// V8: a full collection that reduces memory (compacts, shrinks the young generation, unmaps free
// pages), what V8's memory reducer does by itself ~8 s after the last full collection. glibc:
// malloc_trim(0), which returns the free pages inside every malloc arena. The compilers' zones that
// V8's threads freed during start-up stay in those arenas otherwise, for the life of the process.
// V8's C++ API (Node-API has neither): built against the running Node's headers, like Node itself.
#include <node.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

void Release(const v8::FunctionCallbackInfo<v8::Value>& args) {
  args.GetIsolate()->LowMemoryNotification();
  bool trimmed = false;
#if defined(__GLIBC__)
  trimmed = malloc_trim(0) != 0;
#endif
  args.GetReturnValue().Set(trimmed);
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  NODE_SET_METHOD(exports, "release", Release);
}
