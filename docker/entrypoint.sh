#!/bin/sh
# Entry point of the molotov image: runs the test TEST_NAME of the git repository TEST_REPO
# with moloslave. Arguments given to `docker run IMAGE ...` go to moloslave before them
# (for example `--config ci/molotov.json`).
set -eu

missing=""
if [ -z "${TEST_REPO:-}" ]; then
    missing="TEST_REPO"
fi
if [ -z "${TEST_NAME:-}" ]; then
    missing="${missing:+$missing and }TEST_NAME"
fi
if [ -n "$missing" ]; then
    echo "error: $missing must be set (docker run -e TEST_REPO=<git repository> -e TEST_NAME=<test> ...)" >&2
    exit 2
fi

# exec: moloslave becomes PID 1 and receives `docker stop`'s SIGTERM (and Ctrl-C) itself.
exec moloslave "$@" -- "$TEST_REPO" "$TEST_NAME"
