# Sourced by tests/bench/run after api.sh (base, conf, DC_WORK set; api_post, api_cat and the
# bench API token from api.sh): the Test proxy path (issue 6) and its baseline, in the same run.
#  - "POST .../test (Bearer, GET static)": the Test screen's POST with a session cookie and
#    its CSRF token, for an endpoint of a connector with Bearer authorization whose URL is
#    the bench nginx's 2 KB static file (a local upstream);
#  - "nginx proxy_pass (same upstream)": an nginx of its own proxying every request to that
#    same file with upstream keep-alive, what a bare reverse proxy costs.
# The ratios to bare-fcgi are in the run's table.
DC_MARIADB_SOCKET=${DC_MARIADB_SOCKET:-$DC_WORK/run/mysql.sock}
declare -F api_post >/dev/null || dc_die "test-proxy.sh needs api.sh (api_post) sourced first"

tp_conn=$(api_post /api/1.0/data-connectors "{\"name\": \"Bench Test Proxy\", \"category_ids\": [$api_cat],
	\"auth_type\": \"bearer\", \"token\": \"bench-bearer-secret\", \"allowed_origins\": [\"$base\"]}")
[ -n "$tp_conn" ] || dc_die "bench Test connector: create failed"
tp_ep=$(api_post "/api/1.0/data-connectors/$tp_conn/endpoints" \
	"{\"purpose\": \"Static\", \"url\": \"$base/static/bench.html\", \"timeout\": 10}")
[ -n "$tp_ep" ] || dc_die "bench Test endpoint: create failed"

# A signed-in session and its CSRF token (from the endpoint's page, which has the Test form).
tp_pw=$(dc_random_hex 12)
DCGATE_PASSWORD=$tp_pw dc_admin "$conf" create-user bench-test --super-admin >/dev/null 2>&1 ||
	dc_die "dcgate-admin create-user bench-test failed"
tp_cookie=$(curl -s -o /dev/null -D - --data-urlencode username=bench-test \
	--data-urlencode "password=$tp_pw" "$base/login" |
	awk 'tolower($1) == "set-cookie:" { sub(/;.*/, "", $2); print $2; exit }' | tr -d '\r')
[ -n "$tp_cookie" ] || dc_die "bench-test sign-in failed"
tp_csrf=$(curl -sf -H "Cookie: $tp_cookie" "$base/data-connectors/$tp_conn/endpoints/$tp_ep" |
	sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$tp_csrf" ] || dc_die "bench Test: no CSRF token on the endpoint page"
# A Test is a record (issue 20): 303 to its execution-log entry, which shows the result once
# the run is done.
tp_log=$(curl -s -o /dev/null -w '%{redirect_url}' -H "Cookie: $tp_cookie" \
	--data-urlencode "_csrf=$tp_csrf" "$base/data-connectors/$tp_conn/endpoints/$tp_ep/test")
case $tp_log in */data-connector-logs/*) ;; *) dc_die "bench Test: no redirect to its log entry" ;; esac
for _ in $(seq 1 100); do
	tp_status=$(curl -s -o "$DC_WORK/test-proxy.html" -w '%{http_code}' -H "Cookie: $tp_cookie" "$tp_log")
	grep -q 'data-state="running"' "$DC_WORK/test-proxy.html" || break
	sleep 0.1
done
[ "$tp_status" = 200 ] || dc_die "bench Test answers $tp_status, not 200"
grep -q 'Bearer \*\*\*\*' "$DC_WORK/test-proxy.html" || dc_die "bench Test: the Bearer header is not shown masked"
cat >"$DC_WORK/test-proxy.lua" <<LUA
wrk.method = "POST"
wrk.body = "_csrf=$tp_csrf"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA

# nginx proxy_pass to the same upstream, keep-alive to it as dcgate's curl handles keep.
source "$DC_ROOT/tests/bench/proxy.sh"
bench_proxy proxy "127.0.0.1:${base##*:}" static/bench.html 32

targets+=(
	"nginx proxy_pass (same upstream)|$bench_proxy_url|"
	"POST .../test (Bearer, GET static)|$base/data-connectors/$tp_conn/endpoints/$tp_ep/test|Cookie: $tp_cookie|$DC_WORK/test-proxy.lua"
)
