#!/usr/bin/env bash
# Installs the real servers the test suite starts on loopback ports: Redis (Debian) and the
# Cosmos DB SQL-API emulation (npm @vercel/cosmosdb-server, pinned by tests/support/cosmos/package-lock.json),
# and Microsoft's Bot Framework streaming client (npm botframework-streaming, pinned by
# tests/support/streaming/package-lock.json) that the streaming-channel tests drive the bot with, and
# axe-core (npm, pinned by tests/support/axe/package-lock.json) that the page tests run on the three pages.
# Idempotent: skips what is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v redis-server >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server
    # The package's own service is not needed: tests start their own instances.
    ($SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true)
fi

# npm_ci DIR PACKAGE WHAT: installs DIR's lockfile unless DIR/node_modules/PACKAGE is already there.
npm_ci() {
    if [ ! -d "$1/node_modules/$2" ]; then
        if ! command -v npm >/dev/null 2>&1; then
            echo "npm (Node >= 18) is required for $3" >&2
            exit 1
        fi
        (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
    fi
}
COSMOS_DIR="$ROOT/tests/support/cosmos"
STREAMING_DIR="$ROOT/tests/support/streaming"
AXE_DIR="$ROOT/tests/support/axe"
npm_ci "$COSMOS_DIR" @vercel/cosmosdb-server "the Cosmos DB emulation"
npm_ci "$STREAMING_DIR" botframework-streaming "the Bot Framework streaming client"
npm_ci "$AXE_DIR" axe-core "axe-core (the page accessibility checks)"
echo "test servers installed: $(command -v redis-server), $COSMOS_DIR/node_modules/@vercel/cosmosdb-server, $STREAMING_DIR/node_modules/botframework-streaming, $AXE_DIR/node_modules/axe-core"
