#!/usr/bin/env bash
# Stages the real Agent Zero with `a0 init`'s defaults (the interpreter and
# installer aside), against a local mirror of its repository and the real
# package index. Not run by CI (it downloads gigabytes); run it by hand:
#   bash Examples/real-agent-zero.sh /path/to/agent-zero.git [VERSION]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
upstream=${1:?the path of an agent-zero git repository (a mirror or a bare clone)}
version=${2:-v1.7}
swift build >/dev/null
a0="$(swift build --show-bin-path)/a0"
scratch=$(mktemp -d /tmp/a0-real.XXXXXX)
home="$scratch/home"
"$a0" init --upstream "$upstream" --home "$home" >/dev/null
# The interpreter itself, not a pyenv shim (a shim picks its version from the
# caller's shell, which a0's children never see): PYTHON=/path overrides.
python=${PYTHON:-$(ls -d "$HOME"/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | tail -1)}
python=${python:-$(command -v python3.12)}
sed -i "s|^interpreter = .*|interpreter = \"$python\"|; s|^installer = .*|installer = \"uv\"|" \
  "$home/.billy/config.toml"
echo "== a0 request-upgrade $version"
"$a0" request-upgrade "$version" --home "$home"
echo "== a0 approve $version (typed at a terminal)"
echo "$version" | script -qec "$a0 approve $version --home $home" /dev/null | tail -1
echo "grant" | script -qec "$a0 grant executor --bootstrap --reason real-run --home $home" /dev/null | tail -1 || true
echo "== a0 begin-staging $version"
set +e
time "$a0" begin-staging "$version" --home "$home"
status=$?
set -e
echo "exit $status"
"$a0" staging-status --home "$home" || true
"$a0" history --limit 12 --home "$home"
echo "home kept in $scratch"
