/* libFuzzer target: the importers (cURL, OpenAPI JSON/YAML, Postman) and, on what they
 * accept, both exporters must refuse or accept any bytes without crashing, leaking or
 * running away (YAML aliases are bounded). The first byte picks the format. */
#include <stddef.h>
#include <stdint.h>

#include "import/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct arena a;
	arena_init(&a, 65536);
	struct import_doc d;
	struct import_error e;
	enum import_format f = (enum import_format)(data[0] % IMPORT_FORMAT__MAX);
	if (import_parse(&a, f, (const char *)data + 1, size - 1, &d, &e) == IMPORT_OK) {
		json_object_put(import_doc_json(&d));
		json_object_put(export_openapi(&a, &d));
		json_object_put(export_postman(&a, &d));
	}
	arena_free(&a);
	return 0;
}
