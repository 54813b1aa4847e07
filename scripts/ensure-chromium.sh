#!/usr/bin/env bash
# Browser tests drive Debian's Chromium through playwright-core; install it when it is missing.
set -eu
if command -v chromium >/dev/null 2>&1; then exit 0; fi
echo "[browser] installing Debian's chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
command -v chromium
