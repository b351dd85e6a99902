#!/bin/sh
# a0 → ntfy: one push per event, titled and prioritised.
#   [notify] command = ["/usr/local/lib/a0/notify/ntfy.sh", "https://ntfy.sh/YOUR-TOPIC"]
# A topic behind an access token: pass a file holding it (readable by a0's user only):
#   [notify] command = [".../ntfy.sh", "https://ntfy.example/a0", "/srv/a0/.ntfy-token"]
set -eu
here=$(dirname "$0")
url=$1
token_file=${2-}
event=$(cat)
say() { printf '%s' "$event" | python3 "$here/message.py" "$1"; }
set -- -fsS --max-time 20 -H "Title: $(say title)" -H "Priority: $(say priority)" -H "Tags: a0,$A0_EVENT"
if [ "$token_file" ]; then
  # The token goes through a header file, never the command line others can read.
  header=$(mktemp)
  trap 'rm -f "$header"' EXIT
  printf 'Authorization: Bearer %s\n' "$(cat "$token_file")" >"$header"
  set -- "$@" -H "@$header"
fi
say body | curl "$@" --data-binary @- "$url" >/dev/null
