#!/usr/bin/env bash
# Prints the stack matrix as JSON, one entry per file in stacks/: {"stack": "<name>", "cloud": "<kubeship:cloud>"},
# in promotion order: dev first, prod last, every other stack in between (alphabetically).
# Usage: stack-matrix.sh [--managed]   (--managed leaves out stacks on cloud "kind" or "local")
# The workflows read it, so a new stack file is previewed, deployed and checked for drift, and a stack
# that changes cloud gets that cloud's credentials, without editing them.
set -euo pipefail
cd "$(dirname "$0")/../.."
managed=false
[ "${1:-}" = "--managed" ] && managed=true
files=()
[ -f stacks/Pulumi.dev.yaml ] && files+=(stacks/Pulumi.dev.yaml)
for file in stacks/Pulumi.*.yaml; do
  case "$file" in stacks/Pulumi.dev.yaml | stacks/Pulumi.prod.yaml) ;; *) files+=("$file") ;; esac
done
[ -f stacks/Pulumi.prod.yaml ] && files+=(stacks/Pulumi.prod.yaml)
entries=()
for file in "${files[@]}"; do
  stack=${file#stacks/Pulumi.}
  stack=${stack%.yaml}
  cloud=$(awk '/^  kubeship:cloud:/ { print $2; exit }' "$file")
  [ -n "$cloud" ] || { echo "$file has no kubeship:cloud" >&2; exit 1; }
  [ "$managed" = true ] && { [ "$cloud" = kind ] || [ "$cloud" = local ]; } && continue
  entries+=("{\"stack\":\"$stack\",\"cloud\":\"$cloud\"}")
done
(IFS=,; echo "[${entries[*]}]")
