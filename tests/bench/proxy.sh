# Sourced by the bench scripts: bench_proxy NAME UPSTREAM_ADDR PATH KEEPALIVE — an nginx of
# its own on a free loopback port that proxies every request to http://UPSTREAM_ADDR/PATH
# with upstream keep-alive (what a bare reverse proxy costs: the baseline of the outbound
# targets). Prints nothing; sets bench_proxy_url. Stopped with the other services.
bench_proxy() {
	local name=$1 addr=$2 path=$3 keep=$4 port prefix
	port=$(dc_free_port)
	prefix=$DC_WORK/nginx-$name
	mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tmp"
	{
		[ "$(id -u)" -eq 0 ] && printf 'user %s;\n' "$(dc_nginx_user "$DC_WORK")"
		cat <<NGINX
worker_processes auto;
worker_rlimit_nofile 16384;
pid $prefix/logs/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $prefix/tmp/client_body;
    proxy_temp_path $prefix/tmp/proxy;
    fastcgi_temp_path $prefix/tmp/fastcgi;
    uwsgi_temp_path $prefix/tmp/uwsgi;
    scgi_temp_path $prefix/tmp/scgi;
    upstream target { server $addr; keepalive $keep; }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://target/$path;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
NGINX
	} >"$prefix/conf/nginx.conf"
	dc_nginx_run "nginx-$name" "$prefix" "http://127.0.0.1:$port/"
	bench_proxy_url=http://127.0.0.1:$port/
}
