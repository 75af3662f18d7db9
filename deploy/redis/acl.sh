#!/bin/sh
# Starts Redis with one ACL user per crawlfleet role, each limited to the project's keys and channels
# (QUEUE_PREFIX, default crawlfleet) and to the commands BullMQ and the role need:
#   api, worker, render   run BullMQ (scripts, streams, INFO, CLIENT SETNAME/LIST) on the project's keys;
#   admin                 the same, for an operator's tools.
# None may run CONFIG, MODULE, FLUSHALL, FLUSHDB, KEYS, DEBUG, SHUTDOWN or ACL, and the default user is off.
# Each password comes from REDIS_<ROLE>_PASSWORD; a role whose password is unset gets no user.
# Usage: acl.sh <dir for users.acl> [redis-server arguments...]
set -eu
dir="$1"
shift
prefix="${QUEUE_PREFIX:-crawlfleet}"
acl="$dir/users.acl"
umask 077
: > "$acl"
echo "user default off" >> "$acl"
rules="~${prefix}:* ~{${prefix}:* resetchannels &${prefix}:* +@all -@dangerous +info +client|setname +client|getname +client|list +client|id +cluster|slots +cluster|shards +cluster|nodes +cluster|info +readonly +role +sort_ro"
for role in api worker render admin; do
  var="REDIS_$(echo "$role" | tr a-z A-Z)_PASSWORD"
  eval "password=\${$var:-}"
  [ -n "$password" ] || continue
  case "$password" in *" "*) echo "acl.sh: $var must not contain spaces" >&2; exit 2 ;; esac
  echo "user $role on >$password $rules" >> "$acl"
done
exec redis-server "$@" --aclfile "$acl"
