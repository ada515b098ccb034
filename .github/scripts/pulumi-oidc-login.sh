#!/usr/bin/env bash
# Pulumi Cloud login by OIDC, without a third-party action. Asks GitHub for an ID token whose audience
# is the Pulumi organization, exchanges it at Pulumi Cloud's token endpoint for a short-lived
# organization access token (the exchange `pulumi login --oidc-token` makes), masks both, and exports
# PULUMI_ACCESS_TOKEN to the job's later steps. Tokens travel through pipes, never command lines.
# Needs: PULUMI_ORG, the job's `permissions: id-token: write`, curl and node.
set -euo pipefail
: "${PULUMI_ORG:?set PULUMI_ORG, the Pulumi organization (the repository variable PULUMI_ORG)}"
: "${ACTIONS_ID_TOKEN_REQUEST_URL:?GitHub offers no ID token: give the job permissions: id-token: write}"
: "${GITHUB_ENV:?run it in a GitHub Actions job}"
api=${PULUMI_API:-https://api.pulumi.com}
audience="urn:pulumi:org:${PULUMI_ORG}"
json() { node -e 'let s = ""; process.stdin.on("data", d => (s += d)).on("end", () => process.stdout.write(String(JSON.parse(s)[process.argv[1]] ?? "")))' "$1"; }

id_token=$(printf 'Authorization: bearer %s\n' "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-}" |
  curl -fsS --header @- "${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${audience}" | json value)
[ -n "$id_token" ] || { echo "GitHub returned no ID token" >&2; exit 1; }
echo "::add-mask::${id_token}"

token=$(printf '%s' "$id_token" |
  curl -fsS -X POST "${api}/api/oauth/token" \
    --data-urlencode "audience=${audience}" \
    --data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:token-exchange" \
    --data-urlencode "requested_token_type=urn:pulumi:token-type:access_token:organization" \
    --data-urlencode "subject_token_type=urn:ietf:params:oauth:token-type:id_token" \
    --data-urlencode "expiration=7200" \
    --data-urlencode "subject_token@-" | json access_token)
[ -n "$token" ] || { echo "Pulumi Cloud returned no access token for ${audience}: is GitHub registered as an OIDC issuer of the organization?" >&2; exit 1; }
echo "::add-mask::${token}"
echo "PULUMI_ACCESS_TOKEN=${token}" >> "$GITHUB_ENV"
echo "logged in to Pulumi Cloud as organization ${PULUMI_ORG} (a token for 2 hours)"
