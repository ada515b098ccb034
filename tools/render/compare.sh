#!/usr/bin/env bash
# Renders every stack file on every cloud at two commits and compares the output byte for byte: how a
# refactor shows it changed no manifest, resource or output.
# Usage: tools/render/compare.sh <before-rev> [<after-rev>, default HEAD]
# Each commit is checked out in turn at the same temporary path (the fake image digests hash the build
# context's absolute path), with this checkout's node_modules linked. Exits 1 on any difference.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
before=$(git -C "$root" rev-parse --verify "${1:?usage: compare.sh <before-rev> [<after-rev>]}^{commit}")
after=$(git -C "$root" rev-parse --verify "${2:-HEAD}^{commit}")
# The clouds of this checkout's config (components/config/clouds.ts).
clouds=$(cd "$root" && node -e 'require("ts-node").register({ transpileOnly: true }); console.log(require("./components/config/clouds").CLOUDS.join(" "))')
work=$(mktemp -d)
tree="$work/checkout"
trap 'git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

render_at() { # <rev> <out>
  git -C "$root" worktree add -q --detach "$tree" "$1"
  for modules in node_modules app/node_modules policy/node_modules; do
    if [ -e "$root/$modules" ]; then ln -s "$root/$modules" "$tree/$modules"; fi
  done
  # The render moved from test/render.ts to tools/render/main.ts.
  local cli=tools/render/main.ts
  [ -e "$tree/$cli" ] || cli=test/render.ts
  for stack in $(cd "$tree/stacks" && ls Pulumi.*.yaml | sed 's/^Pulumi\.\(.*\)\.yaml$/\1/'); do
    for cloud in $clouds; do
      (cd "$tree" && node node_modules/ts-node/dist/bin.js --transpile-only "$cli" "$stack" --cloud "$cloud" --out "$2/$stack-$cloud" >/dev/null)
    done
  done
  git -C "$root" worktree remove --force "$tree"
}

render_at "$before" "$work/before"
render_at "$after" "$work/after"
if diff -r -x .kubeship-render "$work/before" "$work/after"; then
  echo "identical: $(ls "$work/after" | wc -l) renders, $(find "$work/after" -type f ! -name .kubeship-render | wc -l) files, ${before:0:7} and ${after:0:7}"
else
  echo "the renders of ${before:0:7} and ${after:0:7} differ (above)" >&2
  exit 1
fi
