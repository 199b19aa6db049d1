# shellcheck shell=bash
# scripts/galera.sh — a private 3-node MariaDB Galera cluster on loopback, for the
# integration/galera suite (scripts/test starts it only when that suite runs).
#
# Source it after scripts/lib.sh (DC_WORK set, dc_trap_install called), then:
#   dc_galera_start DIR DBNAME DBUSER DBPASSWORD
# bootstraps node 1 (--wsrep-new-cluster), joins nodes 2 and 3 (rsync SST), creates the
# database and the user on the cluster, writes DIR/ctl and exports:
#   GALERA_CTL      DIR/ctl: start N | stop N | kill N | isolate N | heal N | status N |
#                   sql N "SQL" | wait-synced N | stop-all
#   GALERA_HOSTS    127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3 (the nodes' MariaDB ports)
#   GALERA_SOCKETS  the nodes' unix sockets, comma-separated (root, no password)
#   GALERA_DIR      DIR
# Every node runs as the user mysql (Debian's mariadb-server), so DIR and every folder
# above it must be traversable by mysql: scripts/test's temporary folder (mode 0755) is.
# Each node has its own datadir, socket, error log and four ports (client, gcomm, IST,
# SST) on 127.0.0.1. The stop registered with dc_defer shuts every node down.
#
# Settings a Galera node needs for dcgate (and that README "Scaling out" repeats):
# binlog_format=ROW, default_storage_engine=InnoDB, innodb_autoinc_lock_mode=2, every
# table with a primary key (dcgate's have), wsrep_provider=/usr/lib/galera/libgalera_smm.so.

DC_GALERA_PROVIDER=${DC_GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}
DC_GALERA_NODES=3

# dc_galera_cnf DIR N: the option file of node N (all ports from DIR/ports).
dc_galera_cnf() {
	local dir=$1 n=$2 i gcomm=() p
	# shellcheck source=/dev/null
	source "$dir/ports"
	for ((i = 1; i <= DC_GALERA_NODES; i++)); do
		p=GCOMM_$i
		gcomm+=("127.0.0.1:${!p}")
	done
	local client=CLIENT_$n g=GCOMM_$n ist=IST_$n sst=SST_$n
	local nd=$dir/node$n
	cat <<EOF
[mariadbd]
user = mysql
datadir = $nd/data
socket = $nd/mysql.sock
port = ${!client}
bind-address = 127.0.0.1
pid-file = $nd/mariadbd.pid
log-error = $nd/error.log
tmpdir = $nd/tmp
skip-name-resolve
skip-log-bin
innodb-buffer-pool-size = 64M
innodb-log-file-size = 16M
innodb-flush-log-at-trx-commit = 2
performance-schema = OFF
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
max-connections = 200
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
# wsrep counts as binary logging: dcgate-admin migrate creates triggers (sql/004-009)
log_bin_trust_function_creators = 1
wsrep_on = ON
wsrep_provider = $DC_GALERA_PROVIDER
wsrep_cluster_name = dcgate-test
wsrep_cluster_address = gcomm://$(
		IFS=,
		printf '%s' "${gcomm[*]}"
	)
wsrep_node_name = node$n
wsrep_node_address = 127.0.0.1:${!g}
wsrep_node_incoming_address = 127.0.0.1:${!client}
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:${!sst}
wsrep_slave_threads = 2
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:${!g};ist.recv_addr=127.0.0.1:${!ist};gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT4S"
EOF
}

# dc_galera_sql DIR N SQL: run SQL as root on node N over its socket.
dc_galera_sql() {
	local dir=$1 n=$2
	shift 2
	mariadb --no-defaults --protocol=socket --socket="$dir/node$n/mysql.sock" -uroot \
		--batch --skip-column-names --connect-timeout=3 -e "$*"
}

# dc_galera_state DIR N: "wsrep_local_state_comment wsrep_cluster_status wsrep_ready"
dc_galera_state() {
	dc_galera_sql "$1" "$2" "SELECT GROUP_CONCAT(VARIABLE_VALUE ORDER BY VARIABLE_NAME SEPARATOR ' ')
		FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN
		('WSREP_LOCAL_STATE_COMMENT', 'WSREP_CLUSTER_STATUS', 'WSREP_READY')" 2>/dev/null
}

# dc_galera_synced DIR N: true when node N is Synced in the Primary component.
dc_galera_synced() {
	local s
	s=$(dc_galera_state "$1" "$2") || return 1
	# ORDER BY name: cluster_status, local_state_comment, ready
	[ "$s" = "Primary Synced ON" ]
}

# dc_galera_launch DIR N [--wsrep-new-cluster]: start node N in the background, wait
# until it is synced (a joiner receives its state by rsync SST or IST first).
dc_galera_launch() {
	local dir=$1 n=$2 extra=("${@:3}") nd pid
	nd=$dir/node$n
	rm -f "$nd/mysql.sock"
	mariadbd --defaults-file="$dir/node$n.cnf" "${extra[@]}" </dev/null >>"$nd/stderr.log" 2>&1 &
	pid=$!
	printf '%s\n' "$pid" >"$nd/launcher.pid"
	if ! dc_wait_for "galera node $n" 120 "$pid" dc_galera_synced "$dir" "$n"; then
		dc_tail "$nd/error.log" 60
		return 1
	fi
}

# dc_galera_pid DIR N: the pid of node N's mariadbd (empty when it is not running).
dc_galera_pid() {
	local pid=""
	[ -f "$1/node$2/mariadbd.pid" ] && pid=$(cat "$1/node$2/mariadbd.pid" 2>/dev/null || true)
	[ -n "$pid" ] || pid=$(cat "$1/node$2/launcher.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then printf '%s\n' "$pid"; fi
}

# dc_galera_stop_node DIR N [KILL]: SQL SHUTDOWN (or SIGKILL), wait for the process.
dc_galera_stop_node() {
	local dir=$1 n=$2 how=${3:-} pid end
	pid=$(dc_galera_pid "$dir" "$n")
	[ -n "$pid" ] || return 0
	if [ "$how" = kill ]; then
		kill -KILL "$pid" 2>/dev/null || true
	else
		dc_galera_sql "$dir" "$n" "SHUTDOWN" >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
	fi
	end=$(($(dc_now) + 60 * 1000000))
	while kill -0 "$pid" 2>/dev/null && [ "$(dc_now)" -lt "$end" ]; do sleep 0.05; done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.5
	fi
	rm -f "$dir/node$n/mariadbd.pid"
}

# dc_galera_stop_all DIR: stop the nodes, the last one started first stopped last. Nodes
# whose pid files are gone (DIR removed under a running cluster) are found among the pids
# dc_galera_env remembered, when their command line still names DIR.
dc_galera_stop_all() {
	local dir=$1 i p
	for ((i = DC_GALERA_NODES; i >= 1; i--)); do
		dc_galera_stop_node "$dir" "$i" || true
	done
	for p in ${DC_GALERA_PIDS:-}; do
		if kill -0 "$p" 2>/dev/null && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$dir/"; then
			dc_log "galera: node pid $p still running without its pid file: killing it"
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
}

# dc_galera_write_ctl DIR: DIR/ctl, the control script the tests use.
dc_galera_write_ctl() {
	local dir=$1
	{
		printf '#!/usr/bin/env bash\n'
		printf '# control of the private Galera cluster of this run (written by scripts/galera.sh)\n'
		printf 'set -euo pipefail\n'
		printf 'source %q\n' "$DC_ROOT/scripts/lib.sh"
		printf 'source %q\n' "$DC_ROOT/scripts/galera.sh"
		printf 'DC_WORK=%q\n' "$DC_WORK"
		printf 'D=%q\n' "$dir"
		cat <<'EOF'
cmd=${1:-}
n=${2:-}
case $cmd in
stop-all) dc_galera_stop_all "$D" ;;
start) dc_galera_launch "$D" "$n" ;;
stop) dc_galera_stop_node "$D" "$n" ;;
kill) dc_galera_stop_node "$D" "$n" kill ;;
isolate) dc_galera_sql "$D" "$n" "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'" ;;
heal)
	dc_galera_sql "$D" "$n" "SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'"
	dc_wait_for "galera node $n" 60 "" dc_galera_synced "$D" "$n"
	;;
wait-synced) dc_wait_for "galera node $n" "${3:-60}" "" dc_galera_synced "$D" "$n" ;;
status) dc_galera_state "$D" "$n" || echo "down" ;;
pid) dc_galera_pid "$D" "$n" ;;
sql)
	shift 2
	dc_galera_sql "$D" "$n" "$@"
	;;
*)
	echo "usage: $0 start|stop|kill|isolate|heal|wait-synced|status|pid N | sql N SQL | stop-all" >&2
	exit 2
	;;
esac
EOF
	} >"$dir/ctl"
	chmod 755 "$dir/ctl"
}

# dc_galera_env DIR: export GALERA_CTL, GALERA_HOSTS, GALERA_SOCKETS, GALERA_DIR of a
# cluster set up in DIR (also from a shell that did not start it).
dc_galera_env() {
	local dir=$1 i p hosts=() socks=()
	# shellcheck source=/dev/null
	source "$dir/ports"
	DC_GALERA_PIDS=""
	for ((i = 1; i <= DC_GALERA_NODES; i++)); do
		p=CLIENT_$i
		hosts+=("127.0.0.1:${!p}")
		socks+=("$dir/node$i/mysql.sock")
		DC_GALERA_PIDS+=" $(dc_galera_pid "$dir" "$i")"
	done
	GALERA_HOSTS=$(
		IFS=,
		printf '%s' "${hosts[*]}"
	)
	GALERA_SOCKETS=$(
		IFS=,
		printf '%s' "${socks[*]}"
	)
	export GALERA_CTL=$dir/ctl GALERA_HOSTS GALERA_SOCKETS GALERA_DIR=$dir
}

# dc_galera_start DIR DBNAME DBUSER DBPASSWORD: see the top of this file.
dc_galera_start() {
	local dir=$1 name=$2 dbuser=$3 pw=$4 t0 i q="'"
	t0=$(dc_now)
	[ -x "$DC_GALERA_PROVIDER" ] || [ -f "$DC_GALERA_PROVIDER" ] ||
		dc_die "no Galera provider at $DC_GALERA_PROVIDER (Debian package galera-4)"
	command -v rsync >/dev/null 2>&1 || dc_die "rsync is missing (the SST method of the test cluster)"
	id mysql >/dev/null 2>&1 || dc_die "no user mysql (Debian package mariadb-server)"
	[ "$(id -u)" -eq 0 ] || dc_die "the Galera cluster runs its nodes as mysql: run as root"
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	chmod 755 "$dir"
	runuser -u mysql -- test -x "$dir" || dc_die "user mysql cannot reach $dir"
	{
		for ((i = 1; i <= DC_GALERA_NODES; i++)); do
			printf 'CLIENT_%d=%s\nGCOMM_%d=%s\nIST_%d=%s\nSST_%d=%s\n' "$i" "$(dc_free_port)" \
				"$i" "$(dc_free_port)" "$i" "$(dc_free_port)" "$i" "$(dc_free_port)"
		done
	} >"$dir/ports"
	for ((i = 1; i <= DC_GALERA_NODES; i++)); do
		mkdir -p "$dir/node$i/data" "$dir/node$i/tmp"
		dc_galera_cnf "$dir" "$i" >"$dir/node$i.cnf"
		chmod 644 "$dir/node$i.cnf"
		chown -R mysql:mysql "$dir/node$i"
		chmod 750 "$dir/node$i"
	done
	if [ ! -d "$dir/node1/data/mysql" ]; then
		# TMPDIR: the installer's server runs as mysql and must write its temporary files.
		if ! TMPDIR=$dir/node1/tmp mariadb-install-db --no-defaults --user=mysql --datadir="$dir/node1/data" \
			--auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
			>"$dir/install.log" 2>&1; then
			dc_tail "$dir/install.log"
			dc_die "mariadb-install-db failed for the Galera cluster"
		fi
	fi
	dc_defer "dc_galera_stop_all $(printf '%q' "$dir")"
	dc_galera_launch "$dir" 1 --wsrep-new-cluster || dc_die "Galera node 1 did not bootstrap"
	for ((i = 2; i <= DC_GALERA_NODES; i++)); do
		dc_galera_launch "$dir" "$i" || dc_die "Galera node $i did not join"
	done
	dc_galera_sql "$dir" 1 "CREATE DATABASE IF NOT EXISTS \`$name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS ${q}$dbuser${q}@'localhost' IDENTIFIED BY ${q}$pw${q};
		CREATE USER IF NOT EXISTS ${q}$dbuser${q}@'127.0.0.1' IDENTIFIED BY ${q}$pw${q};
		GRANT ALL PRIVILEGES ON \`$name\`.* TO ${q}$dbuser${q}@'localhost', ${q}$dbuser${q}@'127.0.0.1';" ||
		dc_die "could not create the database and user on the Galera cluster"
	dc_galera_write_ctl "$dir"
	dc_galera_env "$dir"
	dc_log "Galera cluster of $DC_GALERA_NODES nodes ready ($GALERA_HOSTS) in $(dc_elapsed "$t0")s"
}
