#!/usr/bin/env bash
# Initialises $PGDATA on the first start, then runs the command (PostgreSQL by default).
#
# Environment (each *_FILE variant reads the value from a file, e.g. a Docker secret):
#   POSTGRES_PASSWORD[_FILE]  password of the superuser (required to initialise)
#   POSTGRES_USER[_FILE]      superuser name (default: postgres)
#   POSTGRES_DB[_FILE]        database created at initialisation (default: $POSTGRES_USER)
#   POSTGRES_INITDB_ARGS      extra initdb arguments, e.g. "--data-checksums"
# Scripts in /docker-entrypoint-initdb.d (*.sh, *.sql, *.sql.gz) run once, after initdb.
set -Eeuo pipefail

file_env() {
	local var="$1" default="${2:-}"
	local file_var="${var}_FILE"
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		echo "error: both $var and $file_var are set" >&2
		exit 1
	fi
	local value="$default"
	if [ -n "${!var:-}" ]; then
		value="${!var}"
	elif [ -n "${!file_var:-}" ]; then
		value="$(<"${!file_var}")"
	fi
	export "$var"="$value"
	unset "$file_var"
}

init_database() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	if [ -z "$POSTGRES_PASSWORD" ]; then
		echo "error: the database is not initialised and POSTGRES_PASSWORD is not set" >&2
		exit 1
	fi

	local pwfile initdb_args=()
	read -r -a initdb_args <<<"${POSTGRES_INITDB_ARGS:-}"
	pwfile="$(mktemp)"
	printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
	initdb --pgdata="$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
		--encoding=UTF8 --auth-local=trust --auth-host=scram-sha-256 "${initdb_args[@]}"
	rm -f "$pwfile"

	# Accept password (SCRAM) connections from the private network.
	printf "\nlisten_addresses = '*'\npassword_encryption = 'scram-sha-256'\n" >>"$PGDATA/postgresql.conf"
	printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"

	# A temporary server on the Unix socket only runs the initialisation scripts.
	pg_ctl --pgdata="$PGDATA" --options="-c listen_addresses=''" --wait start
	local psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username="$POSTGRES_USER" --dbname=postgres)
	if [ "$POSTGRES_DB" != postgres ]; then
		"${psql[@]}" --set=db="$POSTGRES_DB" <<-'SQL'
			CREATE DATABASE :"db";
		SQL
	fi
	local f
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh) echo "running $f" && bash "$f" ;;
		*.sql) echo "running $f" && "${psql[@]}" --dbname="$POSTGRES_DB" -f "$f" ;;
		*.sql.gz) echo "running $f" && gunzip -c "$f" | "${psql[@]}" --dbname="$POSTGRES_DB" ;;
		*) if [ -e "$f" ]; then echo "ignoring $f"; fi ;;
		esac
	done
	pg_ctl --pgdata="$PGDATA" --mode=fast --wait stop
}

# `docker run <image> -c shared_buffers=1GB` passes options to postgres.
if [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" = 'postgres' ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
	init_database
fi

exec "$@"
