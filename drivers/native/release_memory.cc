// Gives the memory start-up (or a backlog) left behind back to the system (runtime/release-memory.ts).
// collect(thorough): a memory-reducing V8 collection, what V8's memory reducer does by itself ~8 s
// after the last full collection: it compacts, shrinks the young generation and unmaps free pages.
// Thorough (LowMemoryNotification): at once, several full collections until nothing more dies, the
// compilation cache cleared: 20–40 ms on the main thread. Else (MemoryPressureNotification,
// moderate): V8 marks incrementally and concurrently, pauses of a few ms, a little less given back.
// trim(): glibc's malloc_trim(0), which returns the free pages inside every malloc arena; the
// compilers' zones that V8's threads freed during start-up stay there otherwise, for good.
// V8's C++ API (Node-API has neither): built against the running Node's headers, like Node itself.
#include <node.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

void Collect(const v8::FunctionCallbackInfo<v8::Value>& args) {
  v8::Isolate* isolate = args.GetIsolate();
  if (args.Length() > 0 && args[0]->IsTrue()) {
    isolate->LowMemoryNotification();
    return;
  }
  isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kModerate);
  // Back to normal: the collection is under way, and later allocations are not under pressure.
  isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kNone);
}

void Trim(const v8::FunctionCallbackInfo<v8::Value>& args) {
  bool trimmed = false;
#if defined(__GLIBC__)
  trimmed = malloc_trim(0) != 0;
#endif
  args.GetReturnValue().Set(trimmed);
}

}  // namespace

NODE_MODULE_INIT(/* exports, module, context */) {
  NODE_SET_METHOD(exports, "collect", Collect);
  NODE_SET_METHOD(exports, "trim", Trim);
}
