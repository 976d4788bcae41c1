{
  "targets": [
    {
      "target_name": "evdev_grab",
      "sources": ["evdev_grab.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "release_memory",
      "sources": ["release_memory.cc"],
      "cflags_cc": ["-Wall", "-Wextra", "-Wno-cast-function-type", "-O2"]
    }
  ]
}
