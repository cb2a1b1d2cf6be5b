#!/usr/bin/env bash
# make_deb.sh — a Debian package of pytone built from this tree (make deb).
#   scripts/make_deb.sh [BUILD] [OUT_DIR]  -> OUT_DIR/pytone_VERSION_ARCH.deb
# BUILD (default build) holds a built pytone (make deb configures it with
# PREFIX=/usr first, so the data folder compiled in is /usr/share/pytone).
# Installs into a staging folder with PREFIX=/usr (as make install would),
# names the packages of the shared libraries the program links (dpkg -S on
# what ldd reports) as its dependencies, and packs it with dpkg-deb.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT_DIR=${2:-$BUILD}
command -v dpkg-deb >/dev/null || { echo "make deb: dpkg-deb not found (a Debian system is needed)" >&2; exit 1; }
[ -x "$BUILD/pytone" ] || { echo "make deb: no $BUILD/pytone; build it first (make deb does)" >&2; exit 1; }
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/pytone-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/root"
mkdir -p "$STAGE/DEBIAN"
DESTDIR="$STAGE" cmake --install "$BUILD" --prefix /usr >/dev/null
VERSION=$("$BUILD/pytone" --version | awk '{print $2}')
ARCH=$(dpkg --print-architecture)
# the packages that hold the libraries pytone links to directly (NEEDED)
needed=$(objdump -p "$STAGE/usr/bin/pytone" | awk '/NEEDED/{print $2}')
libs=$(ldd "$STAGE/usr/bin/pytone" | awk -v want="$(echo $needed)" \
         'BEGIN{n=split(want,w," "); for(i=1;i<=n;i++) ok[w[i]]=1} ok[$1] && $3 ~ /^\//{print $3}')
deps=$(for lib in $libs; do dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null || true; done |
       cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')
SIZE=$(du -sk "$STAGE/usr" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: pytone
Version: $VERSION
Architecture: $ARCH
Maintainer: PyTone FX <pytone@localhost>
Installed-Size: $SIZE
Depends: $deps
Section: sound
Priority: optional
Description: real-time guitar processor
 Circuit models, neural captures (.nam), cabinet impulse responses and
 classic effects in one graph, played through JACK, PortAudio or a virtual
 device, with a web UI; factory rigs, circuits, IRs and captures included.
CONTROL
OUT="$OUT_DIR/pytone_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zgzip --build "$STAGE" "$OUT" >/dev/null
echo "make deb: $OUT (depends: $deps)"
