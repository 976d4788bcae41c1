#!/usr/bin/env bash
# Builds dist/till-agent_<version>_<arch>.deb (`npm run package:deb`): install.sh --root lays the
# files out in a staging directory, exactly as on a till (the compiled build/, node_modules with
# runtime dependencies and this platform's addons only), and this script only adds the Debian
# control files. Installing: apt install ./dist/till-agent_<version>_amd64.deb
#
# The package carries node_modules with native addons (better-sqlite3, serialport, usb) built for
# this machine's architecture and Node.js major version, hence Architecture: and the nodejs range
# in Depends:. Build it on the same Debian/Ubuntu release and Node major as the tills.
# Each stage prints "[N/3] what" before it starts.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: build-deb.sh [--source DIR] [--out DIR] [--no-node-modules]

  --source DIR        the till-agent tree (default: the one this script is in)
  --out DIR           where the .deb goes (default: SOURCE/dist)
  --no-node-modules   leave node_modules out (tests only: such a package cannot run)

Environment: DEB_MAINTAINER (default "till-agent maintainers <till-agent@localhost>"),
DEB_DEPENDS (default "nodejs (>= N), nodejs (<< N+1)" for this machine's Node major N; set
and empty: no Depends),
DEB_COMPRESS (dpkg-deb -Z: xz, gzip, zstd, none; default xz).
USAGE
}

die() { printf 'build-deb.sh: %s\n' "$*" >&2; exit 2; }

SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=""
INSTALL_FLAGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --source) [ $# -ge 2 ] || die "--source needs a DIR"; SOURCE=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a DIR"; OUT=$2; shift 2 ;;
    --no-node-modules) INSTALL_FLAGS+=(--no-node-modules); shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
SOURCE=$(cd "$SOURCE" && pwd)
OUT=${OUT:-$SOURCE/dist}
# Absolute, so the path printed at the end is one apt accepts as is.
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd) || die "cannot create --out $OUT"

command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb not found (apt install dpkg)"
command -v node >/dev/null 2>&1 || die "node not found: the package's Depends come from its version"

VERSION=$(node -p 'require(process.argv[1]).version' "$SOURCE/package.json")
ARCH=$(dpkg --print-architecture)
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
# DEB_DEPENDS set but empty: no Depends at all (a Node.js that does not come from a package).
DEPENDS=${DEB_DEPENDS-"nodejs (>= $NODE_MAJOR), nodejs (<< $((NODE_MAJOR + 1)))"}
MAINTAINER=${DEB_MAINTAINER:-"till-agent maintainers <till-agent@localhost>"}
DEB="$OUT/till-agent_${VERSION}_${ARCH}.deb"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/till-agent-deb.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
ROOT=$STAGE/root
STEP=0
step() {
  STEP=$((STEP + 1))
  printf '[%s/3] %s\n' "$STEP" "$1"
}

step "staging till-agent $VERSION with install.sh --root (compiled program, node_modules, units, udev rules)"
# install.sh's own stages and its slow actions are shown as they happen; all of it on failure.
set +e
"$SOURCE/systemd/install.sh" --root "$ROOT" --source "$SOURCE" "${INSTALL_FLAGS[@]}" 2>&1 |
  tee "$STAGE/install.log" | grep --line-buffered -E '^(\[[0-9]+/[0-9]+\]|building|copying|running) ' | sed -u 's/^/      /'
status=${PIPESTATUS[0]}
set -e
[ "$status" = 0 ] || { cat "$STAGE/install.log" >&2; die "install.sh --root failed"; }

step "Debian metadata: /usr/bin/till-agent, maintainer scripts, conffiles, md5sums, control"
# Debian policy: packages never ship /usr/local; the command goes to /usr/bin.
mkdir -p "$ROOT/usr/bin"
mv "$ROOT/usr/local/bin/till-agent" "$ROOT/usr/bin/till-agent"
rmdir "$ROOT/usr/local/bin" "$ROOT/usr/local"

mkdir -p "$ROOT/DEBIAN"
chmod 0755 "$ROOT/DEBIAN"
for script in postinst prerm postrm; do
  install -m 0755 "$SOURCE/systemd/deb/$script" "$ROOT/DEBIAN/$script"
done
# dpkg keeps a locally edited config.yaml on upgrade (and asks if the sample changed too).
printf '/etc/till-agent/config.yaml\n' >"$ROOT/DEBIAN/conffiles"
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) >"$ROOT/DEBIAN/md5sums"
INSTALLED_KB=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
cat >"$ROOT/DEBIAN/control" <<CONTROL
Package: till-agent
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_KB
${DEPENDS:+Depends: $DEPENDS
}Recommends: udev
Section: misc
Priority: optional
Description: point-of-sale till daemon for a loyalty programme
 till-agent runs on a till: it serves the POS application over a local
 socket, drives barcode scanners, card readers and receipt printers, keeps
 a durable outbox and talks to the loyalty host over MQTT. The hardened
 till-agent.service is enabled on install; till-agent-host.service (the
 reference loyalty host) is installed but not enabled.
CONTROL
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/conffiles" "$ROOT/DEBIAN/md5sums"

step "compressing ${INSTALLED_KB} KiB with dpkg-deb -Z${DEB_COMPRESS:-xz} (the slowest stage)"
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" --build "$ROOT" "$DEB" >/dev/null
printf 'built %s (%s KiB, %s KiB installed, Depends: %s)\n' "$DEB" "$(( ($(stat -c %s "$DEB") + 1023) / 1024 ))" "$INSTALLED_KB" "$DEPENDS"
printf 'install it on a till with: sudo apt install %s\n' "$DEB"
