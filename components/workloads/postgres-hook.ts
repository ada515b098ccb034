/**
 * How the Postgres pod keeps its roles' passwords equal to its Secret, on their own: the postgres
 * container's postStart hook (at every start) and the password sync container's loop (while the server
 * runs), shell scripts the integration suite runs against real servers (a fresh one, one restarted with
 * a rotated password, one recovering a restore, one whose Secret file changes).
 */
import { BACKUP_ROLE } from "./archive";

/** The socket directory and Secret mount of the Postgres container (postgres.ts mounts them there). */
export const SOCKET_DIR = "/var/run/postgresql";
export const SECRET_MOUNT = "/etc/postgres-secret";

/**
 * The container's postStart hook: once the server answers, set the role's password to the one in the
 * mounted Secret. initdb only reads the password on an empty volume; this makes a rotated password take
 * effect at the next start. It waits for the server on TCP, then talks to it on the local socket (trusted,
 * so the role's old password is not needed): on an empty volume the image's entrypoint first runs a
 * temporary server on the socket only, before it has created POSTGRES_DB, and a hook that took that
 * server for the real one failed the first start (seen on the real-node suite: a restart and a crash
 * back-off, two minutes more for the first `pulumi up`). psql reads the password itself (`\set` with a
 * backquoted `cat`), so it is in no process's arguments, and `:'password'` quotes it. Any failure exits
 * 1 with a message: the kubelet then records it in a FailedPostStartHook event (`kubectl describe pod`)
 * and restarts the container, rather than Postgres running with a password the app does not have. After
 * a restore the server is read-only until it reaches its target, so the hook waits for the end of recovery.
 */
export function passwordSyncScript(socketDir = SOCKET_DIR, passwordFile = `${SECRET_MOUNT}/password`, backupPasswordFile?: string): string {
    const fail = (message: string) => `echo "kubeship: ${message}" >&2; exit 1`;
    return [
        ...passwordFiles(passwordFile, backupPasswordFile).map(file => `[ -s ${file} ] || { ${fail(`the password file ${file} is missing or empty`)}; }`),
        // A server recovering a restore answers, read-only, until it promotes at the target, and rejects
        // connections before it is consistent: wait for that however long the replay takes (it is alive);
        // wait at most 120 s for one that does not answer (pg_isready's 2), or answers psql with an error.
        psqlLocal(socketDir),
        'silent=0 state=""',
        "while [ $silent -lt 120 ]; do",
        `  pg_isready -q -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"; answer=$?`,
        "  if [ $answer -eq 0 ]; then",
        `    state="$(psql_local -tA -c 'SELECT pg_is_in_recovery()' 2>&1)"`,
        `    if [ "$state" = f ]; then`,
        `      ${setPasswords(passwordFile, backupPasswordFile)} && exit 0`,
        `      ${fail("psql could not set the role's password from the Secret (its error is above)")}`,
        "    fi",
        // Recovering ("t") is progress; an error (no such database, say) counts like no answer.
        `    [ "$state" = t ] || silent=$((silent + 1))`,
        "  elif [ $answer -ne 1 ]; then",
        "    silent=$((silent + 1))",
        "  fi",
        "  sleep 1",
        "done",
        `[ -z "$state" ] || echo "$state" >&2`,
        fail("Postgres did not answer within 120 s, so the role's password was not set from the Secret"),
    ].join("\n");
}

/** Where the password sync container's loop marks that it is alive (its probes read the file's age). */
export const PASSWORD_SYNC_HEARTBEAT = "/tmp/alive";

/**
 * The password sync container's loop: a rotated password takes effect without restarting Postgres.
 * The kubelet refreshes the mounted Secret in place (within its sync period, a minute by default), and
 * every `periodSeconds` the loop compares the files' checksum with the last one it set: when they
 * differ and the server answers out of recovery, it sets the roles' passwords as the postStart hook
 * does. Sessions already open keep working (Postgres checks a password only when a session starts), so
 * the app's old pods keep serving on their pooled connections while its new pods, which have the new
 * password, wait to be Ready, until the rollout replaces them. A failure is logged and tried again at
 * the next turn, and so is what keeps a changed password waiting (a missing file, a server that does
 * not answer or is recovering), once per reason; psql gives up on a server that does not answer within
 * 5 s, and statements after 5 s, so the loop does not hang and its heartbeat stays fresh. It sets the
 * passwords once at its own start too (the files' checksum is new to it): a no-op then. It ends at once
 * on SIGINT (the official image's stop signal, which the runtime uses for every container of that
 * image) or SIGTERM.
 */
export function passwordWatchScript(socketDir = SOCKET_DIR, passwordFile = `${SECRET_MOUNT}/password`, backupPasswordFile?: string, periodSeconds = 5): string {
    const files = passwordFiles(passwordFile, backupPasswordFile);
    return [
        // The container's PID 1: without a trap, it would ignore the stop signal until the pod's grace period ran out.
        `trap 'kill $! 2>/dev/null; exit 0' TERM INT`,
        "export PGCONNECT_TIMEOUT=5 PGOPTIONS='-c statement_timeout=5000'",
        `touch ${PASSWORD_SYNC_HEARTBEAT}`,
        psqlLocal(socketDir),
        'applied="" told=""',
        "while true; do",
        `  current="$(cat ${files.join(" ")} 2>/dev/null | cksum)"`,
        `  if [ "$current" != "$applied" ]; then`,
        '    waiting=""',
        `    if ! { ${files.map(file => `[ -s ${file} ]`).join(" && ")}; }; then`,
        `      waiting="a password file of the Secret (${files.join(", ")}) is missing or empty"`,
        `    elif state="$(psql_local -tA -c 'SELECT pg_is_in_recovery()' 2>&1)"; [ "$state" = f ]; then`,
        `      if ${setPasswords(passwordFile, backupPasswordFile)}; then`,
        `        applied="$current"; echo "kubeship: the roles' passwords set from the Secret"`,
        "      else",
        `        echo "kubeship: psql could not set the role's password from the Secret (its error is above); trying again in ${periodSeconds} s" >&2`,
        "      fi",
        `    elif [ "$state" = t ]; then`,
        '      waiting="Postgres is recovering a restore"',
        "    else",
        `      waiting="Postgres does not answer on ${socketDir}: $state"`,
        "    fi",
        `    [ -z "$waiting" ] || [ "$waiting" = "$told" ] || echo "kubeship: a changed password waits, trying every ${periodSeconds} s: $waiting" >&2`,
        '    told="$waiting"',
        "  fi",
        `  touch ${PASSWORD_SYNC_HEARTBEAT}`,
        `  sleep ${periodSeconds} & wait $!`,
        "done",
    ].join("\n");
}

function passwordFiles(passwordFile: string, backupPasswordFile?: string): string[] {
    return backupPasswordFile === undefined ? [passwordFile] : [passwordFile, backupPasswordFile];
}

/** `psql_local`: psql as the owner role on the local socket (trusted, so the role's old password is not needed). */
function psqlLocal(socketDir: string): string {
    return `psql_local() { psql -X -q -v ON_ERROR_STOP=1 -h ${socketDir} -U "$POSTGRES_USER" -d "$POSTGRES_DB" "$@"; }`;
}

/**
 * One psql session that sets the owner role's password, and with archiving the replication role of base
 * backups (created once; its password, and nothing but REPLICATION and LOGIN, set each time), from the
 * files. psql reads them itself (`\set` with a backquoted `cat`), so they are in no process's arguments,
 * and `:'password'` quotes them.
 */
function setPasswords(passwordFile: string, backupPasswordFile?: string): string {
    const statements = [`'\\set password \`cat ${passwordFile}\`'`, String.raw`"ALTER ROLE :\"user\" WITH PASSWORD :'password';"`];
    if (backupPasswordFile !== undefined)
        statements.push(
            `'\\set backup_password \`cat ${backupPasswordFile}\`'`,
            `"SELECT 'CREATE ROLE ${BACKUP_ROLE}' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${BACKUP_ROLE}')\\gexec"`,
            `"ALTER ROLE ${BACKUP_ROLE} WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'backup_password';"`,
        );
    return `printf '%s\\n' ${statements.join(" ")} | psql_local -v user="$POSTGRES_USER"`;
}
