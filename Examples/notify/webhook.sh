#!/bin/sh
# a0 → any JSON webhook: POSTs the event exactly as a0 wrote it.
#   [notify] command = ["/usr/local/lib/a0/notify/webhook.sh", "https://hooks.example/a0"]
# With a shared secret file, the receiver can check X-A0-Signature:
# sha256=HMAC-SHA256(secret, body), as GitHub's webhooks do.
#   [notify] command = [".../webhook.sh", "https://hooks.example/a0", "/srv/a0/.webhook-secret"]
set -eu
here=$(dirname "$0")
url=$1
secret_file=${2-}
body=$(mktemp)
trap 'rm -f "$body"' EXIT
cat >"$body"
set -- -fsS --max-time 20 -H "Content-Type: application/json" -H "X-A0-Event: $A0_EVENT"
if [ "$secret_file" ]; then
  set -- "$@" -H "X-A0-Signature: sha256=$(python3 "$here/message.py" hmac "$secret_file" <"$body")"
fi
curl "$@" --data-binary "@$body" "$url" >/dev/null
