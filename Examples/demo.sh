#!/usr/bin/env bash
# The a0 demo: builds a0 and runs the whole lifecycle on the embedded sample
# app in a scratch directory, offline. Every a0 command is printed before it
# runs; the demo stops with a non-zero exit as soon as a step does not behave
# as shown.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
echo "== building a0 (release)"
swift build -c release --product a0 >&2
bin="$(swift build -c release --show-bin-path)/a0"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/a0-demo.XXXXXX")
home="$scratch/home"
cleanup() {
  "$repo/Examples/sample-app/sample-service" stop "$home" 0 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# a0 WHO EXPECTED-EXIT ARGS...: run a0 as the agent or as alice, insist on the exit code.
a0() {
  local who=$1 want=$2; shift 2
  local extra=()
  [ "$who" = alice ] && extra=(--key "$scratch/keys/alice")
  [ "$who" = agent ] && extra=(--json)
  printf '\n\033[1m[%s] $ a0 %s\033[0m\n' "$who" "$*"
  set +e; "$bin" "$@" --home "$home" "${extra[@]}" </dev/null; local got=$?; set -e
  echo
  if [ "$got" -ne "$want" ]; then
    echo "demo: \`a0 $*\` exited $got, expected $want" >&2
    exit 1
  fi
}
field() { "$bin" status --home "$home" --json | python3 -c "import json,sys; d=json.load(sys.stdin)['data']; print(eval('d'+sys.argv[1]))" "$1"; }
insist() {
  local got; got=$(field "$1")
  [ "$got" = "$2" ] || { echo "demo: $1 is $got, expected $2" >&2; exit 1; }
}
health() { python3 -c "import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))['version'])" "http://127.0.0.1:$port/health"; }

bold "== the sample app: a local upstream with v1.0.0, v1.1.0, v1.2.0 (breaks validation), v1.3.0 (breaks in production)"
python3 Examples/sample-app/make-upstream.py "$scratch"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

bold "== a human's throwaway signing key (ssh-keygen), allowed to decide for this home"
mkdir -p "$scratch/keys"
ssh-keygen -q -t ed25519 -N "" -C alice -f "$scratch/keys/alice"
echo "alice namespaces=\"a0\" $(cat "$scratch/keys/alice.pub")" > "$scratch/keys/allowed_signers"

a0 human 0 init --upstream "$scratch/upstream/a0/sample-app.git" --name app
bold "== configure the home for the sample app (what an operator edits in .billy/config.toml)"
service="$repo/Examples/sample-app/sample-service"
python3 Examples/sample-app/render-config.py "$home/.billy/config.toml" \
  upstream="$scratch/upstream/a0/sample-app.git" installer=auto wheelhouse="$scratch/wheelhouse" \
  service="$service" home="$home" port="$port" signers="$scratch/keys/allowed_signers" \
  health_timeout=8 stable_seconds=2
echo "GREETING=hello" > "$home/.env.seed"
sed -n '1,20p' "$home/.billy/config.toml"

bold "== 1. install v1.0.0: the agent asks, the human decides"
a0 agent 0 check-updates
a0 agent 0 request-upgrade v1.0.0 --reason "first install"
a0 agent 0 pending-approvals
a0 agent 3 approve v1.0.0
a0 alice 0 approve v1.0.0
a0 alice 0 grant executor --bootstrap --reason "demo: let the agent run approved operations"
a0 agent 0 begin-staging v1.0.0
a0 agent 0 validate
a0 agent 0 promote
insist "['current_state']" COMPLETE
echo "production answers: $(health)"
a0 alice 0 confirm
insist "['current_state']" IDLE

bold "== 2. upgrade to v1.1.0 in one command"
a0 agent 0 request-upgrade v1.1.0
a0 alice 0 approve v1.1.0
a0 agent 0 upgrade v1.1.0
[ "$(health)" = v1.1.0 ] || { echo "demo: production does not answer v1.1.0" >&2; exit 1; }
a0 alice 0 confirm
a0 agent 0 list-artifacts

bold "== 3. v1.2.0 imports a module that does not exist: validation stops it, production is untouched"
a0 agent 0 request-upgrade v1.2.0
a0 alice 0 approve v1.2.0
a0 agent 0 begin-staging v1.2.0
a0 agent 1 validate
insist "['current_state']" FAILED
[ "$(health)" = v1.1.0 ] || { echo "demo: production changed" >&2; exit 1; }
a0 alice 0 clear-failure --reason "v1.2.0 is broken upstream"

bold "== 4. v1.3.0 passes validation but migrates the user's notes and fails in production: automatic rollback"
before=$(cat "$home/.billy/shared/data/notes.json")
echo "user data before: $before"
a0 agent 0 request-upgrade v1.3.0
a0 alice 0 approve v1.3.0
a0 agent 1 upgrade v1.3.0
insist "['current_state']" IDLE
after=$(cat "$home/.billy/shared/data/notes.json")
echo "user data after:  $after"
# The snapshot brought back format 1; v1.1.0 then logged its own restart.
python3 - "$before" "$after" <<'PY' || { echo "demo: the data written by v1.3.0 was not undone" >&2; exit 1; }
import json, sys
before, after = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert after["format"] == 1 and after["entries"][:len(before["entries"])] == before["entries"]
PY
[ "$(health)" = v1.1.0 ] || { echo "demo: production does not answer v1.1.0 after the rollback" >&2; exit 1; }
echo "production answers $(health) again, with the user's data as it was"

bold "== 5. the agent tries a human-only command: refused, journaled, and its executor authority is revoked"
a0 agent 3 reset --reason "let me in"
insist "['authority_level']" observer

bold "== 6. the record"
a0 agent 0 verify
a0 human 0 status
a0 human 0 history --limit 60
a0 human 0 audit verify
echo
echo "demo: every step behaved as shown"
