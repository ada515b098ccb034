#!/bin/bash
# The official postgres image's entrypoint contract, for a non-root user: on an empty PGDATA, initdb with
# the superuser POSTGRES_USER, its password from POSTGRES_PASSWORD_FILE (or POSTGRES_PASSWORD) and
# POSTGRES_INITDB_ARGS; password authentication for every host connection; POSTGRES_DB created. Then
# postgres replaces this shell (PID 1 receives the stop signals).
set -Eeuo pipefail

if [ "${1:0:1}" = "-" ]; then
	set -- postgres "$@"
fi

if [ "$1" = "postgres" ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
	user="${POSTGRES_USER:-postgres}"
	db="${POSTGRES_DB:-$user}"
	if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
		password="$(<"$POSTGRES_PASSWORD_FILE")"
	else
		password="${POSTGRES_PASSWORD:-}"
	fi
	if [ -z "$password" ]; then
		echo "kubeship postgres stand-in: no password (POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD)" >&2
		exit 1
	fi
	mkdir -p "$PGDATA"
	chmod 700 "$PGDATA"
	# The password reaches initdb through a file descriptor, never an argument.
	# shellcheck disable=SC2086
	initdb --username="$user" --pwfile=<(printf '%s\n' "$password") ${POSTGRES_INITDB_ARGS:-} >/dev/null
	printf '\nlisten_addresses = '"'"'*'"'"'\n' >>"$PGDATA/postgresql.conf"
	printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
	if [ "$db" != "postgres" ]; then
		pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" -w start >/dev/null
		printf 'CREATE DATABASE :"db";\n' | psql -v ON_ERROR_STOP=1 -q -h /var/run/postgresql -U "$user" -d postgres -v db="$db"
		pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
	fi
	echo "kubeship postgres stand-in: initialized $PGDATA (database $db, owner $user)"
fi

exec "$@"
