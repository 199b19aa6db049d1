# Sourced by tests/bench/run (base, conf, DC_WORK set): an API token for a bench user made
# in the database, then the JSON API's connector list (25 of the connectors seeded by
# connectors.sh) and execute of an endpoint whose URL is the bench nginx's static file (a
# local upstream; the bench config allows loopback destinations). Execute is a POST: its
# target names a wrk Lua script (4th field). GET /api/1.0/users/me is the floor of any
# signed-in request: the one token statement and a 300-byte answer, nothing else.
DC_MARIADB_SOCKET=${DC_MARIADB_SOCKET:-$DC_WORK/run/mysql.sock}
api_token=dcg_bench_$(dc_random_hex 24)
api_hash=$(printf %s "$api_token" | sha256sum | cut -d' ' -f1)
dc_sql "INSERT INTO dcgate.users (username, password_hash, is_super_admin) VALUES ('bench-api', 'x', 1);
	INSERT INTO dcgate.api_tokens (user_id, name, token_hash)
	SELECT id, 'bench', '$api_hash' FROM dcgate.users WHERE username = 'bench-api'" ||
	dc_die "bench API token: insert failed"

# api_post PATH JSON: POST to the API with the token; prints the answer's "id".
api_post() {
	curl -sf -H "Authorization: Bearer $api_token" -H 'Content-Type: application/json' \
		--data-binary "$2" "$base$1" | sed -n 's/^{"id":\([0-9]*\).*/\1/p'
}
api_cat=$(api_post /api/1.0/data-connector-categories '{"name": "Bench API"}')
api_conn=$(api_post /api/1.0/data-connectors "{\"name\": \"Bench API Static\", \"category_ids\": [$api_cat]}")
[ -n "$api_conn" ] || dc_die "bench API connector: create failed"
api_ep=$(api_post "/api/1.0/data-connectors/$api_conn/endpoints" \
	"{\"purpose\": \"Static\", \"url\": \"$base/static/bench.html\", \"timeout\": 10}")
[ -n "$api_ep" ] || dc_die "bench API endpoint: create failed"
curl -sf -o /dev/null -H "Authorization: Bearer $api_token" -H 'Content-Type: application/json' \
	-d '{"data": {}}' "$base/api/1.0/data-connectors/$api_conn/endpoints/Static/execute" ||
	dc_die "bench API execute does not answer 200"
cat >"$DC_WORK/api-execute.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"data": {"bench": 1}}'
wrk.headers["Content-Type"] = "application/json"
LUA
targets+=(
	"GET /api/1.0/users/me (auth only)|$base/api/1.0/users/me|Authorization: Bearer $api_token"
	"GET /api/1.0/data-connectors|$base/api/1.0/data-connectors|Authorization: Bearer $api_token"
	"POST /api/.../execute (GET static)|$base/api/1.0/data-connectors/$api_conn/endpoints/Static/execute|Authorization: Bearer $api_token|$DC_WORK/api-execute.lua"
)
