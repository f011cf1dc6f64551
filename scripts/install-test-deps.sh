#!/usr/bin/env bash
# System packages the tests use as real peers: the stock OpenSSH client (ssh, ssh-keygen) and Debian's
# Chromium (the HTML report and the Temporal UI are checked in a real headless browser).
set -euo pipefail
missing=()
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: installing ${missing[*]} from Debian" >&2
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
