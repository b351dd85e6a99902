#!/usr/bin/env bash
# Adopting a real Agent Zero checkout: a clone of FIRST with its own .venv,
# user data in usr/ and the legacy top-level paths older releases used
# (.env, memory/, knowledge/custom/), taken over by `a0 init --adopt` and
# upgraded to SECOND, with every file of the user's checked at the place
# Agent Zero v1.x keeps it. Uses a local mirror (or any URL) of the upstream
# repository and the real package index; not part of CI (it downloads
# gigabytes). Run it by hand:
#   bash Examples/agent-zero-adopt.sh UPSTREAM [FIRST] [SECOND]
set -euo pipefail
trap 'echo "failed at line $LINENO (exit $?)" >&2' ERR
cd "$(dirname "${BASH_SOURCE[0]}")/.."
upstream=${1:?the URL or path of an agent-zero git repository}
first=${2:-v1.6} second=${3:-v1.7}
port=${PORT:-50081}
python=${PYTHON:-python3.12}
source Examples/agent-zero/lib.sh
build_a0
scratch=$(mktemp -d /tmp/a0-agent-zero-adopt.XXXXXX)
home="$scratch/home"
checkout="$scratch/agent-zero"
log="$scratch/run.log"
service="$PWD/Examples/agent-zero/service"
trap '"$service" stop "$home" "$port" || true; A0_PRODUCTION_LINK=agent-zero "$service" stop "$scratch" "$port" || true' EXIT

# The install as its owner made it: a clone at a tag and a venv made with
# uv from upstream's two requirements files (the second wins), with the
# wheels-only policy a0 uses (a few packages exist only as source).
user_venv() {
  local no_binary=(flask-basicauth openai-whisper crontab tinysegmenter feedfinder2 jieba3k langdetect)
  uv venv --quiet --python "$python" "$checkout/.venv"
  (cd "$checkout" && uv pip install --quiet --python .venv/bin/python --only-binary :all: \
    "${no_binary[@]/#/--no-binary=}" -r requirements.txt -r requirements2.txt --overrides requirements2.txt)
}
step "git clone $first (the owner)" git clone -q --branch "$first" -- "$upstream" "$checkout"
step "the owner's venv (uv pip install)" user_venv

# The owner's data: usr/ as v1.x keeps it, and what older releases kept at the top.
mkdir -p "$checkout/usr/chats/adopted-chat" "$checkout/memory/default" "$checkout/knowledge/custom/main"
echo '{"adopt_marker": "kept"}' >"$checkout/usr/settings.json"
echo '{"id": "adopted-chat", "messages": ["hello"]}' >"$checkout/usr/chats/adopted-chat/chat.json"
echo 'API_KEY_OPENAI=sk-adopted' >"$checkout/.env"
head -c 65536 /dev/urandom >"$checkout/memory/default/index.faiss"
echo '# a note the owner added' >"$checkout/knowledge/custom/main/note.md"
# Where each file must be afterwards (Agent Zero's helpers/migration.py).
declare -A moves=(
  [usr/settings.json]=usr/settings.json
  [usr/chats/adopted-chat/chat.json]=usr/chats/adopted-chat/chat.json
  [.env]=usr/.env
  [memory/default/index.faiss]=usr/memory/default/index.faiss
  [knowledge/custom/main/note.md]=usr/knowledge/main/note.md
)
declare -A digests
for file in "${!moves[@]}"; do digests[$file]=$(sha256sum <"$checkout/$file"); done

expect_refusal "a0 init --adopt (legacy data: refused, 65)" 65 \
  "$a0" init --upstream "$upstream" --home "$home" --adopt "$checkout"
[ -d "$checkout/.git" ] && [ -f "$checkout/.env" ] || { echo "the refusal changed the checkout"; exit 1; }

# What the refusal advises: start the install once at its current version.
start_once() {
  A0_PRODUCTION_LINK=agent-zero "$service" restart "$scratch" "$port"
  wait_healthy 180
  A0_PRODUCTION_LINK=agent-zero "$service" stop "$scratch" "$port"
}
step "start $first once (it migrates its legacy data)" start_once
step "a0 init --adopt" "$a0" init --upstream "$upstream" --home "$home" --adopt "$checkout"
configure_home "$home/.billy/config.toml" "$home"
step "start the adopted $first from the production link" "$service" restart "$home" "$port"
step "health of the adopted $first" wait_healthy 180
step "status" "$a0" status --home "$home"

step "request-upgrade $second (the agent)" "$a0" request-upgrade "$second" --reason "upgrade" --home "$home"
step "approve $second (a human)" typed "$second" "$a0" approve "$second" --home "$home"
step "grant executor --bootstrap (a human)" typed "grant" "$a0" grant executor --bootstrap --reason "adoption run" --home "$home"
step "upgrade $second" "$a0" upgrade "$second" --home "$home"
step "health of $second" health
step "confirm $second (a human)" typed "$second" "$a0" confirm --home "$home"

echo "== the owner's files, where $second keeps them" | tee -a "$log"
lost=0
for file in "${!moves[@]}"; do
  target="$home/agent-zero/${moves[$file]}"
  if [ -f "$target" ] && [ "$(sha256sum <"$target")" = "${digests[$file]}" ]; then
    echo "kept   $file -> ${moves[$file]}" | tee -a "$log"
  elif [ "$file" = .env ] && [ -f "$target" ] && grep -qxF 'API_KEY_OPENAI=sk-adopted' "$target"; then
    # Agent Zero adds its own lines (A0_PERSISTENT_RUNTIME_ID) when it starts.
    echo "kept   $file -> ${moves[$file]} (with the lines the app added: $(grep -cv '^API_KEY_OPENAI=' "$target"))" \
      | tee -a "$log"
  else
    echo "LOST   $file (expected at ${moves[$file]})" | tee -a "$log"; lost=1
  fi
done
for legacy in .env memory knowledge/custom; do
  if [ -e "$home/agent-zero/$legacy" ]; then echo "left behind: $legacy" | tee -a "$log"; lost=1; fi
done
[ "$lost" -eq 0 ]
step "audit verify" "$a0" audit verify --home "$home"
echo "== sizes" | tee -a "$log"
du -sh "$home/.billy/builds"/* "$home/.billy/shared" "$home/.billy/cache" 2>/dev/null | tee -a "$log"
echo "== timings" | tee -a "$log"
summary | tee -a "$log"
echo "home kept in $scratch (log: $log)"
