#!/bin/sh
# Writes the password include of redis.conf from REDIS_PASSWORD (or REDIS_PASSWORD_FILE, e.g. a
# Docker secret) so it never appears in the process list, then runs the command.
set -eu

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

if [ -n "${REDIS_PASSWORD_FILE:-}" ]; then
	REDIS_PASSWORD="$(cat "$REDIS_PASSWORD_FILE")"
fi

umask 077
if [ -n "${REDIS_PASSWORD:-}" ]; then
	printf 'requirepass "%s"\n' "$(printf '%s' "$REDIS_PASSWORD" | sed 's/[\\"]/\\&/g')" >/run/redis/auth.conf
else
	: >/run/redis/auth.conf
fi
unset REDIS_PASSWORD REDIS_PASSWORD_FILE

exec "$@"
