#!/usr/bin/env bash
# Debian packages the tests use for real: espeak-ng + sox (test speech and the embedded TTS voice),
# chromium (softphone and agent console tests). Redis and the Cosmos emulation: install_test_servers.sh.
set -euo pipefail
NEEDED=()
for pkg in espeak-ng sox chromium; do
    dpkg -s "$pkg" >/dev/null 2>&1 || NEEDED+=("$pkg")
done
if [ ${#NEEDED[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${NEEDED[@]}"
fi
