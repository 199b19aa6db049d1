#!/usr/bin/env bash
# Benchmark (a script, not a test): the cost of one sign-in (scrypt) and of one session
# check per request, measured two ways on a private MariaDB + dcgate + nginx:
#   in process  a small C program linked against libdcgate.a times crypt_password_verify
#               and auth_session_load (the one SELECT every signed-in request makes)
#   over HTTP   curl through nginx, sequential requests: POST /login (right and wrong
#               password, unknown user), GET / with and without a session cookie (the
#               difference is the session check), GET /healthz and GET /profile for reference
#   tests/bench/session.sh [REQUESTS] [SIGN_INS]      (defaults 200 and 20)
set -euo pipefail
DC_ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
source "$DC_ROOT/scripts/lib.sh"
n=${1:-200}
logins=${2:-20}
DC_WORK=$(mktemp -d /tmp/dcgate-bench-session.XXXXXX)
export DC_WORK
dc_work_dirs
dc_trap_install
dc_defer "rm -rf '$DC_WORK'"

dc_build build --enable-werror >"$DC_WORK/logs/build.log" 2>&1 || {
	dc_tail "$DC_WORK/logs/build.log"
	dc_die "build failed"
}
DC_APP_BIN=$DC_ROOT/build/dcgate
DC_ADMIN_BIN=$DC_ROOT/build/dcgate-admin

dbpw=$(dc_random_hex 12)
dc_mariadb_start "$DC_WORK/mysql" "$DC_WORK/run/mysql.sock" 0 dcgate dcgate "$dbpw"
conf=$DC_WORK/dcgate.conf
dc_app_write_conf "$conf" "$DC_WORK/run/dcgate.sock" "$DC_WORK/run/mysql.sock" dcgate dcgate \
	"$dbpw" "$DC_WORK/secret.key"
dc_ini_set "$conf" server log_level warn
# Wrong passwords are timed too: no lockout during the run.
dc_ini_set "$conf" security login_max_failures 1000000
dc_app_start "$conf" "$DC_WORK/logs/dcgate.log"
port=$(dc_free_port)
dc_nginx_start "$DC_WORK/nginx" "$port" "$DC_WORK/run/dcgate.sock"
sed -i 's|access_log [^;]*;|access_log off;|' "$DC_WORK/nginx/conf/nginx.conf"
base=http://127.0.0.1:$port

pw=$(dc_random_hex 12)
DCGATE_PASSWORD=$pw dc_admin "$conf" create-user bench --super-admin >/dev/null
cookie=$(curl -s -o /dev/null -D - --data-urlencode username=bench --data-urlencode "password=$pw" \
	"$base/login" | awk 'tolower($1) == "set-cookie:" { sub(/;.*/, "", $2); print $2; exit }' |
	tr -d '\r')
[ -n "$cookie" ] || dc_die "sign-in failed"

# ---------------------------------------------------------------- in process
cat >"$DC_WORK/session_bench.c" <<'EOF'
/* Times crypt_password_verify and auth_session_load in process. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysql.h>
#include "app.h"

static double
per_call_us(int64_t t0, long n)
{
	return (double)(time_now_us() - t0) / (double)n;
}

int
main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	long n = strtol(argv[3], NULL, 10);
	struct config cfg;
	int line = 0;
	if (config_load(&cfg, argv[1], &line) != CORE_OK)
		return 1;
	struct auth_config ac;
	auth_config_load(&ac, &cfg);
	struct arena a;
	arena_init(&a, 65536);
	char *hash = NULL;
	int64_t t0 = time_now_us();
	crypt_password_hash(&a, "bench password", ac.scrypt_log_n, ac.scrypt_r, ac.scrypt_p, &hash);
	printf("crypt_password_hash (ln=%d r=%d p=%d)  %10.0f us\n", ac.scrypt_log_n, ac.scrypt_r,
	       ac.scrypt_p, per_call_us(t0, 1));
	t0 = time_now_us();
	for (int i = 0; i < 10; i++)
		crypt_password_verify("bench password", hash);
	printf("crypt_password_verify                %10.0f us (mean of 10)\n", per_call_us(t0, 10));
	mysql_library_init(0, NULL, NULL);
	struct db *db = NULL;
	if (db_open(&db, &cfg) != DB_OK)
		return 1;
	struct session s;
	t0 = time_now_us();
	for (long i = 0; i < n; i++) {
		arena_reset(&a);
		if (auth_session_load(db, &a, &ac, argv[2], &s) != AUTH_OK)
			return 1;
	}
	printf("auth_session_load                    %10.1f us (mean of %ld)\n", per_call_us(t0, n), n);
	db_close(db);
	arena_free(&a);
	config_free(&cfg);
	mysql_library_end();
	return 0;
}
EOF
# shellcheck disable=SC2046
gcc -std=c11 -D_GNU_SOURCE -O2 -I"$DC_ROOT/build" -I"$DC_ROOT/src" \
	$(pkg-config --cflags json-c libmariadb openssl) -o "$DC_WORK/session_bench" \
	"$DC_WORK/session_bench.c" "$DC_ROOT/build/libdcgate.a" \
	$(pkg-config --libs json-c libmariadb openssl libcurl) -lfcgi -lpthread
echo "== in process"
"$DC_WORK/session_bench" "$conf" "${cookie#*=}" "$((n * 10))"

# ---------------------------------------------------------------- over HTTP
# stats LABEL: reads seconds (one per line) and prints median and mean in ms.
stats() {
	sort -n | awk -v l="$1" '{ v[NR] = $1; s += $1 }
		END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf "%-44s median %8.2f ms   mean %8.2f ms   (n=%d)\n", l, m * 1000, s / NR * 1000, NR }'
}

# times URL N [curl args...]: N sequential requests over one connection, one time a line
# (curl pairs each -o with the next URL, so every body is dropped).
times() {
	local url=$1 count=$2 urls=() k
	shift 2
	for ((k = 0; k < count; k++)); do urls+=(-o /dev/null "$url"); done
	curl -s -w '%{time_total}\n' "$@" "${urls[@]}"
}

echo "== over HTTP (nginx -> dcgate, sequential)"
times "$base/login" "$logins" --data-urlencode username=bench --data-urlencode "password=$pw" |
	stats "POST /login (right password)"
times "$base/login" "$logins" --data-urlencode username=bench --data-urlencode "password=wrong-$pw" |
	stats "POST /login (wrong password)"
times "$base/login" "$logins" --data-urlencode username=nobody-bench --data-urlencode "password=$pw" |
	stats "POST /login (unknown user)"
times "$base/login" "$n" | stats "GET /login (no scrypt)"
times "$base/healthz" "$n" | stats "GET /healthz"
times "$base/" "$n" | stats "GET / anonymous (302, no session)"
times "$base/" "$n" -H "Cookie: $cookie" | stats "GET / signed in (302 after session check)"
times "$base/profile" "$n" -H "Cookie: $cookie" | stats "GET /profile signed in"
if command -v wrk >/dev/null; then
	echo "== throughput (wrk -t2 -c16 -d3s)"
	for t in "anonymous|" "signed in|Cookie: $cookie"; do
		IFS='|' read -r name header <<<"$t"
		args=(-t2 -c16 -d3s)
		[ -n "$header" ] && args+=(-H "$header")
		rps=$(wrk "${args[@]}" "$base/" | awk '/^Requests\/sec:/ {print $2}')
		printf '%-44s %10s req/s\n' "GET / $name" "$rps"
	done
fi
