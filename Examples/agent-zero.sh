#!/usr/bin/env bash
# The real Agent Zero, end to end, with `a0 init`'s defaults: install v1.6,
# upgrade to v1.7, roll back to v1.6, with user data in usr/ surviving every
# step. Uses a local mirror (or any URL) of the upstream repository and the
# real package index; not part of CI (it downloads gigabytes). Run it by hand:
#   bash Examples/agent-zero.sh UPSTREAM [FIRST] [SECOND]
# Only what `a0 init` cannot know is edited: the interpreter when init found
# none (PYTHON=/path overrides), the restart and stop commands, the health
# URL's port. Humans approve at a terminal (`script` types for them).
set -euo pipefail
trap 'echo "failed at line $LINENO (exit $?)" >&2' ERR
cd "$(dirname "${BASH_SOURCE[0]}")/.."
upstream=${1:?the URL or path of an agent-zero git repository}
first=${2:-v1.6} second=${3:-v1.7}
port=${PORT:-50080}
source Examples/agent-zero/lib.sh
build_a0
scratch=$(mktemp -d /tmp/a0-agent-zero.XXXXXX)
home="$scratch/home"
log="$scratch/run.log"

step "a0 init" "$a0" init --upstream "$upstream" --home "$home"
configure_home "$home/.billy/config.toml" "$home"
service="$PWD/Examples/agent-zero/service"
trap '"$service" stop "$home" "$port" || true' EXIT

step "request-upgrade $first (the agent)" "$a0" request-upgrade "$first" --reason "first install" --home "$home"
step "approve $first (a human)" typed "$first" "$a0" approve "$first" --home "$home"
step "grant executor --bootstrap (a human)" typed "grant" "$a0" grant executor --bootstrap --reason "end-to-end run" --home "$home"
step "upgrade $first (stage, validate, promote)" "$a0" upgrade "$first" --home "$home"
step "health of $first" health
step "confirm $first (a human)" typed "$first" "$a0" confirm --home "$home"

# User data, through the production link, as Agent Zero keeps it.
mkdir -p "$home/agent-zero/usr/chats/e2e-chat"
echo '{"e2e_marker": "kept"}' >"$home/agent-zero/usr/settings.json"
echo '{"id": "e2e-chat", "messages": ["hello"]}' >"$home/agent-zero/usr/chats/e2e-chat/chat.json"
data_before=$(cat "$home/.billy/shared/usr/settings.json" "$home/.billy/shared/usr/chats/e2e-chat/chat.json" | sha256sum)

step "request-upgrade $second (the agent)" "$a0" request-upgrade "$second" --reason "upgrade" --home "$home"
step "approve $second (a human)" typed "$second" "$a0" approve "$second" --home "$home"
step "upgrade $second" "$a0" upgrade "$second" --home "$home"
step "health of $second" health
step "confirm $second (a human)" typed "$second" "$a0" confirm --home "$home"

step "request-upgrade $first again (a downgrade)" "$a0" request-upgrade "$first" --reason "roll back" --home "$home"
step "approve $first --downgrade (a human)" typed "$first" "$a0" approve "$first" --downgrade --home "$home"
step "rollback --to $first" "$a0" rollback --to "$first" --home "$home"
step "health of $first" health
step "confirm $first (a human)" typed "$first" "$a0" confirm --home "$home"

data_after=$(cat "$home/.billy/shared/usr/settings.json" "$home/.billy/shared/usr/chats/e2e-chat/chat.json" | sha256sum)
[ "$data_before" = "$data_after" ] && echo "user data intact: $data_after" | tee -a "$log"
step "status" "$a0" status --home "$home"
step "audit verify" "$a0" audit verify --home "$home"
echo "== sizes" | tee -a "$log"
du -sh "$home/.billy/builds"/* "$home/.billy/cache" 2>/dev/null | tee -a "$log"
echo "== timings" | tee -a "$log"
summary | tee -a "$log"
echo "home kept in $scratch (log: $log)"
