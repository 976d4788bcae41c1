{
  "targets": [
    {
      "target_name": "evdev_grab",
      "sources": ["evdev_grab.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
