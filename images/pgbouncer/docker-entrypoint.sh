#!/bin/sh
# Renders /etc/pgbouncer/pgbouncer.ini (a template) from the environment into
# /run/pgbouncer/pgbouncer.ini, then runs the command. Only the PGBOUNCER_* variables below are
# substituted, so `$1` in an auth_query stays as written.
set -eu

: "${PGBOUNCER_DB_HOST:=postgres}"
: "${PGBOUNCER_DB_PORT:=5432}"
: "${PGBOUNCER_POOL_MODE:=transaction}"
: "${PGBOUNCER_MAX_CLIENT_CONN:=1000}"
: "${PGBOUNCER_DEFAULT_POOL_SIZE:=20}"
: "${PGBOUNCER_AUTH_USER:=pgbouncer}"
: "${PGBOUNCER_ADMIN_USERS:=postgres}"
export PGBOUNCER_DB_HOST PGBOUNCER_DB_PORT PGBOUNCER_POOL_MODE PGBOUNCER_MAX_CLIENT_CONN \
	PGBOUNCER_DEFAULT_POOL_SIZE PGBOUNCER_AUTH_USER PGBOUNCER_ADMIN_USERS

# shellcheck disable=SC2016 # the variable names are for envsubst, not for this shell
envsubst '${PGBOUNCER_DB_HOST} ${PGBOUNCER_DB_PORT} ${PGBOUNCER_POOL_MODE} ${PGBOUNCER_MAX_CLIENT_CONN} ${PGBOUNCER_DEFAULT_POOL_SIZE} ${PGBOUNCER_AUTH_USER} ${PGBOUNCER_ADMIN_USERS}' \
	</etc/pgbouncer/pgbouncer.ini >/run/pgbouncer/pgbouncer.ini

exec "$@"
