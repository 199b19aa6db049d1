/* The shared name tables (names.h). */
#include <string.h>

#include "names.h"

const char *const method_names[METHOD__MAX] = {
    [METHOD_GET] = "GET",     [METHOD_POST] = "POST",	  [METHOD_PUT] = "PUT",
    [METHOD_PATCH] = "PATCH", [METHOD_DELETE] = "DELETE", [METHOD_HEAD] = "HEAD",
};

int
method_index(const char *s, int max)
{
	for (int i = 0; s && i < max && i < METHOD__MAX; i++)
		if (strcmp(s, method_names[i]) == 0)
			return i;
	return -1;
}

static const struct {
	long code;
	const char *text;
} reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

const char *
http_reason_phrase(long status)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == status)
			return reasons[i].text;
	return NULL;
}

const char *const auth_type_names[AUTH__MAX] = {
    [AUTH_NONE] = "none",
    [AUTH_BASIC] = "basic",
    [AUTH_BEARER] = "bearer",
    [AUTH_OAUTH2_PASSWORD] = "oauth2_password",
    [AUTH_OAUTH2_CLIENT_CREDENTIALS] = "oauth2_client_credentials",
    [AUTH_API_KEY] = "api_key",
    [AUTH_DIGEST] = "digest",
    [AUTH_AWS_SIGV4] = "aws_sigv4",
    [AUTH_CLIENT_CERT] = "client_cert",
    [AUTH_OAUTH2_AUTHORIZATION_CODE] = "oauth2_authorization_code",
};

const char *const auth_type_labels[AUTH__MAX] = {
    [AUTH_NONE] = "No Auth",
    [AUTH_BASIC] = "Basic Auth",
    [AUTH_BEARER] = "Bearer Token",
    [AUTH_OAUTH2_PASSWORD] = "Auth 2.0 Password",
    [AUTH_OAUTH2_CLIENT_CREDENTIALS] = "OAuth 2.0 Client Credentials",
    [AUTH_API_KEY] = "API Key",
    [AUTH_DIGEST] = "Digest Auth",
    [AUTH_AWS_SIGV4] = "AWS Signature V4",
    [AUTH_CLIENT_CERT] = "Client Certificate (mTLS)",
    [AUTH_OAUTH2_AUTHORIZATION_CODE] = "OAuth 2.0 Authorization Code (PKCE)",
};

int
auth_type_from_name(const char *s)
{
	for (int i = 0; s && i < AUTH__MAX; i++)
		if (strcmp(s, auth_type_names[i]) == 0)
			return i;
	return -1;
}

int
auth_type_is_oauth(int type)
{
	return type == AUTH_OAUTH2_PASSWORD || type == AUTH_OAUTH2_CLIENT_CREDENTIALS ||
	       type == AUTH_OAUTH2_AUTHORIZATION_CODE;
}
