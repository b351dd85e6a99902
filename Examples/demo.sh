#!/usr/bin/env bash
# The a0 demo: builds a0 and walks through its lifecycle in a scratch
# directory, printing every a0 command before it runs. It stops with a
# non-zero exit as soon as a step does not behave as shown.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
echo "== building a0 (release)"
swift build -c release --product a0 >&2
bin="$(swift build -c release --show-bin-path)/a0"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/a0-demo.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
home="$scratch/home"

step() { printf '\n\033[1m$ a0 %s\033[0m\n' "$*"; }
# expect CODE ARGS...: run a0 and insist on its exit code.
expect() {
  local want=$1; shift
  step "$@"
  set +e; "$bin" "$@"; local got=$?; set -e
  if [ "$got" -ne "$want" ]; then
    echo "demo: \`a0 $*\` exited $got, expected $want" >&2
    exit 1
  fi
}
state() { "$bin" status --home "$home" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["current_state"])'; }
insist_state() {
  local got; got=$(state)
  [ "$got" = "$1" ] || { echo "demo: state is $got, expected $1" >&2; exit 1; }
}

echo "== an a0 home for Agent Zero in $home"
expect 0 init --upstream https://github.com/agent0ai/agent-zero.git --home "$home"
expect 0 status --home "$home"
expect 0 explain-state --home "$home"

echo
echo "== the agent (no terminal, --json) may look, but not decide: confirm needs a human (exit 3)"
expect 3 confirm --home "$home" --json
insist_state IDLE

echo
echo "== a crash can tear the last journal line; the next command repairs it and says so"
printf '{"actor":"system","det' >> "$home/.billy/upgrade_history.log"
expect 0 status --home "$home"
expect 0 audit verify --home "$home"

echo
echo "== state.json damaged behind a0's back: the machine goes to FAILED_HARD and keeps the evidence"
echo '{"current_state": "IDLE"' > "$home/.billy/state.json"
expect 0 status --home "$home"
insist_state FAILED_HARD
ls "$home/.billy" | grep -q '^state.json.corrupt-' || { echo "demo: corrupt file not kept" >&2; exit 1; }
expect 0 explain-state --home "$home"

echo
echo "== only a human leaves FAILED_HARD: a0 reset at a terminal (typed here through a pseudo-terminal)"
step reset --home "$home" --reason "state file inspected"
printf 'reset\n' | script -qec "$(printf '%q ' "$bin" reset --home "$home" --reason "state file inspected")" /dev/null
insist_state IDLE

echo
echo "== the journal keeps every step, hash-chained"
expect 0 history --home "$home"
expect 0 audit verify --home "$home"
echo "== a tampered journal is caught at its line (exit 5)"
sed -i 's/state file inspected/nothing to see here/' "$home/.billy/upgrade_history.log"
expect 5 audit verify --home "$home"

echo
echo "demo: every step behaved as shown"
