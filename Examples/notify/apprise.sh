#!/bin/sh
# a0 → Apprise (https://github.com/caronc/apprise): one message to every
# service its configuration lists (Telegram, Slack, Matrix, mail, …).
#   [notify] command = ["/usr/local/lib/a0/notify/apprise.sh", "/opt/apprise/bin/apprise", "--config=/srv/a0/apprise.yml"]
# The first argument is the apprise program (a0 gives its commands no PATH
# of the caller); the rest go to apprise as they are. Keep service URLs in
# the configuration file, not in config.toml: they hold credentials.
set -eu
here=$(dirname "$0")
apprise=$1
shift
event=$(cat)
say() { printf '%s' "$event" | python3 "$here/message.py" "$1"; }
exec "$apprise" --title="$(say title)" --body="$(say body)" "$@"
