# Shared by the bench scripts (sourced, not run): the bookkeeping of the
# processes they start and the probes they read figures with.
#
# Every process a script starts goes into pids; all are stopped, by their
# PID, when the script exits, whatever the reason.
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

TICK=$(getconf CLK_TCK)
# freeport prints a loopback port that is free now (checked with TCP).
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# cpu PID prints the user+sys CPU seconds the process has used.
cpu() { awk -v t="$TICK" '{printf "%.2f", ($14+$15)/t}' "/proc/$1/stat"; }
# mem PID FIELD prints a /proc/PID/status field (VmRSS, VmHWM) in MiB.
mem() { awk -v k="$2" '$1 == k":" {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# metric URL PREFIX sums the series of a scrape whose line starts with
# PREFIX (a name, or a name and the start of its labels).
metric() { curl -s "$1" | awk -v m="$2" 'index($1, m) == 1 {s+=$2} END {printf "%.0f", s}'; }
# wait_http URL waits up to 20 s for URL to answer.
wait_http() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer from $1" >&2; return 1; }
