#!/usr/bin/env bash
# Debian packages used for real: espeak-ng (the embedded voice and the tests' speech) and chromium
# (softphone, agent console and dashboard tests). Pass package names to install only those.
# Redis and the Cosmos DB emulation: install_test_servers.sh.
set -euo pipefail
PACKAGES=("$@")
[ ${#PACKAGES[@]} -eq 0 ] && PACKAGES=(espeak-ng chromium)
NEEDED=()
for pkg in "${PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || NEEDED+=("$pkg")
done
if [ ${#NEEDED[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${NEEDED[@]}"
fi
