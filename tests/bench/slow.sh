# Sourced by tests/bench/run after its main table (base, conf, DC_WORK, api_token, api_cat,
# tp_cookie from the targets set): callers against a data source that answers after 200 ms,
# what processes calling connectors feel. Prints, in the same run:
#  - nginx proxy_pass to that upstream (keep-alive), 256 callers: the reference;
#  - execute of an endpoint on that upstream, 256 callers: successful calls/s, their share
#    of nginx's, errors, p99 (goal: >= 0.8 of nginx, 0 errors, p99 < 300 ms);
#  - the Test page on that upstream, 64 callers (goal: >= 0.8 of 64 / 0.2 s);
#  - execute at 1,024 callers: answers by status, 503s with Retry-After, dcgate's memory.
slow_secs=${DC_BENCH_SLOW_SECS:-8}
slow_port=$(dc_free_port)
dc_spawn slow-upstream "$DC_WORK/logs/slow-upstream.log" node "$DC_ROOT/tests/bench/slow-upstream.js" \
	"$slow_port" 200
dc_wait_for slow-upstream 20 "${DC_PIDS[slow-upstream]}" curl -sf -o /dev/null "http://127.0.0.1:$slow_port/" ||
	dc_die "slow upstream did not start"

source "$DC_ROOT/tests/bench/proxy.sh"
bench_proxy slow "127.0.0.1:$slow_port" "" 512
sp_url=$bench_proxy_url

sl_conn=$(api_post /api/1.0/data-connectors "{\"name\": \"Bench Slow Source\", \"category_ids\": [$api_cat]}")
[ -n "$sl_conn" ] || dc_die "bench slow connector: create failed"
sl_ep=$(api_post "/api/1.0/data-connectors/$sl_conn/endpoints" \
	"{\"purpose\": \"Slow\", \"url\": \"http://127.0.0.1:$slow_port/items\", \"timeout\": 30}")
[ -n "$sl_ep" ] || dc_die "bench slow endpoint: create failed"
sl_exec=$base/api/1.0/data-connectors/$sl_conn/endpoints/Slow/execute
sl_csrf=$(curl -sf -H "Cookie: $tp_cookie" "$base/data-connectors/$sl_conn/endpoints/$sl_ep" |
	sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$sl_csrf" ] || dc_die "bench slow Test: no CSRF token"
app_pid=${DC_PIDS[app]}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# slow_wrk NAME CONNECTIONS URL [HEADER]: one wrk run with status counting; sets sw_* values.
slow_wrk() {
	local name=$1 c=$2 url=$3 header=${4:-} out
	local args=(-t2 -c"$c" -d"${slow_secs}s" --latency --timeout 30s -s "$DC_ROOT/tests/bench/status.lua")
	[ -n "$header" ] && args+=(-H "$header")
	out=$(wrk "${args[@]}" "$url" 2>&1) || true
	printf '%s\n' "$out" >"$DC_WORK/logs/wrk-$name.log"
	sw_rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
	sw_total=$(awk '/requests in/ {print $1}' <<<"$out")
	sw_ok=$(awk '$1 == "status" && $2 >= 200 && $2 < 400 {n += $3} END {print n + 0}' <<<"$out")
	sw_503=$(awk '$1 == "status" && $2 == 503 {n += $3} END {print n + 0}' <<<"$out")
	sw_other=$(awk '$1 == "status" && ($2 < 200 || $2 >= 400) && $2 != 503 {n += $3} END {print n + 0}' <<<"$out")
	sw_ra=$(awk '$1 == "retry_after" {print $2}' <<<"$out")
	sw_sockerr=$(awk '$1 == "errors" {print $2}' <<<"$out")
	sw_p99=$(awk '$1 == "p99_ms" {print $2}' <<<"$out")
	sw_okps=$(awk -v ok="$sw_ok" -v s="$slow_secs" 'BEGIN {printf "%.0f", ok / s}')
}

# Warm-up, not counted: connections to the upstream open, dcgate's threads start.
wrk -t2 -c256 -d2s "$sp_url" >/dev/null 2>&1 || true
BENCH_METHOD=POST BENCH_BODY='{"data": {"bench": 1}}' BENCH_CTYPE=application/json \
	wrk -t2 -c256 -d2s -s "$DC_ROOT/tests/bench/status.lua" -H "Authorization: Bearer $api_token" \
	"$sl_exec" >/dev/null 2>&1 || true
rows=()
BENCH_METHOD=GET BENCH_BODY= BENCH_CTYPE= slow_wrk nginx-slow 256 "$sp_url"
ngx_okps=$sw_okps
rows+=("nginx proxy_pass, 256 callers|$sw_okps|1.00|$((sw_503 + sw_other + sw_sockerr))|$sw_p99|")
BENCH_METHOD=POST BENCH_BODY='{"data": {"bench": 1}}' BENCH_CTYPE=application/json \
	slow_wrk execute-256 256 "$sl_exec" "Authorization: Bearer $api_token"
ex_share=$(awk -v a="$sw_okps" -v b="$ngx_okps" 'BEGIN {printf "%.2f", b ? a / b : 0}')
ex_goal=$(awk -v s="$ex_share" -v e="$((sw_503 + sw_other + sw_sockerr))" -v p="$sw_p99" \
	'BEGIN {print (s >= 0.8 && e == 0 && p < 300) ? "met" : "missed"}')
rows+=("execute, 200 ms upstream, 256 callers|$sw_okps|$ex_share|$((sw_503 + sw_other + sw_sockerr))|$sw_p99|>= 0.8, 0 errors, p99 < 300 ms: $ex_goal")
BENCH_METHOD=POST BENCH_BODY="_csrf=$sl_csrf" BENCH_CTYPE=application/x-www-form-urlencoded \
	slow_wrk test-64 64 "$base/data-connectors/$sl_conn/endpoints/$sl_ep/test" "Cookie: $tp_cookie"
t_share=$(awk -v a="$sw_okps" 'BEGIN {printf "%.2f", a / (64 / 0.2)}')
t_goal=$(awk -v s="$t_share" 'BEGIN {print s >= 0.8 ? "met" : "missed"}')
rows+=("Test page, 200 ms upstream, 64 callers|$sw_okps|$t_share of 320/s|$((sw_503 + sw_other + sw_sockerr))|$sw_p99|>= 0.8 of 64 / 0.2 s: $t_goal")

printf '\n%-42s %10s %14s %8s %9s  %s\n' 'slow upstream target' 'ok/s' 'vs nginx' errors 'p99 ms' goal
for r in "${rows[@]}"; do
	IFS='|' read -r n a b e p g <<<"$r"
	printf '%-42s %10s %14s %8s %9s  %s\n' "$n" "$a" "$b" "$e" "$p" "$g"
done

rss_before=$(awk '/^VmRSS/ {print $2}' "/proc/$app_pid/status")
BENCH_METHOD=POST BENCH_BODY='{"data": {"bench": 1}}' BENCH_CTYPE=application/json \
	slow_wrk execute-1024 1024 "$sl_exec" "Authorization: Bearer $api_token"
rss_hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$app_pid/status")
rss_after=$(awk '/^VmRSS/ {print $2}' "/proc/$app_pid/status")
alive=yes
kill -0 "$app_pid" 2>/dev/null || alive="NO (crashed)"
printf '\nexecute, 200 ms upstream, 1,024 callers (%ss): %s answers, %s ok (%s/s), %s 503 (%s with Retry-After), %s other statuses, %s socket errors, p99 %s ms\n' \
	"$slow_secs" "$sw_total" "$sw_ok" "$sw_okps" "$sw_503" "$sw_ra" "$sw_other" "$sw_sockerr" "$sw_p99"
printf 'dcgate alive: %s; resident memory %s MB before, %s MB peak, %s MB after\n' "$alive" \
	"$((rss_before / 1024))" "$((rss_hwm / 1024))" "$((rss_after / 1024))"
