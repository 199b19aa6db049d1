/* INI config: "[section]" headers and "key = value" lines, looked up as "section.key". */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

char *
str_trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int
str_to_long(const char *s, long min, long max, long *out)
{
	if (!s || !*s)
		return CORE_ESYNTAX;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s)
		return CORE_ESYNTAX;
	if (v < min || v > max)
		return CORE_ERANGE;
	*out = v;
	return CORE_OK;
}

int
str_eq_ci(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

static int
config_set(struct config *cfg, const char *section, const char *key, const char *value)
{
	size_t klen = strlen(section) + strlen(key) + 2;
	char *full = malloc(klen);
	char *val = strdup(value);
	struct config_entry *e = realloc(cfg->entries, (cfg->count + 1) * sizeof(*e));
	if (!full || !val || !e) {
		free(full);
		free(val);
		if (e)
			cfg->entries = e;
		return CORE_ENOMEM;
	}
	cfg->entries = e;
	snprintf(full, klen, "%s%s%s", section, *section ? "." : "", key);
	cfg->entries[cfg->count].key = full;
	cfg->entries[cfg->count].value = val;
	cfg->count++;
	return CORE_OK;
}

static int
config_parse_line(struct config *cfg, char *line, char *section, size_t section_size)
{
	char *s = str_trim(line);
	if (*s == '\0' || *s == '#' || *s == ';')
		return CORE_OK;
	if (*s == '[') {
		char *close = strchr(s, ']');
		if (!close || close[1] != '\0' || close - s - 1 <= 0 ||
		    (size_t)(close - s) >= section_size)
			return CORE_ESYNTAX;
		*close = '\0';
		snprintf(section, section_size, "%s", str_trim(s + 1));
		return CORE_OK;
	}
	char *eq = strchr(s, '=');
	if (!eq)
		return CORE_ESYNTAX;
	*eq = '\0';
	char *key = str_trim(s), *value = str_trim(eq + 1);
	if (!*key)
		return CORE_ESYNTAX;
	for (char *k = key; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-' && *k != '.')
			return CORE_ESYNTAX;
	return config_set(cfg, section, key, value);
}

int
config_parse(struct config *cfg, const char *text, size_t len, int *err_line)
{
	char section[128] = "";
	int lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		if (n > 8192 || memchr(text + pos, '\0', n)) {
			if (err_line)
				*err_line = lineno;
			return CORE_ESYNTAX;
		}
		char *line = malloc(n + 1);
		if (!line)
			return CORE_ENOMEM;
		memcpy(line, text + pos, n);
		line[n] = '\0';
		int rc = config_parse_line(cfg, line, section, sizeof(section));
		free(line);
		if (rc != CORE_OK) {
			if (err_line)
				*err_line = lineno;
			return rc;
		}
		pos += n + 1;
	}
	return CORE_OK;
}

int
config_load(struct config *cfg, const char *path, int *err_line)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return CORE_EIO;
	struct buf b;
	buf_init(&b);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	int io = ferror(f);
	fclose(f);
	if (io || b.failed) {
		buf_free(&b);
		return CORE_EIO;
	}
	int rc = config_parse(cfg, b.data ? b.data : "", b.len, err_line);
	buf_free(&b);
	if (rc == CORE_OK) {
		free(cfg->path);
		cfg->path = strdup(path);
	}
	return rc;
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->count; i++) {
		free(cfg->entries[i].key);
		free(cfg->entries[i].value);
	}
	free(cfg->entries);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

const char *
config_get(const struct config *cfg, const char *key, const char *def)
{
	/* Last one wins, so a later line overrides an earlier one. */
	for (size_t i = cfg->count; i > 0; i--)
		if (strcmp(cfg->entries[i - 1].key, key) == 0)
			return cfg->entries[i - 1].value;
	return def;
}

long
config_get_long(const struct config *cfg, const char *key, long def)
{
	long v;
	const char *s = config_get(cfg, key, NULL);
	return s && str_to_long(s, -2147483647L, 2147483647L, &v) == CORE_OK ? v : def;
}

int
config_get_bool(const struct config *cfg, const char *key, int def)
{
	const char *s = config_get(cfg, key, NULL);
	if (!s)
		return def;
	if (!strcasecmp(s, "1") || !strcasecmp(s, "yes") || !strcasecmp(s, "true") ||
	    !strcasecmp(s, "on"))
		return 1;
	if (!strcasecmp(s, "0") || !strcasecmp(s, "no") || !strcasecmp(s, "false") ||
	    !strcasecmp(s, "off"))
		return 0;
	return def;
}
