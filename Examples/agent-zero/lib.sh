# Shared by the scripts that run the real Agent Zero (sourced, not run):
# the release build of a0, timed steps, a human at a terminal, and the
# service commands a home is configured with.

# The build users should install: release mode with the Swift runtime linked in.
build_a0() {
  local build=(swift build -c release --static-swift-stdlib --product a0 --scratch-path .build-release)
  "${build[@]}" >/dev/null
  a0="$("${build[@]}" --show-bin-path)/a0"
}

timings=()
# step NAME COMMAND...: runs it, prints its output to the terminal and $log, records its time.
step() {
  local name=$1; shift
  echo "== $name" | tee -a "$log"
  local started=$(date +%s.%N)
  set +e; "$@" 2>&1 | tee -a "$log"; local status=${PIPESTATUS[0]}; set -e
  local took=$(echo "$(date +%s.%N) - $started" | bc)
  timings+=("$(printf '%-44s %7.1f s  exit %s' "$name" "$took" "$status")")
  [ "$status" -eq 0 ] || { echo "$name failed (exit $status); kept in $scratch"; summary; exit 1; }
}
# expect_refusal NAME STATUS COMMAND...: like step, but the command must exit with STATUS.
expect_refusal() {
  local name=$1 expected=$2; shift 2
  echo "== $name" | tee -a "$log"
  set +e; "$@" 2>&1 | tee -a "$log"; local status=${PIPESTATUS[0]}; set -e
  timings+=("$(printf '%-44s %9s  exit %s' "$name" "" "$status")")
  [ "$status" -eq "$expected" ] || { echo "$name: exit $status, not $expected"; summary; exit 1; }
}
summary() { printf '%s\n' "${timings[@]}"; }

# A human at a terminal: `script` gives the command one, and types the answer.
typed() { local answer=$1; shift; echo "$answer" | script -qec "$(printf '%q ' "$@")" /dev/null; }

health() { curl -fsS "http://127.0.0.1:$port/api/health"; echo; }
# wait_healthy SECONDS: until Agent Zero answers /api/health.
wait_healthy() {
  for _ in $(seq "$1"); do curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "Agent Zero did not answer /api/health in $1 s" >&2; return 1
}

# configure_home CONFIG HOME: what a0 init cannot know — the interpreter
# (PYTHON=), the service commands, the health URL's port.
configure_home() {
  local config=$1 home=$2 service="$PWD/Examples/agent-zero/service"
  if [ -n "${PYTHON:-}" ]; then
    sed -i "s|^interpreter = .*|interpreter = \"$PYTHON\"|" "$config"
  fi
  sed -i "s|^restart = .*|restart = [\"$service\", \"restart\", \"$home\", \"$port\"]|; \
    s|^stop = .*|stop = [\"$service\", \"stop\", \"$home\", \"$port\"]|; \
    s|^running = .*|running = [\"$service\", \"status\", \"$home\", \"$port\"]|; \
    s|^health_url = .*|health_url = \"http://127.0.0.1:$port/api/health\"|" "$config"
}
