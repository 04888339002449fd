#!/usr/bin/env bash
# The sweep benchmark's scripted agent: one chat.postMessage with curl (Slack takes a
# channel by name), from the environment the evaluator gives every agent. Cheap on
# purpose, so the sweep measures the evaluator and the twins rather than an
# interpreter's start-up.
set -euo pipefail
curl -sf -H "Authorization: Bearer $SLACK_BOT_TOKEN" -H 'Content-Type: application/json; charset=utf-8' \
  -d '{"channel":"#general","text":"sweep"}' "${SLACK_API_URL}chat.postMessage" > /dev/null
