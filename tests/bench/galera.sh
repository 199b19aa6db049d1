#!/usr/bin/env bash
# Benchmark of scale-out on Galera (a script, not a test; not part of scripts/test): page
# rate and saves/s through three dcgate processes on three Galera nodes against the same
# work through one node, in one run and interleaved rounds.
#
#   tests/bench/galera.sh [SECONDS_PER_ROUND] [ROUNDS]     (defaults 5 and 2)
#   tests/bench/run --galera [SECONDS_PER_ROUND] [ROUNDS]  (the same)
#   DC_BENCH_GALERA=1 tests/bench/run                      (after run's own tables)
#
# It starts a private 3-node cluster (scripts/galera.sh, about 40 s; needs root, the nodes
# run as mysql), migrates, seeds 300 connectors in 10 categories, and starts five dcgate
# processes, each with database.hosts (its node first) and database.sync_wait = on:
#   - "3 nodes": processes 1, 2, 3 on nodes 1, 2, 3 behind one nginx upstream;
#   - "1 node, 1 proc": process 1 alone behind an nginx of its own (the plain baseline);
#   - "1 node, 3 procs": process 1 and two more on node 1 behind one nginx upstream (the
#     same number of processes as "3 nodes", one database node).
# Every setup writes to the same cluster: a commit through one node is certified and
# applied by all three in every setup; what changes is where the reads and the writers'
# work run. Targets, each measured on every setup (wrk, bounded by SECONDS_PER_ROUND):
#   - the signed-in connector list page (GET /data-connectors, 25 of 300): wrk -t2 -c32;
#   - saves, own connector: DC_BENCH_GALERA_CONNS (16) connections, one wrk thread each,
#     each saving its own connector with PUT /api/1.0/data-connectors/{id} (name, category,
#     description, the version from its last answer; tests/bench/saves.lua);
#   - saves, 4 per connector: the same connections, four on each connector (stale
#     versions answer 409 and are read again, conflicts in the cluster answer 409 or 503).
# Prints the rates side by side with the ratios of "3 nodes" to each baseline, then each
# measurement: rate, answers by status (200; 409; 503; other), the cluster's conflicts
# (wsrep_local_cert_failures + wsrep_local_bf_aborts summed over the nodes) and p99; then
# checks that the connectors' versions moved at least once per save answered 200 and at
# most that plus the PUTs cut off in flight when a wrk run ended. Everything it
# started is stopped on any exit; its folder (under TMPDIR) is removed unless it failed.
set -euo pipefail
DC_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib.sh
source "$DC_ROOT/scripts/lib.sh"
# shellcheck source=scripts/galera.sh
source "$DC_ROOT/scripts/galera.sh"
secs=${1:-5}
rounds=${2:-2}
nconns=${DC_BENCH_GALERA_CONNS:-16}
{ [ $((nconns % 4)) -eq 0 ] && [ "$nconns" -ge 4 ]; } || dc_die "DC_BENCH_GALERA_CONNS must be a multiple of 4"
[ "$(id -u)" -eq 0 ] || dc_die "the Galera nodes run as the user mysql: run as root"
DC_WORK=$(mktemp -d "${TMPDIR:-/tmp}/dcgate-gbench.XXXXXX")
# The nodes run as mysql and must reach their folders below this one.
chmod 755 "$DC_WORK"
export DC_WORK
dc_work_dirs
# shellcheck disable=SC2317  # called by the EXIT trap (DC_EXIT_HOOK)
keep_on_fail() {
	if [ "$1" -eq 0 ]; then rm -rf "$DC_WORK"; else dc_log "logs kept in $DC_WORK"; fi
	return "$1"
}
DC_EXIT_HOOK=keep_on_fail
dc_trap_install
cd "$DC_ROOT"

if ! command -v wrk >/dev/null || ! command -v rsync >/dev/null || [ ! -f "$DC_GALERA_PROVIDER" ]; then
	dc_install_deps
fi
dc_build build --enable-werror >"$DC_WORK/logs/build.log" 2>&1 || { dc_tail "$DC_WORK/logs/build.log"; dc_die "build failed"; }
DC_APP_BIN=$DC_ROOT/build/dcgate
DC_ADMIN_BIN=$DC_ROOT/build/dcgate-admin

# ------------------------------------------------------------------ the cluster
gdir=$DC_WORK/galera
dbpw=$(dc_random_hex 12)
dc_defer "dc_galera_stop_all $(printf '%q' "$gdir")"
dc_log "starting a private 3-node Galera cluster (about 40 s; log: logs/galera.log)"
# In a subshell, as scripts/test does: its failure is reported here, the stop above runs.
if ! (dc_galera_start "$gdir" dcgate dcgate "$dbpw") >"$DC_WORK/logs/galera.log" 2>&1; then
	dc_tail "$DC_WORK/logs/galera.log"
	dc_die "the Galera cluster did not start"
fi
dc_galera_env "$gdir"
IFS=, read -ra nodes <<<"$GALERA_HOSTS"
dc_log "Galera cluster ready: $GALERA_HOSTS"

# gsql SQL: statements as root on node 1, in the dcgate database.
gsql() { dc_galera_sql "$gdir" 1 "USE dcgate; $*"; }

# conflicts: certification failures and brute-force aborts, summed over the three nodes.
conflicts() {
	local i n=0 v
	for ((i = 1; i <= 3; i++)); do
		v=$(dc_galera_sql "$gdir" "$i" "SELECT COALESCE(SUM(VARIABLE_VALUE), 0) FROM information_schema.GLOBAL_STATUS
			WHERE VARIABLE_NAME IN ('WSREP_LOCAL_CERT_FAILURES', 'WSREP_LOCAL_BF_ABORTS')") || v=0
		n=$((n + v))
	done
	printf '%s\n' "$n"
}

# --------------------------------------------------------------- dcgate processes
# app_conf NAME N: the config of a process whose database.hosts starts at node N (1-3).
app_conf() {
	local name=$1 n=$2 conf=$DC_WORK/$1.conf hosts=() i
	for ((i = 0; i < 3; i++)); do hosts+=("${nodes[$(((n - 1 + i) % 3))]}"); done
	dc_app_write_conf "$conf" "$DC_WORK/run/$name.sock" "" dcgate dcgate "$dbpw" "$DC_WORK/secret.key"
	dc_ini_set "$conf" database socket ""
	dc_ini_set "$conf" database host "${nodes[$((n - 1))]%:*}"
	dc_ini_set "$conf" database port "${nodes[$((n - 1))]#*:}"
	dc_ini_set "$conf" database hosts "$(
		IFS=,
		printf '%s' "${hosts[*]}"
	)"
	dc_ini_set "$conf" database sync_wait on
	dc_ini_set "$conf" server log_level warn
	printf '%s\n' "$conf"
}

# app_start NAME N: dcgate on node N first, stopped at exit.
app_start() {
	local name=$1 conf
	conf=$(app_conf "$1" "$2")
	rm -f "$DC_WORK/run/$name.sock"
	dc_spawn "$name" "$DC_WORK/logs/$name.log" env DCGATE_CONF="$conf" "$DC_APP_BIN"
	if ! dc_wait_for "dcgate $name" 30 "${DC_PIDS[$name]}" test -S "$DC_WORK/run/$name.sock"; then
		dc_tail "$DC_WORK/logs/$name.log"
		dc_die "dcgate $name did not start"
	fi
}

conf1=$(app_conf g1 1)
dc_admin "$conf1" init-key >>"$DC_WORK/logs/admin.log" 2>&1 || { dc_tail "$DC_WORK/logs/admin.log"; dc_die "init-key failed"; }
dc_admin "$conf1" migrate >>"$DC_WORK/logs/admin.log" 2>&1 || { dc_tail "$DC_WORK/logs/admin.log"; dc_die "migrate failed"; }

# 300 connectors in 10 categories (every one in one category), made on node 1.
gsql "INSERT INTO categories (name, status) SELECT CONCAT('GBench Category ', LPAD(seq, 2, '0')), 'active'
		FROM seq_1_to_10;
	INSERT INTO connectors (name, description)
		SELECT CONCAT('GBench Connector ', LPAD(seq, 3, '0')),
		       CONCAT(ELT(1 + seq % 4, 'Reads orders from', 'Writes invoices to', 'Syncs contacts with',
		                  'Posts tickets to'), ' system ', seq % 37)
		FROM seq_1_to_300;
	INSERT INTO connector_categories (connector_id, category_id)
		SELECT c.id, cat.id FROM seq_1_to_300 s
		JOIN connectors c ON c.name = CONCAT('GBench Connector ', LPAD(s.seq, 3, '0'))
		JOIN categories cat ON cat.name = CONCAT('GBench Category ', LPAD(1 + s.seq % 10, 2, '0'))" ||
	dc_die "seeding connectors failed"
[ "$(gsql "SELECT COUNT(*) FROM connectors WHERE name LIKE 'GBench Connector %'")" = 300 ] ||
	dc_die "seeding: not 300 connectors"

app_start g1 1
app_start g2 2
app_start g3 3
app_start h2 1
app_start h3 1

# ------------------------------------------------------------------------ nginx
user=$(dc_nginx_user "$DC_ROOT/static" "$DC_WORK/run" "$DC_WORK")
# front NAME SOCKET...: an nginx from conf/nginx.conf.example before SOCKET (several: one
# upstream, round robin); sets front_url.
front() {
	local name=$1 prefix=$DC_WORK/$1 port
	shift
	port=$(dc_free_port)
	mkdir -p "$prefix/conf"
	dc_render "$DC_ROOT/conf/nginx.conf.example" "$prefix/conf/nginx.conf" PREFIX="$prefix" ADDR=127.0.0.1 \
		PORT="$port" SOCKET="$1" STATIC="$DC_ROOT/static" USER="$user"
	sed -i 's|access_log [^;]*;|access_log off;|' "$prefix/conf/nginx.conf"
	if [ $# -gt 1 ]; then
		grep -qF "fastcgi_pass unix:$1;" "$prefix/conf/nginx.conf" || dc_die "no fastcgi_pass in $prefix/conf/nginx.conf"
		local pool="    upstream dcgate_pool {" s
		for s in "$@"; do pool+="\\n        server unix:$s;"; done
		pool+="\\n    }\\n"
		sed -i -e "s|fastcgi_pass unix:$1;|fastcgi_pass dcgate_pool;|" \
			-e "0,/^    server {/s||$pool\\n    server {|" "$prefix/conf/nginx.conf"
	fi
	dc_nginx_run "$name" "$prefix" "http://127.0.0.1:$port/favicon.ico"
	front_url=http://127.0.0.1:$port
}
r=$DC_WORK/run
front nginx-3n "$r/g1.sock" "$r/g2.sock" "$r/g3.sock"
url_3n=$front_url
front nginx-1n1p "$r/g1.sock"
url_1n1p=$front_url
front nginx-1n3p "$r/g1.sock" "$r/h2.sock" "$r/h3.sock"
url_1n3p=$front_url
setups=("3 nodes|$url_3n" "1 node, 1 proc|$url_1n1p" "1 node, 3 procs|$url_1n3p")

# ------------------------------------------------------ users, token, checks
pw=$(dc_random_hex 12)
DCGATE_PASSWORD=$pw dc_admin "$conf1" create-user gbench --super-admin >/dev/null 2>&1 ||
	dc_die "dcgate-admin create-user gbench failed"
cookie=$(curl -s -o /dev/null -D - --data-urlencode username=gbench --data-urlencode "password=$pw" \
	"$url_3n/login" | awk 'tolower($1) == "set-cookie:" { sub(/;.*/, "", $2); print $2; exit }' | tr -d '\r')
[ -n "$cookie" ] || dc_die "sign-in failed"
token=dcg_gbench_$(dc_random_hex 24)
gsql "INSERT INTO api_tokens (user_id, name, token_hash)
	SELECT id, 'gbench', '$(printf %s "$token" | sha256sum | cut -d' ' -f1)' FROM users WHERE username = 'gbench'" ||
	dc_die "API token: insert failed"
auth="Authorization: Bearer $token"

# The connectors the saves use: the first NCONNS (one per connection), the next NCONNS/4
# (four connections each); connector 300 for the checks below.
# conn_lua FIRST COUNT FILE: saves.lua with the conns table of connectors FIRST..FIRST+COUNT-1.
conn_lua() {
	{
		printf 'conns = {\n'
		gsql "SELECT CONCAT('  {id = ', c.id, ', name = \"', c.name, '\", cat = ', MIN(cc.category_id), '},')
			FROM connectors c JOIN connector_categories cc ON cc.connector_id = c.id
			WHERE c.name BETWEEN CONCAT('GBench Connector ', LPAD($1, 3, '0'))
			                 AND CONCAT('GBench Connector ', LPAD($1 + $2 - 1, 3, '0'))
			GROUP BY c.id, c.name ORDER BY c.name"
		printf '}\n'
		cat "$DC_ROOT/tests/bench/saves.lua"
	} >"$3"
	[ "$(grep -c '^  {id = ' "$3")" -eq "$2" ] || dc_die "$3: not $2 connectors"
}
conn_lua 1 "$nconns" "$DC_WORK/saves-own.lua"
conn_lua $((nconns + 1)) $((nconns / 4)) "$DC_WORK/saves-shared.lua"
versions() {
	gsql "SELECT COALESCE(SUM(version), 0) FROM connectors WHERE name BETWEEN 'GBench Connector 001'
		AND CONCAT('GBench Connector ', LPAD($nconns + $nconns / 4, 3, '0'))"
}

check_id=$(gsql "SELECT id FROM connectors WHERE name = 'GBench Connector 300'")
check_cat=$(gsql "SELECT MIN(category_id) FROM connector_categories WHERE connector_id = $check_id")
for s in "${setups[@]}"; do
	IFS='|' read -r sname surl <<<"$s"
	st=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$surl/data-connectors")
	[ "$st" = 200 ] || dc_die "$sname: GET /data-connectors answers $st, not 200"
	v=$(curl -sf -H "$auth" "$surl/api/1.0/data-connectors/$check_id" | sed -n 's/.*"version": *\([0-9]*\).*/\1/p')
	[ -n "$v" ] || dc_die "$sname: no version in GET /api/1.0/data-connectors/$check_id"
	st=$(curl -s -o "$DC_WORK/logs/check-put.json" -w '%{http_code}' -X PUT -H "$auth" -H 'Content-Type: application/json' \
		--data-binary "{\"name\": \"GBench Connector 300\", \"description\": \"check\", \"category_ids\": [$check_cat], \"version\": $v}" \
		"$surl/api/1.0/data-connectors/$check_id")
	[ "$st" = 200 ] || dc_die "$sname: PUT answers $st, not 200: $(head -c 300 "$DC_WORK/logs/check-put.json")"
	st=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "$auth" -H 'Content-Type: application/json' \
		--data-binary "{\"name\": \"GBench Connector 300\", \"description\": \"stale\", \"category_ids\": [$check_cat], \"version\": $v}" \
		"$surl/api/1.0/data-connectors/$check_id")
	[ "$st" = 409 ] || dc_die "$sname: a stale PUT answers $st, not 409"
done

# ------------------------------------------------------------------ measuring
targets=(
	"page|GET /data-connectors (req/s)"
	"own|PUT, own connector (saves/s)"
	"shared|PUT, 4 per connector (saves/s)"
)
declare -A rate=() n200=() n409=() n503=() nother=() nconf=() p99=() runs=()
saves_total=0
cut_total=0

# measure KIND URL SECONDS: one wrk run; sets m_rate m_200 m_409 m_503 m_other m_p99 m_conf.
measure() {
	local kind=$1 url=$2 d=$3 out c0 c1
	c0=$(conflicts)
	if [ "$kind" = page ]; then
		out=$(BENCH_METHOD=GET BENCH_BODY='' BENCH_CTYPE='' wrk -t2 -c32 -d"${d}s" --latency \
			-s "$DC_ROOT/tests/bench/status.lua" -H "Cookie: $cookie" "$url/data-connectors" 2>&1) || true
		m_rate=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
		m_200=$(awk '$1 == "status" && $2 == 200 {n += $3} END {print n + 0}' <<<"$out")
		m_409=$(awk '$1 == "status" && $2 == 409 {n += $3} END {print n + 0}' <<<"$out")
		m_503=$(awk '$1 == "status" && $2 == 503 {n += $3} END {print n + 0}' <<<"$out")
		m_other=$(awk '$1 == "status" && $2 != 200 && $2 != 409 && $2 != 503 {n += $3} $1 == "errors" {n += $2} END {print n + 0}' <<<"$out")
	else
		out=$(wrk -t"$nconns" -c"$nconns" -d"${d}s" --latency -s "$DC_WORK/saves-$kind.lua" -H "$auth" \
			"$url/api/1.0/data-connectors" 2>&1) || true
		m_200=$(awk '$1 == "put_200" {print $2}' <<<"$out")
		m_409=$(awk '$1 == "put_409" {print $2}' <<<"$out")
		m_503=$(awk '$1 == "put_503" {print $2}' <<<"$out")
		m_other=$(awk '$1 == "put_other" || $1 == "get_other" || $1 == "errors" {n += $2} END {print n + 0}' <<<"$out")
		m_rate=$(awk -v n="${m_200:-0}" '$1 == "duration_us" && $2 > 0 {printf "%.1f", n / ($2 / 1e6)}' <<<"$out")
		saves_total=$((saves_total + ${m_200:-0}))
		cut_total=$((cut_total + $(awk '$1 == "put_sent" {s = $2} $1 ~ /^put_(200|409|503|other)$/ {a += $2}
			END {print s - a}' <<<"$out")))
	fi
	m_p99=$(awk '$1 == "p99_ms" {print $2}' <<<"$out")
	printf '%s\n' "$out" >>"$DC_WORK/logs/wrk.log"
	[ -n "$m_rate" ] || { printf '%s\n' "$out" >&2; dc_die "wrk printed no rate for $kind on $url"; }
	c1=$(conflicts)
	m_conf=$((c1 - c0))
}

v0=$(versions)
dc_log "warm-up: 1 s of each target on each setup (not counted)"
for t in "${targets[@]}"; do
	for s in "${setups[@]}"; do measure "${t%%|*}" "${s#*|}" 1; done
done
dc_log "measuring: $rounds rounds of ${secs}s per target and setup, interleaved"
for ((round = 1; round <= rounds; round++)); do
	for t in "${targets[@]}"; do
		kind=${t%%|*}
		for s in "${setups[@]}"; do
			sname=${s%%|*}
			key="$kind|$sname"
			measure "$kind" "${s#*|}" "$secs"
			rate[$key]=$(awk -v a="${rate[$key]:-0}" -v b="$m_rate" 'BEGIN {print a + b}')
			n200[$key]=$((${n200[$key]:-0} + ${m_200:-0}))
			n409[$key]=$((${n409[$key]:-0} + ${m_409:-0}))
			n503[$key]=$((${n503[$key]:-0} + ${m_503:-0}))
			nother[$key]=$((${nother[$key]:-0} + ${m_other:-0}))
			nconf[$key]=$((${nconf[$key]:-0} + m_conf))
			p99[$key]="${p99[$key]:+${p99[$key]} }${m_p99:-?}"
			runs[$key]=$((${runs[$key]:-0} + 1))
		done
	done
done
v1=$(versions)

# ------------------------------------------------------------------- the tables
avg() { awk -v s="${rate[$1]}" -v n="${runs[$1]}" 'BEGIN {printf "%.0f", s / n}'; }
printf '\n%-32s %12s %16s %17s %10s %10s\n' 'Galera scale-out' '3 nodes' '1 node, 1 proc' '1 node, 3 procs' \
	'3n/1n1p' '3n/1n3p'
for t in "${targets[@]}"; do
	kind=${t%%|*}
	a=$(avg "$kind|3 nodes")
	b=$(avg "$kind|1 node, 1 proc")
	c=$(avg "$kind|1 node, 3 procs")
	awk -v n="${t#*|}" -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
		printf "%-32s %12.0f %16.0f %17.0f %10.2f %10.2f\n", n, a, b, c, b ? a / b : 0, c ? a / c : 0 }'
done
printf '\n%-32s %-16s %8s %8s %6s %6s %6s %9s  %s\n' target setup 'rate/s' '200' 409 503 other conflicts 'p99 ms per round'
for t in "${targets[@]}"; do
	kind=${t%%|*}
	for s in "${setups[@]}"; do
		sname=${s%%|*}
		key="$kind|$sname"
		printf '%-32s %-16s %8s %8s %6s %6s %6s %9s  %s\n' "${t#*|}" "$sname" "$(avg "$key")" "${n200[$key]}" \
			"${n409[$key]}" "${n503[$key]}" "${nother[$key]}" "${nconf[$key]}" "${p99[$key]}"
	done
done
printf '(%ss x %s interleaved rounds, mean; pages wrk -t2 -c32; saves wrk -t%s -c%s, one connection per thread;\n' \
	"$secs" "$rounds" "$nconns" "$nconns"
printf ' 409 = stale version, read again; 503 = not kept; conflicts = cert failures + BF aborts, 3 nodes)\n'
# Every save answered 200 moved its connector's version once; a PUT that wrk cut off when
# a run ended (sent, not answered) may have been applied too; a 409 or 503 never is.
moved=$((v1 - v0))
if [ "$moved" -ge "$saves_total" ] && [ "$moved" -le $((saves_total + cut_total)) ]; then
	printf 'versions moved %s times for %s saves answered 200 and %s PUTs cut off by the end of a wrk run\n' \
		"$moved" "$saves_total" "$cut_total"
	printf '(warm-up included): every 200 was kept, and nothing more was applied than those and the cut-off ones\n'
else
	dc_die "versions moved $moved times for $saves_total saves answered 200 and $cut_total PUTs cut off"
fi
