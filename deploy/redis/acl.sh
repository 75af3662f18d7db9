#!/bin/sh
# Starts Redis with one ACL user per crawlfleet role, each limited to the project's keys and channels
# (QUEUE_PREFIX, default crawlfleet) and to the commands BullMQ and the role need:
#   api, worker, render   run BullMQ (scripts, streams, INFO, CLIENT SETNAME/LIST) on the project's keys;
#   admin                 the same, for an operator's tools.
# None may run CONFIG, MODULE, FLUSHALL, FLUSHDB, KEYS, DEBUG, SHUTDOWN or ACL, and no one can log in as default.
# Each password comes from REDIS_<ROLE>_PASSWORD; a role whose password is unset gets no user.
# Usage: acl.sh [redis-server arguments...]; the ACL file is written to REDIS_ACL_DIR (default /data).
set -eu
dir="${REDIS_ACL_DIR:-/data}"
prefix="${QUEUE_PREFIX:-crawlfleet}"
acl="$dir/users.acl"
umask 077
: > "$acl"
# Nobody can log in as the default user (off), but Redis replays the AOF as that user at start: it keeps its
# rights, or every MULTI/EXEC in the AOF (BullMQ's adds) fails with NOPERM and accepted jobs are lost on restart.
echo "user default off resetkeys ~* resetchannels &* +@all" >> "$acl"
rules="~${prefix}:* ~{${prefix}:* resetchannels &${prefix}:* +@all -@dangerous +info +client|setname +client|getname +client|list +client|id +cluster|slots +cluster|shards +cluster|nodes +cluster|info +readonly +role +sort_ro"
for role in api worker render admin; do
  var="REDIS_$(echo "$role" | tr a-z A-Z)_PASSWORD"
  eval "password=\${$var:-}"
  [ -n "$password" ] || continue
  case "$password" in *" "*) echo "acl.sh: $var must not contain spaces" >&2; exit 2 ;; esac
  echo "user $role on >$password $rules" >> "$acl"
done
exec redis-server "$@" --aclfile "$acl"
