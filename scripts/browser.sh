#!/usr/bin/env bash
# Install the headless browser the browser tests drive (tests/browser/): Debian's chromium at
# /usr/bin/chromium, used by playwright through `executable_path` (no playwright browser download).
#
# Idempotent: does nothing when /usr/bin/chromium is already there. Otherwise installs the OS
# package, with sudo only when not running as root. Exits non-zero, saying why, if it cannot.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
log() { printf 'browser: %s\n' "$*" >&2; }

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  log "$CHROMIUM is missing and installing it needs root (no sudo here): apt-get install -y chromium"
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "$CHROMIUM is missing and this system has no apt-get; install Chromium so that $CHROMIUM exists"
  exit 1
fi

log "installing chromium from the OS packages"
# Another apt run (e.g. a provisioning step) may hold the lock: wait for it instead of failing.
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium
if [ ! -x "$CHROMIUM" ]; then
  log "apt-get installed chromium but $CHROMIUM is not there"
  exit 1
fi
log "$("$CHROMIUM" --version 2>/dev/null || echo chromium) installed"
