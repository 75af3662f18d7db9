#!/bin/sh
# Starts Chromium as an unprivileged user, for a render worker that runs as root (Chromium refuses its
# sandbox as root). The worker launches this script as Chromium, with CRAWLFLEET_CHROMIUM (the real
# binary) and CRAWLFLEET_RENDER_USER (RENDER_USER) in its environment: the profile directory the worker
# made is handed to that user, then the user's id replaces root's, with no extra groups and no way back.
set -eu
user="${CRAWLFLEET_RENDER_USER:?}"
chromium="${CRAWLFLEET_CHROMIUM:?}"
for arg in "$@"; do
  case "$arg" in
    --user-data-dir=*) chown -R "$user" "${arg#--user-data-dir=}" ;;
  esac
done
unset CRAWLFLEET_RENDER_USER CRAWLFLEET_CHROMIUM
exec setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups --no-new-privs -- "$chromium" "$@"
