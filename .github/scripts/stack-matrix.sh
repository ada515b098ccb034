#!/usr/bin/env bash
# Prints the stack matrix as JSON, one entry per file in stacks/: {"stack": "<name>", "cloud": "<kubeship:cloud>"}.
# Usage: stack-matrix.sh [--managed]   (--managed leaves out stacks on cloud "kind" or "local")
# The workflows read it, so a new stack file is previewed (and checked for drift) without editing them.
set -euo pipefail
cd "$(dirname "$0")/../.."
managed=false
[ "${1:-}" = "--managed" ] && managed=true
entries=()
for file in stacks/Pulumi.*.yaml; do
  stack=${file#stacks/Pulumi.}
  stack=${stack%.yaml}
  cloud=$(awk '/^  kubeship:cloud:/ { print $2; exit }' "$file")
  [ -n "$cloud" ] || { echo "$file has no kubeship:cloud" >&2; exit 1; }
  [ "$managed" = true ] && { [ "$cloud" = kind ] || [ "$cloud" = local ]; } && continue
  entries+=("{\"stack\":\"$stack\",\"cloud\":\"$cloud\"}")
done
(IFS=,; echo "[${entries[*]}]")
