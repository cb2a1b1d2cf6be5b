#!/usr/bin/env bash
# deps.sh — install what PyTone FX needs to build and test, if it is missing.
# Debian/Ubuntu (apt) and macOS (Homebrew). Set PT_NO_DEPS=1 to skip.
set -euo pipefail
[ "${PT_NO_DEPS:-0}" = 1 ] && exit 0

DEBIAN_PKGS=(
  build-essential cmake pkg-config clang
  libsndfile1-dev libyaml-dev libcjson-dev libsamplerate0-dev
  libjack-jackd2-dev jackd2 portaudio19-dev libasound2-dev
  libcmocka-dev libcivetweb-dev libkissfft-dev jconvolver librtmidi-dev
  python3 python3-numpy python3-scipy python3-yaml ngspice
  chromium
)
BREW_PKGS=(cmake pkg-config libsndfile libyaml cjson libsamplerate jack portaudio cmocka)

if [ "$(uname)" = Darwin ]; then
  command -v brew >/dev/null || { echo "deps: Homebrew is needed on macOS (https://brew.sh)" >&2; exit 1; }
  missing=()
  for p in "${BREW_PKGS[@]}"; do brew list --versions "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] || brew install "${missing[@]}"
  exit 0
fi

if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${DEBIAN_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && exit 0
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  # jackd2 asks about real-time priority; answer for the user, they can change it later.
  echo "jackd2 jackd/tweak_rt_limits boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  exit 0
fi

echo "deps: unknown system; install by hand: ${DEBIAN_PKGS[*]}" >&2
