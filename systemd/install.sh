#!/usr/bin/env bash
# Installs, updates or removes till-agent on a Debian/Ubuntu till. Re-runnable: a second run
# brings the same files to the same state, and an update is just a run from the new source.
# Never overwrites /etc/till-agent/config.yaml; never deletes data unless --purge.
#
# Layout (the .deb built by build-deb.sh is the same, with /usr/bin/till-agent):
#   /opt/till-agent/                      the program: bin, build (compiled JavaScript), systemd,
#                                         node_modules (runtime only), replaced as a whole
#   /usr/lib/systemd/system/*.service     units: vendor files, replaced on update; local changes
#                                         go in drop-ins (systemctl edit till-agent)
#   /usr/lib/udev/rules.d/60-till-agent.rules   device names; local models go in
#                                         /etc/udev/rules.d/61-till-agent-local.rules
#   /usr/lib/sysusers.d/till-agent.conf, /usr/lib/tmpfiles.d/till-agent.conf,
#   /usr/lib/modules-load.d/till-agent.conf   users, directories, drivers loaded at boot
#   /usr/local/bin/till-agent             -> /opt/till-agent/bin/till-agent.js
#   /etc/till-agent/config.yaml           from config.sample.yaml, only if absent (0640 root:till-agent)
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: install.sh [options]

Installs or updates till-agent, enables and (re)starts till-agent.service.

  --root DIR          install into DIR instead of / (for packaging and tests): no systemctl,
                      udevadm or user creation; prints what it would run instead
  --source DIR        the till-agent tree to install (default: the one this script is in)
  --no-node-modules   do not install node_modules (an existing /opt/till-agent/node_modules
                      is kept); for tests and quick code-only updates. A rerun keeps the
                      installed node_modules anyway when the dependencies did not change
  --no-npm            if the source has no node_modules, do not run npm ci either
  --no-start          install and enable nothing at run time: no enable, no (re)start
  --uninstall         remove the program, units, udev rules and the /usr/local/bin link;
                      keeps /etc/till-agent and /var/lib/till-agent*
  --purge             with --uninstall: also remove /etc/till-agent, /var/lib/till-agent*
                      and /var/cache/till-agent* (users are kept)
  -h, --help          this text

Each stage starts with a line "[N/M] what"; every action is printed as one line: installed,
updated, kept, removed, skipped, checked, building, copying, pruned, running, ran, would run,
note, warning, invalid, failed. Exit status: 0 done, 1 something failed (a "failed" or
"invalid" line says what), 2 bad usage or a missing prerequisite.
EOF
}

die() { printf 'install.sh: %s\n' "$*" >&2; exit 2; }

ROOT=/
SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NO_NODE_MODULES=0
NO_NPM=0
NO_START=0
UNINSTALL=0
PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a DIR"; ROOT=$2; shift 2 ;;
    --root=*) ROOT=${1#--root=}; shift ;;
    --source) [ $# -ge 2 ] || die "--source needs a DIR"; SOURCE=$2; shift 2 ;;
    --source=*) SOURCE=${1#--source=}; shift ;;
    --no-node-modules) NO_NODE_MODULES=1; shift ;;
    --no-npm) NO_NPM=1; shift ;;
    --no-start) NO_START=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
[ "$PURGE" = 0 ] || [ "$UNINSTALL" = 1 ] || die "--purge only goes with --uninstall"

# R is prefixed to every target path; DRY means "a scratch root: change nothing outside it".
if [ "$ROOT" = / ]; then
  R=""
  DRY=0
else
  mkdir -p "$ROOT" || die "cannot create --root $ROOT"
  R=$(cd "$ROOT" && pwd)
  DRY=1
fi
SOURCE=$(cd "$SOURCE" 2>/dev/null && pwd) || die "--source $SOURCE: no such directory"

PROG=/opt/till-agent
CONFIG=/etc/till-agent/config.yaml
HOST_CONFIG=/etc/till-agent/host.yaml
UNIT_DIR=/usr/lib/systemd/system
UDEV_RULES=/usr/lib/udev/rules.d/60-till-agent.rules
SYSUSERS=/usr/lib/sysusers.d/till-agent.conf
TMPFILES=/usr/lib/tmpfiles.d/till-agent.conf
MODULES=/usr/lib/modules-load.d/till-agent.conf
LINK=/usr/local/bin/till-agent
UNITS=(till-agent.service till-agent-host.service)
FAILED=0

say() { printf '%-10s %s\n' "$1" "$2"; }

# One line before each stage, so a long one (copying node_modules, building) says what it is on.
STEP=0
step() {
  STEP=$((STEP + 1))
  printf '[%s/%s]      %s\n' "$STEP" "$1" "$2"
}

# Set when a program or system file was installed or updated: only then is the service restarted.
FILES_CHANGED=0

systemd_running() { [ -d /run/systemd/system ]; }
udev_running() { [ -S /run/udev/control ]; }

# Runs a system command, or only prints it with --root. Commands that need a running systemd
# or udev are skipped (with a line) when there is none, e.g. in a container or a chroot.
run() {
  local need=$1; shift
  if [ "$DRY" = 1 ]; then say "would run" "$*"; return 0; fi
  case "$need" in
    systemd) systemd_running || { say skipped "$* (systemd is not running)"; return 0; } ;;
    udev) udev_running || { say skipped "$* (udev is not running)"; return 0; } ;;
  esac
  if "$@"; then say ran "$*"; else say failed "$*"; FAILED=1; return 1; fi
}

# install_file SRC DEST MODE: installed / updated / kept (identical content).
install_file() {
  local src=$1 dest=$R$2 mode=$3
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    chmod "$mode" "$dest"
    say kept "$2 (unchanged)"
  elif [ -e "$dest" ]; then
    install -D -m "$mode" "$src" "$dest"
    say updated "$2"
    FILES_CHANGED=1
  else
    install -D -m "$mode" "$src" "$dest"
    say installed "$2"
    FILES_CHANGED=1
  fi
}

remove_path() {
  if [ -e "$R$1" ] || [ -L "$R$1" ]; then
    rm -rf -- "$R$1"
    say removed "$1"
  else
    say skipped "$1 (not present)"
  fi
}

installed_by_dpkg() {
  [ "$DRY" = 0 ] && command -v dpkg-query >/dev/null 2>&1 &&
    dpkg-query -W -f='${Status}' till-agent 2>/dev/null | grep -q 'ok installed'
}

# ---------------------------------------------------------------------------------------------
uninstall() {
  local unit dir steps=3
  step $steps "stopping the services"
  for unit in "${UNITS[@]}"; do
    if [ -f "$R$UNIT_DIR/$unit" ]; then
      run systemd systemctl stop "$unit" || true
      run none systemctl disable "$unit" || true
    fi
  done
  step $steps "removing the program and system files"
  for unit in "${UNITS[@]}"; do remove_path "$UNIT_DIR/$unit"; done
  remove_path "$UDEV_RULES"
  remove_path "$SYSUSERS"
  remove_path "$TMPFILES"
  remove_path "$MODULES"
  remove_path "$LINK"
  remove_path "$PROG"
  run systemd systemctl daemon-reload || true
  run udev udevadm control --reload || true
  step $steps "configuration and data"
  if [ "$PURGE" = 1 ]; then
    for dir in /etc/till-agent /var/lib/till-agent /var/lib/till-agent-host /var/cache/till-agent /var/cache/till-agent-host; do
      remove_path "$dir"
    done
  else
    for dir in /etc/till-agent /var/lib/till-agent /var/lib/till-agent-host; do
      if [ -e "$R$dir" ]; then say kept "$dir (configuration and data stay; --purge removes them)"; fi
    done
  fi
  say kept "users till-agent, till-agent-host (system users are never deleted: files may still belong to them)"
}

# ---------------------------------------------------------------------------------------------
# What a till runs: the compiled program (build/), its manifest and lock, the command, the
# systemd files (install.sh itself, for --uninstall), the docs the units point to, the demo's
# seed, and node_modules. No TypeScript sources: the till runs build/.
PROGRAM_ITEMS=(package.json package-lock.json bin build systemd host/README.md host/seed.sample.yaml)

# build/ as `npm run build` left it when it is newer than every source; else (a checkout after
# `git pull`) compiled now into the new program directory with the source's TypeScript. The
# source tree itself is never written. A tree without sources (a release copy) ships its build/.
BUILD_FRESH=0
install_build() {
  local new=$1 stamp=$SOURCE/build/cli/main.js newer=""
  if [ -f "$stamp" ]; then
    if [ -d "$SOURCE/agent" ]; then
      newer=$(find "$SOURCE/cli" "$SOURCE/agent" "$SOURCE/drivers" "$SOURCE/protocol" "$SOURCE/runtime" "$SOURCE/host" \( -name '*.ts' -o -path '*/fonts/*' -o -path '*/status-page/assets/*' \) -newer "$stamp" -print -quit)
    fi
    if [ -z "$newer" ]; then
      cp -R "$SOURCE/build" "$new/"
      BUILD_FRESH=1
      return 0
    fi
  fi
  [ -d "$SOURCE/agent" ] || die "$SOURCE has neither build/ nor the sources to make it"
  local why=missing
  if [ -n "$newer" ]; then why="older than ${newer#"$SOURCE"/}"; fi
  [ -x "$SOURCE/node_modules/.bin/tsc" ] ||
    die "build/ is $why and $SOURCE has no TypeScript to make it: run npm ci (or npm run build) there first"
  say building "build/ ($why): tsc -p tsconfig.build.json"
  (cd "$SOURCE" && node_modules/.bin/tsc -p tsconfig.build.json --outDir "$new/build") || die "tsc failed: run npm run build in $SOURCE to see why"
  # As `npm run build` does: the files the code reads at run time go next to it.
  cp -R "$SOURCE/drivers/fonts" "$new/build/drivers/fonts"
  cp -R "$SOURCE/agent/status-page/assets" "$new/build/agent/status-page/assets"
  (cd "$SOURCE" && node tools/bundle.mjs "$new/build") || die "bundling build/cli/main.js failed: run npm run build in $SOURCE to see why"
}

# node_modules is most of the program and slow to copy: a rerun keeps the installed copy when it
# was made from the same dependencies (the source's node_modules/.package-lock.json, or its
# package-lock.json for npm ci) for the same Node.js ABI and architecture. The key is kept in
# node_modules/.till-agent-key.
MODULES_KEY_FILE=.till-agent-key
modules_key() {
  local lock=$SOURCE/package-lock.json
  if [ -f "$SOURCE/node_modules/.package-lock.json" ]; then lock=$SOURCE/node_modules/.package-lock.json; fi
  { cat "$lock"; node -p '`node ABI ${process.versions.modules} ${process.platform}-${process.arch}`'; } | sha256sum | cut -d' ' -f1
}

# What a till never needs from node_modules: other platforms' prebuilt addons, node-gyp's
# intermediates next to the built .node files, vendored C/C++ sources and headers (SQLite's
# amalgamation alone is 9 MB), TypeScript sources and declarations (.ts, .mts, .cts: Node 20
# cannot load them; @types alone was not all of them, 7 MB were left) and the JavaScript's
# source maps (read only with --enable-source-maps, which the program does not use). Nothing of
# it is loaded at run time: 51 MB became 40 MB.
slim_node_modules() {
  local nm=$1 platform dir
  platform="linux-$(node -p process.arch)"
  rm -rf "$nm/@types"
  find "$nm" -depth -type d -path '*/prebuilds/*' -prune ! -name "$platform" -exec rm -rf {} +
  while IFS= read -r dir; do
    rm -rf "$dir/deps"
    if [ -d "$dir/build" ]; then
      find "$dir/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
      find "$dir/build/Release" -mindepth 1 \( -type d -o ! -name '*.node' \) -prune -exec rm -rf {} +
    fi
  done < <(find "$nm" -name binding.gyp -printf '%h\n')
  find "$nm" -type f \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' -o -name '*.hh' -o -name '*.hpp' \) -delete
  find "$nm" -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.js.map' -o -name '*.mjs.map' -o -name '*.cjs.map' \) -delete
  find "$nm" -mindepth 1 -type d -empty -delete
}

NODE_MODULES_CHANGED=0
install_node_modules() {
  local new=$1 key
  if [ "$NO_NODE_MODULES" = 1 ]; then
    if [ -d "$R$PROG/node_modules" ]; then
      mv "$R$PROG/node_modules" "$new/node_modules"
      say kept "$PROG/node_modules (--no-node-modules: the installed copy is kept)"
    else
      say skipped "$PROG/node_modules (--no-node-modules)"
    fi
    return 0
  fi
  if [ ! -d "$SOURCE/node_modules" ] && [ "$NO_NPM" = 1 ]; then
    say skipped "$PROG/node_modules (--no-npm and none in the source: run npm ci --omit=dev in $PROG)"
    return 0
  fi
  key=$(modules_key)
  if [ -f "$R$PROG/node_modules/$MODULES_KEY_FILE" ] && [ "$(cat "$R$PROG/node_modules/$MODULES_KEY_FILE")" = "$key" ]; then
    mv "$R$PROG/node_modules" "$new/node_modules"
    say kept "$PROG/node_modules (same dependencies, Node.js ABI and architecture: not copied again)"
    return 0
  fi
  if [ -d "$SOURCE/node_modules" ]; then
    say copying "node_modules from $SOURCE ($(du -sh "$SOURCE/node_modules" | cut -f1))"
    cp -RH "$SOURCE/node_modules" "$new/"
    # A development checkout also has the test tools: drop them (offline, from the lock file).
    if command -v npm >/dev/null 2>&1 &&
      (cd "$new" && npm prune --omit=dev --offline --no-audit --no-fund >/dev/null 2>&1); then
      say pruned "$PROG/node_modules: dev dependencies"
    else
      say warning "npm prune failed: $PROG/node_modules keeps the dev dependencies"
    fi
  else
    say running "npm ci --omit=dev (no node_modules in $SOURCE): a few minutes"
    (cd "$new" && npm ci --omit=dev --no-audit --no-fund >/dev/null) || die "npm ci --omit=dev failed in $new"
  fi
  slim_node_modules "$new/node_modules"
  chmod -R u+rwX,go+rX,go-w "$new/node_modules"
  printf '%s\n' "$key" >"$new/node_modules/$MODULES_KEY_FILE"
  NODE_MODULES_CHANGED=1
  say installed "$PROG/node_modules ($(du -sh "$new/node_modules" | cut -f1): runtime dependencies only, this platform's addons only)"
}

# The program goes to a fresh directory next to /opt/till-agent, which then replaces the old one
# (no stale files from an older version; a failed copy leaves the old version in place), unless
# it is identical to the installed one: then the installed one stays as it is.
NEW=""
install_program() {
  local version new old item verb=installed
  version=$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$SOURCE/package.json" | head -n 1)
  for item in package.json package-lock.json bin systemd; do
    [ -e "$SOURCE/$item" ] || die "$SOURCE/$item is missing: is --source a till-agent tree?"
  done
  new="$R/opt/.till-agent.new.$$"
  old="$R/opt/.till-agent.old.$$"
  NEW=$new
  trap 'rm -rf "$NEW"' EXIT
  rm -rf "$new"
  mkdir -p "$new"
  install_build "$new"
  for item in "${PROGRAM_ITEMS[@]}"; do
    if [ "$item" != build ] && [ -e "$SOURCE/$item" ]; then
      mkdir -p "$new/$(dirname "$item")"
      cp -R "$SOURCE/$item" "$new/$item"
    fi
  done
  # Root-owned, not writable by anyone else: the service must not be able to change its code.
  chmod -R u+rwX,go+rX,go-w "$new"
  chmod 0755 "$new/bin/till-agent.js" "$new/systemd/install.sh"
  if [ -f "$new/systemd/build-deb.sh" ]; then chmod 0755 "$new/systemd/build-deb.sh"; fi

  if [ -e "$R$PROG" ]; then
    verb=updated
    if diff -rq --no-dereference -x node_modules "$R$PROG" "$new" >/dev/null 2>&1; then verb=kept; fi
  fi
  install_node_modules "$new"
  if [ "$verb" = kept ] && [ "$NODE_MODULES_CHANGED" = 0 ]; then
    # Identical: the node_modules kept above goes back, and the installed tree is not touched.
    if [ -d "$new/node_modules" ]; then mv "$new/node_modules" "$R$PROG/node_modules"; fi
    rm -rf "$new"
  else
    if [ -e "$R$PROG" ]; then mv "$R$PROG" "$old"; fi
    mv "$new" "$R$PROG"
    rm -rf "$old"
    FILES_CHANGED=1
  fi
  trap - EXIT
  say "$verb" "$PROG (till-agent ${version:-unknown version}, from $SOURCE)"
}

install_link() {
  local target=$PROG/bin/till-agent.js
  if [ -L "$R$LINK" ] && [ "$(readlink "$R$LINK")" = "$target" ]; then
    say kept "$LINK -> $target (unchanged)"
  else
    mkdir -p "$R$(dirname "$LINK")"
    ln -sfn "$target" "$R$LINK"
    say installed "$LINK -> $target"
    FILES_CHANGED=1
  fi
}

# Lays the sample down only when there is no config; CONFIG_NEW=1 says it did.
CONFIG_NEW=0
install_config() {
  mkdir -p "$R/etc/till-agent"
  chmod 0755 "$R/etc/till-agent"
  if [ -e "$R$CONFIG" ]; then
    say kept "$CONFIG (existing configuration, never overwritten)"
  else
    install -m 0640 "$SOURCE/systemd/config.sample.yaml" "$R$CONFIG"
    CONFIG_NEW=1
    say installed "$CONFIG (commented sample: edit the CHANGE-ME values)"
  fi
}

# The agent's own loader (build/agent/config.js) from a tree with the build and node_modules:
# the installed one in real mode, else the source. Same errors as `till-agent run` would print.
# shellcheck disable=SC2016  # a JavaScript template literal, not a shell expansion
VALIDATE_JS='
import { pathToFileURL } from "node:url";
const { loadConfig } = await import(pathToFileURL(process.cwd() + "/build/agent/config.js").href);
const { ConfigError } = await import(pathToFileURL(process.cwd() + "/build/runtime/config-file.js").href);
try {
  const c = loadConfig(process.argv[1], {});
  console.log(`till ${c.merchant}/${c.store}/${c.terminal}, data_dir ${c.data_dir}`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // Only the sample'"'"'s CHANGE-ME values left (a new till): exit 3 with their keys; the rest is valid.
  const keys = error.errors.filter((e) => e.includes("placeholder CHANGE-ME")).map((e) => e.split(":")[0]);
  if (keys.length === error.errors.length) {
    console.log(keys.join(", "));
    process.exit(3);
  }
  console.error(error.message);
  process.exit(2);
}'
# The reference host's config, with the host's own loader (build/host/config.js), the same way.
# shellcheck disable=SC2016
VALIDATE_HOST_JS='
import { pathToFileURL } from "node:url";
const { loadHostConfig } = await import(pathToFileURL(process.cwd() + "/build/host/config.js").href);
const { ConfigError } = await import(pathToFileURL(process.cwd() + "/build/runtime/config-file.js").href);
try {
  const c = loadHostConfig(process.argv[1], {});
  console.log(`store ${c.store}, backend ${c.backend}, data_dir ${c.data_dir}`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}'

# The reference host, where it is set up on this machine (its config, and its unit enabled or running;
# in a scratch root: its config): checked with this version, then restarted into the new program as
# the .deb does. Left running, it would keep the old program, whose files this update replaced.
restart_host() {
  if [ ! -f "$R$HOST_CONFIG" ] || { [ "$DRY" = 0 ] && ! systemctl is-enabled --quiet till-agent-host.service 2>/dev/null &&
    ! systemctl is-active --quiet till-agent-host.service 2>/dev/null; }; then
    say note "till-agent-host.service is installed but not enabled (the reference host: see host/README.md)"
    return 0
  fi
  local loader="" out rc=0
  if [ -f "$R$PROG/build/host/config.js" ] && [ -d "$R$PROG/node_modules/zod" ]; then loader=$R$PROG
  elif [ "$BUILD_FRESH" = 1 ] && [ -d "$SOURCE/node_modules/zod" ]; then loader=$SOURCE
  fi
  if command -v node >/dev/null 2>&1 && [ -n "$loader" ]; then
    out=$(cd "$loader" && node --input-type=module -e "$VALIDATE_HOST_JS" "$R$HOST_CONFIG" 2>&1) || rc=$?
    if [ "$rc" != 0 ]; then
      say invalid "$HOST_CONFIG (till-agent-host was NOT restarted: the one running keeps serving the tills):"
      printf '%s\n' "$out" | sed 's/^/           /'
      say note "fix the key(s) named above (till-agent config check --host $HOST_CONFIG), then: systemctl restart till-agent-host"
      FAILED=1
      return 0
    fi
    say checked "$HOST_CONFIG: valid ($out)"
  fi
  if [ "$FILES_CHANGED" = 1 ]; then
    run systemd systemctl try-restart till-agent-host.service || true
  fi
}

CONFIG_OK=0
validate_config() {
  local loader="" out
  if [ -f "$R$PROG/build/agent/config.js" ] && [ -d "$R$PROG/node_modules/zod" ]; then loader=$R$PROG
  elif [ "$BUILD_FRESH" = 1 ] && [ -d "$SOURCE/node_modules/zod" ]; then loader=$SOURCE
  fi
  if ! command -v node >/dev/null 2>&1 || [ -z "$loader" ]; then
    say skipped "config check (no node, or no build with its node_modules to run the loader)"
    CONFIG_OK=1
    return 0
  fi
  local rc=0
  out=$(cd "$loader" && node --input-type=module -e "$VALIDATE_JS" "$R$CONFIG" 2>&1) || rc=$?
  if [ "$rc" = 0 ]; then
    say checked "$CONFIG: valid ($out)"
    CONFIG_OK=1
  elif [ "$rc" = 3 ]; then
    # The agent refuses them (exit 2 at start): the service is enabled but not started (below).
    say checked "$CONFIG: valid but for the CHANGE-ME values of $out, which the agent refuses to run with"
    CONFIG_OK=1
  else
    say invalid "$CONFIG:"
    printf '%s\n' "$out" | sed 's/^/           /'
    FAILED=1
  fi
}

has_placeholders() { grep -Eq '^[^#]*CHANGE-ME' "$R$CONFIG"; }

check_node() {
  local major
  if ! command -v node >/dev/null 2>&1; then
    [ "$DRY" = 1 ] && { say skipped "node version check (no node on this machine)"; return 0; }
    die "node is not installed: till-agent needs Node.js 20 (e.g. the nodejs package from NodeSource)"
  fi
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    [ "$DRY" = 1 ] && { say skipped "node $major on this machine (the target needs >= 20)"; return 0; }
    die "node $(node --version) is too old: till-agent needs Node.js 20 or later"
  fi
}

install_all() {
  local unit steps=6
  check_node
  step $steps "the program: $PROG (build, node_modules)"
  install_program
  step $steps "system files: units, udev rules, sysusers/tmpfiles/modules-load entries, the till-agent command"
  install_link
  for unit in "${UNITS[@]}"; do install_file "$SOURCE/systemd/$unit" "$UNIT_DIR/$unit" 0644; done
  install_file "$SOURCE/systemd/udev/60-till-agent.rules" "$UDEV_RULES" 0644
  install_file "$SOURCE/systemd/sysusers.d/till-agent.conf" "$SYSUSERS" 0644
  install_file "$SOURCE/systemd/tmpfiles.d/till-agent.conf" "$TMPFILES" 0644
  install_file "$SOURCE/systemd/modules-load.d/till-agent.conf" "$MODULES" 0644
  step $steps "users and directories: sysusers, tmpfiles"
  run none systemd-sysusers "$SYSUSERS" || true
  run none systemd-tmpfiles --create "$TMPFILES" || true

  step $steps "configuration: $CONFIG"
  install_config
  if [ "$CONFIG_NEW" = 1 ]; then
    run none chgrp till-agent "$CONFIG" || true
  elif [ "$DRY" = 0 ] && getent passwd till-agent >/dev/null &&
    ! runuser -u till-agent -- test -r "$CONFIG" 2>/dev/null; then
    say warning "$CONFIG is not readable by user till-agent: chgrp till-agent $CONFIG; chmod 0640 $CONFIG"
  fi
  validate_config

  step $steps "devices and systemd: kernel modules, udev, daemon-reload"
  # Now rather than at the next boot: the service resolves device majors when it starts.
  if [ "$DRY" = 1 ]; then
    run none modprobe -a cdc_acm usbserial
  elif modprobe -a cdc_acm usbserial 2>/dev/null; then
    say ran "modprobe -a cdc_acm usbserial"
  else
    say warning "modprobe -a cdc_acm usbserial failed (a container, or a kernel without them): USB serial devices may be refused until they load"
  fi
  run udev udevadm control --reload || true
  run udev udevadm trigger --action=add --subsystem-match=tty --subsystem-match=usbmisc \
    --subsystem-match=usb || true
  run systemd systemctl daemon-reload || true

  step $steps "the service: till-agent.service"
  if [ "$NO_START" = 1 ]; then
    say skipped "enable and start (--no-start)"
  elif [ "$CONFIG_OK" = 0 ]; then
    say skipped "start: $CONFIG is invalid; fix it, then: systemctl enable till-agent && systemctl restart till-agent"
  elif has_placeholders; then
    run none systemctl enable till-agent.service || true
    say skipped "start: $CONFIG still has CHANGE-ME values; edit it, then: systemctl restart till-agent"
  else
    if [ "$DRY" = 0 ] && [ -x "$PROG/bin/till-agent.js" ] && getent passwd till-agent >/dev/null; then
      # doctor also checks the broker, devices and the clock; a failure is reported, not fatal:
      # the agent works offline and the technician may still be plugging devices in.
      local out
      if out=$(cd "$PROG" && runuser -u till-agent -- "$PROG/bin/till-agent.js" doctor --config "$CONFIG" 2>&1); then
        say checked "till-agent doctor: every check passed"
      else
        say warning "till-agent doctor found problems (the service is started anyway):"
        printf '%s\n' "$out" | sed 's/^/           /'
      fi
    fi
    run none systemctl enable till-agent.service || true
    if [ "$FILES_CHANGED" = 1 ]; then
      run systemd systemctl restart till-agent.service || true
    else
      # Nothing installed changed: a running agent is left alone (POS connections stay up).
      run systemd systemctl start till-agent.service || true
      say note "nothing installed changed: a running till-agent was not restarted (after editing $CONFIG: systemctl restart till-agent)"
    fi
  fi
  restart_host
}

# ---------------------------------------------------------------------------------------------
if [ "$DRY" = 0 ] && [ "$(id -u)" != 0 ]; then die "run as root (or use --root DIR)"; fi
if installed_by_dpkg; then
  die "till-agent is installed from the .deb package: update it with apt install ./till-agent_<version>_amd64.deb, remove it with apt remove till-agent"
fi
if [ "$DRY" = 1 ]; then say root "$R (scratch root: nothing outside it is changed)"; fi
if [ "$UNINSTALL" = 1 ]; then uninstall; else install_all; fi
exit "$FAILED"
