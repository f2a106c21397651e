# Installs what the browser tests need when it is missing: Debian's Chromium (the browser the
# tests drive, headless), Node.js, and playwright-core from the npm registry into e2e/ (no
# browser download: the tests launch Debian's Chromium). Source this file (after tools.sh), then
# call `ensure_browser_tools`; it exports ARFLOW_TEST_CHROMIUM.

PLAYWRIGHT_CORE_VERSION=1.65.1

ensure_browser_tools() {
    ensure_debian_packages chromium || return 1
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        ensure_debian_packages nodejs npm || return 1
    fi
    local installed=""
    if [ -f e2e/node_modules/playwright-core/package.json ]; then
        installed=$(node -p "require('./e2e/node_modules/playwright-core/package.json').version")
    fi
    if [ "$installed" != "$PLAYWRIGHT_CORE_VERSION" ]; then
        echo "== installing playwright-core $PLAYWRIGHT_CORE_VERSION into e2e/"
        (cd e2e && npm install --no-save --no-package-lock --no-audit --no-fund \
            "playwright-core@$PLAYWRIGHT_CORE_VERSION" >/dev/null) || {
            echo "npm install playwright-core failed" >&2; return 1; }
    fi
    export ARFLOW_TEST_CHROMIUM=${ARFLOW_TEST_CHROMIUM:-$(command -v chromium)}
}
