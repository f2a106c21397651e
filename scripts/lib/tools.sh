# Installs the Debian packages the test suite needs when they are missing. Source this file,
# then call for example `ensure_debian_packages poppler-utils zbar-tools`.

# Runs a command as root: directly when root, through sudo otherwise.
tools_as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

# ensure_debian_packages PKG...: installs the packages that are not installed yet, with one
# `apt-get update` first; does nothing (and needs no root) when all are there.
ensure_debian_packages() {
    local pkg missing=()
    for pkg in "$@"; do
        if [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]; then
            missing+=("$pkg")
        fi
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null || {
        echo "missing packages: ${missing[*]}; install them (apt-get is not available here)" >&2
        return 1
    }
    echo "== installing Debian packages: ${missing[*]}"
    tools_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || {
        echo "apt-get update failed" >&2; return 1; }
    tools_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >/dev/null || {
        echo "could not install: ${missing[*]}" >&2; return 1; }
}
