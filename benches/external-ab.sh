#!/usr/bin/env bash
# Two `dtu` binaries side by side under the external load of `cargo bench --bench external`
# (wrk -t2 -c32, 5 s rounds, chat.postMessage into #general), alternating round by round,
# so a change's effect is read against the other binary in the same minutes. Prints
# each round's rate and the server's CPU time per request (from /proc), then medians.
#
#   benches/external-ab.sh OLD_BINARY NEW_BINARY [ROUNDS]
#
# Needs wrk, python3 and Linux /proc. A_ENV / B_ENV add environment to either server.
set -euo pipefail
A=$1; B=$2; ROUNDS=${3:-8}
WORK=$(mktemp -d); trap 'kill $(cat "$WORK"/pid.* 2>/dev/null) 2>/dev/null; rm -rf "$WORK"' EXIT
start() { # name binary port-base env
  env ${4:-} "$2" serve --port-base "$3" --manifest "$WORK/m.$1.json" >/dev/null 2>&1 & echo $! >"$WORK/pid.$1"
  for _ in $(seq 100); do [ -s "$WORK/m.$1.json" ] && break; sleep 0.1; done
  python3 - "$WORK" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
work, name = sys.argv[1], sys.argv[2]
slack = json.load(open(f"{work}/m.{name}.json"))["slack"]
base, token = slack["base_url"].rstrip("/"), slack["bot_token"]
req = urllib.request.Request(base + "/conversations.list", data=b"", headers={"Authorization": "Bearer " + token})
general = [c["id"] for c in json.load(urllib.request.urlopen(req))["channels"] if c["name"] == "general"][0]
body = urllib.parse.urlencode({"channel": general, "text": "Here's a message for you"})
open(f"{work}/post.{name}.lua", "w").write(
    f'wrk.method="POST"\nwrk.body="{body}"\n'
    'wrk.headers["Content-Type"]="application/x-www-form-urlencoded"\n'
    f'wrk.headers["Authorization"]="Bearer {token}"\n')
open(f"{work}/url.{name}", "w").write(base + "/chat.postMessage")
PY
}
start a "$A" 18700 "${A_ENV:-}"; start b "$B" 18750 "${B_ENV:-}"
cpu() { awk '{print $14 + $15}' "/proc/$(cat "$WORK/pid.$1")/stat"; }
for round in $(seq "$ROUNDS"); do
  for name in a b; do
    before=$(cpu $name)
    out=$(wrk -t2 -c32 -d5s -s "$WORK/post.$name.lua" "$(cat "$WORK/url.$name")")
    after=$(cpu $name)
    requests=$(echo "$out" | awk '/requests in/{print $1}')
    rate=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    echo "$round $name $rate $(python3 -c "print(round(($after - $before) * 1e6 / $(getconf CLK_TCK) / $requests, 1))")"
  done
done | tee "$WORK/rounds"
python3 - "$WORK/rounds" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for name, label in (("a", "old"), ("b", "new")):
    rates = [float(r[2]) for r in rows if r[1] == name]
    cpu = [float(r[3]) for r in rows if r[1] == name]
    print(f"{label}: median {statistics.median(rates):.0f} req/s, {statistics.median(cpu)} µs server CPU per request")
PY
