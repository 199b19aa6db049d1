/* libFuzzer target: the INI config parser must refuse or accept any bytes without crashing. */
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg = {0};
	int line = 0;
	if (config_parse(&cfg, (const char *)data, size, &line) == CORE_OK) {
		config_get(&cfg, "server.socket", NULL);
		config_get_long(&cfg, "server.workers", 8);
		config_get_bool(&cfg, "outbound.flag", 0);
	}
	config_free(&cfg);
	return 0;
}
