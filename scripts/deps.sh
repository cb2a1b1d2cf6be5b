#!/usr/bin/env bash
# deps.sh — install what PyTone FX needs, if it is missing.
# Debian/Ubuntu (apt) and macOS (Homebrew). Set PT_NO_DEPS=1 to skip.
#   deps.sh          what building and running pytone needs (make run, make install)
#   deps.sh --test   that, what the tests need (make test: cmocka, clang for the
#                    fuzzers, ngspice, jconvolver, numpy/scipy, Chromium for the UI
#                    tests) and, best effort, what only the tests of optional parts
#                    need: WebKitGTK for `pytone app`'s window (about 320 MB), Xvfb
#                    and xdotool to drive it; lilv's and LV2's headers (type: lv2).
#                    Without those, their tests are skipped.
#   deps.sh --arm64  the cross tools and arm64 libraries of make test-arm64
#                    (adds the arm64 architecture to dpkg: multiarch)
#   deps.sh --windows  MinGW-w64 and wine64 for make test-windows
set -euo pipefail
[ "${PT_NO_DEPS:-0}" = 1 ] && exit 0

RUN_PKGS=(
  build-essential cmake pkg-config
  libsndfile1-dev libyaml-dev libcjson-dev libsamplerate0-dev
  libjack-jackd2-dev jackd2 portaudio19-dev libasound2-dev
  libwebsockets-dev libkissfft-dev librtmidi-dev
)
TEST_PKGS=(
  clang libcmocka-dev jconvolver
  python3 python3-numpy python3-scipy python3-yaml python3-torch ngspice
  chromium
  faust lilv-utils guitarix-lv2 x42-plugins lsp-plugins-lv2
)
OPTIONAL_TEST_PKGS=(libwebkit2gtk-4.1-dev libgl1-mesa-dri xvfb xdotool python3-pil python3-qrcode
  liblilv-dev lv2-dev)
ARM64_PKGS=(gcc-aarch64-linux-gnu qemu-user libc6-dev:arm64 libsndfile1-dev:arm64 libyaml-dev:arm64
  libcjson-dev:arm64 libsamplerate0-dev:arm64 libkissfft-dev:arm64 libcmocka-dev:arm64)
WINDOWS_PKGS=(gcc-mingw-w64-x86-64 wine64)
# macOS: CoreAudio through PortAudio; the server is libwebsockets; MIDI RtMidi.
# KissFFT is not in the list: no Homebrew formula for it could be found (RtMidi
# has one); the hosted CI builds it from its repository when pkg-config finds
# none (docs/platforms.md). jack is optional on macOS.
BREW_PKGS=(cmake pkg-config libsndfile libyaml cjson libsamplerate portaudio libwebsockets rtmidi
  cmocka jack)

if [ "$(uname)" = Darwin ]; then
  command -v brew >/dev/null || { echo "deps: Homebrew is needed on macOS (https://brew.sh)" >&2; exit 1; }
  missing=()
  for p in "${BREW_PKGS[@]}"; do brew list --versions "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] || brew install "${missing[@]}"
  exit 0
fi

if command -v dpkg-query >/dev/null; then
  missing_of() {
    local p
    for p in "$@"; do
      dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
  }
  want=("${RUN_PKGS[@]}")
  [ "${1:-}" = --test ] && want+=("${TEST_PKGS[@]}")
  if [ "${1:-}" = --arm64 ]; then
    want=("${ARM64_PKGS[@]}")
    dpkg --print-foreign-architectures | grep -qx arm64 || {
      [ "$(id -u)" = 0 ] && dpkg --add-architecture arm64 || sudo dpkg --add-architecture arm64
    }
  fi
  [ "${1:-}" = --windows ] && want=("${WINDOWS_PKGS[@]}")
  mapfile -t missing < <(missing_of "${want[@]}")
  extra=()
  [ "${1:-}" = --test ] && mapfile -t extra < <(missing_of "${OPTIONAL_TEST_PKGS[@]}")
  [ ${#missing[@]} -eq 0 ] && [ ${#extra[@]} -eq 0 ] && exit 0
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get"
  $APT update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    # jackd2 asks about real-time priority; answer for the user, they can change it later.
    echo "jackd2 jackd/tweak_rt_limits boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
    $APT install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if [ ${#extra[@]} -gt 0 ]; then
    echo "deps: installing for the optional parts' tests: ${extra[*]}"
    $APT install -y -qq --no-install-recommends "${extra[@]}" ||
      echo "deps: could not install ${extra[*]}; the tests that need them will be skipped" >&2
  fi
  exit 0
fi

echo "deps: unknown system; install by hand: ${RUN_PKGS[*]} (tests: ${TEST_PKGS[*]})" >&2
