/* Permission table and sets. */
#include <string.h>

#include "auth.h"

const struct perm_info perm_table[PERM__MAX] = {
#define PERM(e, name, group, action) {name, group, action},
#include "perms.def"
#undef PERM
};

enum perm
perm_by_name(const char *name)
{
	for (int i = 0; i < PERM__MAX; i++)
		if (strcmp(perm_table[i].name, name) == 0)
			return (enum perm)i;
	return PERM_NONE;
}

int
perm_has(const struct user *u, enum perm p)
{
	if (p == PERM_NONE)
		return 1;
	if (!u)
		return 0;
	return u->is_super_admin || (u->perms & PERM_BIT(p)) != 0;
}

perm_set
perm_parse_list(const char *csv)
{
	perm_set set = 0;
	if (!csv)
		return 0;
	const char *p = csv;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char name[80];
		if (n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			enum perm e = perm_by_name(name);
			if (e != PERM_NONE)
				set |= PERM_BIT(e);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return set;
}

void
auth_config_load(struct auth_config *ac, const struct config *cfg)
{
	ac->session_idle = config_get_long(cfg, "security.session_idle", 7200);
	ac->session_absolute = config_get_long(cfg, "security.session_absolute", 43200);
	ac->max_failures = config_get_long(cfg, "security.login_max_failures", 10);
	ac->failure_window = config_get_long(cfg, "security.login_window", 900);
	ac->lockout = config_get_long(cfg, "security.lockout", 900);
	ac->address_failures = config_get_long(cfg, "security.login_address_failures", 20);
	ac->address_max_wait = config_get_long(cfg, "security.login_address_max_wait", 60);
	ac->login_rate = config_get_long(cfg, "security.login_rate", 30);
	ac->scrypt_log_n = (int)config_get_long(cfg, "security.scrypt_log_n", 15);
	ac->scrypt_r = (int)config_get_long(cfg, "security.scrypt_r", 8);
	ac->scrypt_p = (int)config_get_long(cfg, "security.scrypt_p", 1);
}
