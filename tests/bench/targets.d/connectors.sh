# Sourced by tests/bench/run (base, conf, DC_WORK set): seeds 10,000 data connectors in 50
# categories (tests/bench/seed.sql), signs a bench user in and adds the connector list
# page (25 rows of 10,000), a search and a category filter as targets, and a search no
# process has answered before.
DC_MARIADB_SOCKET=${DC_MARIADB_SOCKET:-$DC_WORK/run/mysql.sock}
mariadb --no-defaults --protocol=socket --socket="$DC_MARIADB_SOCKET" -uroot dcgate \
	<"$DC_ROOT/tests/bench/seed.sql" >/dev/null || dc_die "seeding connectors failed"
bench_pw=$(dc_random_hex 12)
DCGATE_PASSWORD=$bench_pw dc_admin "$conf" create-user bench --super-admin >/dev/null 2>&1 ||
	dc_die "dcgate-admin create-user bench failed"
bench_cookie=$(curl -s -o /dev/null -D - --data-urlencode username=bench \
	--data-urlencode "password=$bench_pw" "$base/login" |
	awk 'tolower($1) == "set-cookie:" { sub(/;.*/, "", $2); print $2; exit }' | tr -d '\r')
[ -n "$bench_cookie" ] || dc_die "bench sign-in failed"
bench_cat=$(dc_sql "SELECT id FROM dcgate.categories WHERE name = 'Bench Category 07'")
# Each process keeps recent list pages (keyed by the database's change counters), so the
# three above are answered from memory after their first request; the last two ask for a
# new search each time (a random term, in all connectors and in the bench category): the
# cost of a page no process has yet, as right after any save.
for scope in all category; do
	filter=""
	[ "$scope" = category ] && filter="category=$bench_cat&"
	cat >"$DC_WORK/search-miss-$scope.lua" <<LUA
counter = 0
request = function()
	counter = counter + 1
	return wrk.format(nil, "/data-connectors?${filter}q=o" .. math.random(1, 1000000000) .. "x" .. counter)
end
LUA
done
targets+=(
	"GET /data-connectors (25 of 10,000)|$base/data-connectors|Cookie: $bench_cookie"
	"GET /data-connectors?q=orders|$base/data-connectors?q=orders|Cookie: $bench_cookie"
	"GET /data-connectors?category=|$base/data-connectors?category=$bench_cat|Cookie: $bench_cookie"
	"GET /data-connectors?q=(new each time)|$base/data-connectors|Cookie: $bench_cookie|$DC_WORK/search-miss-all.lua"
	"GET ?category=&q=(new each time)|$base/data-connectors|Cookie: $bench_cookie|$DC_WORK/search-miss-category.lua"
)
