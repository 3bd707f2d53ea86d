#!/usr/bin/env bash
# The browser tests (test/web) drive Debian's Chromium through playwright-core. `npm test` runs this
# first: it installs the `chromium` package when /usr/bin/chromium is missing (as root, or with sudo).
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
echo "ensure-chromium: /usr/bin/chromium is missing; installing Debian's chromium package for the browser tests" >&2
if [ "$(id -u)" -eq 0 ]; then
  apt-get update && apt-get install -y chromium
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo apt-get update && sudo apt-get install -y chromium
else
  echo "ensure-chromium: cannot install it here (not root, no passwordless sudo): run 'apt-get install -y chromium' as root" >&2
  exit 1
fi
