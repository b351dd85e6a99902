#!/bin/sh
# a0 → e-mail through the host's sendmail (Postfix, Exim, msmtp, OpenSMTPD):
#   [notify] command = ["/usr/local/lib/a0/notify/sendmail.sh", "ops@example.com"]
# A second argument names another sendmail program (default /usr/sbin/sendmail).
set -eu
here=$(dirname "$0")
to=$1
sendmail=${2:-/usr/sbin/sendmail}
event=$(cat)
say() { printf '%s' "$event" | python3 "$here/message.py" "$1"; }
{
  printf 'To: %s\n' "$to"
  printf 'Subject: %s\n' "$(say title)"
  printf 'Content-Type: text/plain; charset=utf-8\n'
  printf 'Auto-Submitted: auto-generated\n'
  printf 'X-A0-Event: %s\n\n' "$A0_EVENT"
  say body
  printf '\n-- \nThe event, as a0 journaled it:\n%s\n' "$event"
} | "$sendmail" -t -oi
