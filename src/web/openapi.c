/* GET /api/1.0/openapi.json: an OpenAPI 3.1 description of the JSON API. The paths come
 * from the route table itself (every R_API route, so a new one cannot be missing); a small
 * table adds each known route's summary, body and answer, and the shared schemas are below.
 * Public: no token needed to read it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* Schemas, parameters and error answers. Written with ' for " (no apostrophes inside) to
 * stay readable, and no text needs two spaces in a row; turned into JSON when served. */
/* The rows of an endpoint, in Endpoint, EndpointInput and ExportEndpoint (its scalar members
 * come from its field table). */
#define EP_ROWS                                                                                    \
	"   'headers': {'type': 'array', 'items': {'$ref': '#/components/schemas/HeaderRow'}},"    \
	"   'params': {'type': 'array', 'items': {'$ref': '#/components/schemas/ParamRow'}},"      \
	"   'response_map': {'type': 'array', 'items': {'$ref': '#/components/schemas/MapRow'}},"  \
	"   'body_fields': {'type': 'array', 'items': {'$ref': '#/components/schemas/FieldRow'}}"
static const char COMPONENTS[] =
    "{'securitySchemes': {'bearerAuth': {'type': 'http', 'scheme': 'bearer',"
    "  'description': 'An API token from the Profile page: Authorization: Bearer dcg_...'}},"
    "'parameters': {"
    " 'page': {'name': 'page', 'in': 'query', 'schema': {'type': 'integer', 'minimum': 1,"
    "   'default': 1}},"
    " 'per_page': {'name': 'per_page', 'in': 'query', 'schema': {'type': 'integer',"
    "   'minimum': 1, 'maximum': 100}, 'description': 'Default: [limits] per_page (25).'},"
    " 'filter': {'name': 'filter', 'in': 'query', 'schema': {'type': 'string',"
    "   'maxLength': 255}, 'description': 'Substring of the name (connectors: also of the"
    "   description or a category name; users: username, display name or email; groups:"
    "   name or description).'},"
    " 'order_by': {'name': 'order_by', 'in': 'query', 'schema': {'type': 'string',"
    "   'enum': ['name', 'created_at', 'updated_at'], 'default': 'name'}},"
    " 'order_direction': {'name': 'order_direction', 'in': 'query', 'schema': {'type':"
    "   'string', 'enum': ['asc', 'desc'], 'default': 'asc'}},"
    " 'category_id': {'name': 'category_id', 'in': 'query', 'schema': {'type': 'integer',"
    "   'minimum': 1}, 'description': 'Only connectors in this category.'}},"
    "'responses': {"
    " 'BadRequest': {'description': 'Malformed JSON or a body that is not a JSON object.',"
    "   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},"
    " 'Unauthorized': {'description': 'No API token, or an unknown one.',"
    "   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},"
    " 'Forbidden': {'description': 'The token user lacks the permission this route needs.',"
    "   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},"
    " 'NotFound': {'description': 'No such resource.',"
    "   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},"
    " 'Conflict': {'description': 'A stale version (changed by someone else), a category"
    "   still in use, or a delete the user pages refuse too (oneself, the last Super Admin).',"
    "   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},"
    " 'TooLarge': {'description': 'The body, a field or the number of fields is past a"
    "   limit.',"
    "   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},"
    " 'UnsupportedMediaType': {'description': 'The body is not application/json.',"
    "   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},"
    " 'Invalid': {'description': 'Validation failed: errors has the messages by field.',"
    "   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},"
    " 'BadGateway': {'description': 'The data source could not be reached or refused"
    "   (message says why in plain words; code is a stable name such as EREFUSED).',"
    "   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},"
    " 'Busy': {'description': 'Every outbound slot is busy; retry after Retry-After.',"
    "   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}},"
    " 'GatewayTimeout': {'description': 'The data source did not answer in time.',"
    "   'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Error'}}}}},"
    "'schemas': {"
    " 'Error': {'type': 'object', 'required': ['message', 'errors'], 'properties': {"
    "   'message': {'type': 'string'},"
    "   'errors': {'type': 'object', 'additionalProperties': {'type': 'array',"
    "     'items': {'type': 'string'}}, 'description': 'Messages by field; rows as"
    "     headers.0.key, imports as endpoints.0.url.'},"
    "   'code': {'type': 'string', 'description': 'Execute only: EREFUSED, ETIMEOUT,"
    "   ESTATUS (an error status of the endpoint), ...'},"
    "   'upstream_status': {'type': 'integer', 'description': 'ESTATUS only.'},"
    "   'body_excerpt': {'type': 'string', 'description': 'ESTATUS only: the start of the"
    "   data source answer.'}, 'attempts': {'type': 'integer'}}},"
    " 'ListMeta': {'type': 'object', 'required': ['total', 'count', 'per_page',"
    "   'current_page', 'total_pages'], 'properties': {'total': {'type': 'integer'},"
    "   'count': {'type': 'integer'}, 'per_page': {'type': 'integer'},"
    "   'current_page': {'type': 'integer'}, 'total_pages': {'type': 'integer'}}},"
    " 'AuthType': {'type': 'string'},"
    " 'AuthTest': {'type': 'object', 'required': ['ok'], 'description': 'What the token"
    "   endpoint answered; never the token itself.', 'properties': {"
    "   'ok': {'type': 'boolean'}, 'token_type': {'type': 'string'},"
    "   'expires_in': {'type': 'integer'}, 'scope': {'type': 'string'},"
    "   'message': {'type': 'string'}, 'code': {'type': 'string'}}},"
    " 'CategoryRef': {'type': 'object', 'required': ['id', 'name'], 'properties': {"
    "   'id': {'type': 'integer'}, 'name': {'type': 'string'}, 'status': {'type': 'string'}}},"
    " 'Connector': {'type': 'object', 'required': ['id', 'name', 'version', 'category_ids',"
    "   'auth_type'], 'description': 'Besides these, the members of the field tables.',"
    "   'properties': {"
    "   'id': {'type': 'integer'}, 'version': {'type': 'integer'},"
    "   'category_ids': {'type': 'array', 'items': {'type': 'integer'}},"
    "   'categories': {'type': 'array', 'items': {'$ref': '#/components/schemas/CategoryRef'}},"
    "   'secrets': {'type': 'array', 'items': {'type': 'string'}, 'description': 'The names"
    "   of the sealed variables ({{secrets.NAME}}); their values are never shown.'},"
    "   'oauth_connection': {'type': 'object', 'properties': {'connected': {'type':"
    "   'boolean'}, 'subject': {'type': 'string'}, 'expires_at': {'type': ['string',"
    "   'null']}}, 'description': 'Authorization Code: the grant made by Connect.'},"
    "   'created_at': {'type': 'string', 'format': 'date-time'},"
    "   'updated_at': {'type': 'string', 'format': 'date-time'},"
    "   'created_by': {'type': ['string', 'null']}, 'updated_by': {'type': ['string', 'null']},"
    "   'message': {'type': 'string', 'description': 'Import only.'},"
    "   'secrets_needed': {'type': 'boolean', 'description': 'Import only.'}}},"
    " 'ConnectorSummary': {'type': 'object', 'properties': {"
    "   'id': {'type': 'integer'}, 'name': {'type': 'string'},"
    "   'description': {'type': 'string'},"
    "   'auth_type': {'$ref': '#/components/schemas/AuthType'},"
    "   'categories': {'type': 'array', 'items': {'$ref': '#/components/schemas/CategoryRef'}},"
    "   'endpoints': {'type': 'integer'},"
    "   'created_at': {'type': 'string', 'format': 'date-time'},"
    "   'updated_at': {'type': 'string', 'format': 'date-time'}}},"
    " 'ConnectorList': {'type': 'object', 'required': ['data', 'meta'], 'properties': {"
    "   'data': {'type': 'array', 'items': {'$ref': '#/components/schemas/ConnectorSummary'}},"
    "   'meta': {'$ref': '#/components/schemas/ListMeta'}}},"
    " 'ConnectorInput': {'type': 'object', 'required': ['name', 'category_ids'],"
    "   'description': 'The form fields of the pages. An update needs version and the whole"
    "   details (name, description, category_ids); authorization members, when any is"
    "   present, change the authorization (left-out settings keep their stored values, a"
    "   secret left out or blank is kept, a secret set to null is removed).',"
    "   'properties': {"
    "   'category_ids': {'type': 'array', 'minItems': 1, 'items': {'type': 'integer'}},"
    "   'version': {'type': 'integer', 'description': 'Required for an update.'},"
    "   'secrets': {'type': 'object', 'additionalProperties': {'type': ['string', 'null']},"
    "   'description': 'Sealed variables, write-only: a value sets it, an empty string keeps"
    "   the stored one, a name left out or null removes it.'}}},"
    " 'HeaderRow': {'type': 'object', 'properties': {'key': {'type': 'string'},"
    "   'value': {'type': 'string'}, 'description': {'type': 'string'},"
    "   'required': {'type': 'boolean'}}},"
    " 'ParamRow': {'type': 'object', 'properties': {'key': {'type': 'string'},"
    "   'value': {'type': 'string'}, 'required': {'type': 'boolean'}}},"
    " 'MapRow': {'type': 'object', 'properties': {'name': {'type': 'string'},"
    "   'pointer': {'type': 'string', 'description': 'RFC 6901, relative to each item when"
    "   the root is an array, else to the root.'}}},"
    " 'FieldRow': {'type': 'object', 'properties': {'name': {'type': 'string'},"
    "   'value': {'type': 'string', 'description': 'A template over the data.'}}},"
    " 'Endpoint': {'type': 'object', 'required': ['id', 'purpose', 'method', 'url'],"
    "   'properties': {"
    "   'id': {'type': 'integer'}, 'connector_id': {'type': 'integer'}," EP_ROWS ","
    "   'created_at': {'type': 'string', 'format': 'date-time'},"
    "   'updated_at': {'type': 'string', 'format': 'date-time'}}},"
    " 'EndpointList': {'type': 'object', 'required': ['data', 'meta'], 'properties': {"
    "   'data': {'type': 'array', 'items': {'$ref': '#/components/schemas/Endpoint'}},"
    "   'meta': {'$ref': '#/components/schemas/ListMeta'}}},"
    " 'EndpointInput': {'type': 'object', 'required': ['purpose', 'url'], 'properties': {" EP_ROWS
    "}},"
    " 'Category': {'type': 'object', 'required': ['id', 'name', 'status'], 'properties': {"
    "   'id': {'type': 'integer'}, 'name': {'type': 'string'},"
    "   'status': {'type': 'string', 'enum': ['active', 'inactive']},"
    "   'connectors': {'type': 'integer'},"
    "   'created_at': {'type': 'string', 'format': 'date-time'},"
    "   'updated_at': {'type': 'string', 'format': 'date-time'}}},"
    " 'CategoryList': {'type': 'object', 'required': ['data', 'meta'], 'properties': {"
    "   'data': {'type': 'array', 'items': {'$ref': '#/components/schemas/Category'}},"
    "   'meta': {'$ref': '#/components/schemas/ListMeta'}}},"
    " 'CategoryInput': {'type': 'object', 'required': ['name'], 'properties': {"
    "   'name': {'type': 'string', 'maxLength': 255},"
    "   'status': {'type': 'string', 'enum': ['active', 'inactive'], 'default': 'active'}}},"
    " 'User': {'type': 'object', 'required': ['id', 'username', 'group_ids',"
    "   'permissions'], 'description': 'Never a password nor its hash.', 'properties': {"
    "   'id': {'type': 'integer'}, 'username': {'type': 'string'},"
    "   'display_name': {'type': 'string'}, 'email': {'type': 'string'},"
    "   'is_active': {'type': 'boolean'}, 'is_super_admin': {'type': 'boolean'},"
    "   'group_ids': {'type': 'array', 'items': {'type': 'integer'}},"
    "   'permissions': {'type': 'array', 'items': {'type': 'string'}, 'description': 'Its"
    "   direct permissions (not those of its groups).'},"
    "   'created_at': {'type': 'string', 'format': 'date-time'},"
    "   'updated_at': {'type': 'string', 'format': 'date-time'}}},"
    " 'UserList': {'type': 'object', 'required': ['data', 'meta'], 'properties': {"
    "   'data': {'type': 'array', 'items': {'$ref': '#/components/schemas/User'}},"
    "   'meta': {'$ref': '#/components/schemas/ListMeta'}}},"
    " 'UserInput': {'type': 'object', 'description': 'The members of the user form. PUT: a"
    "   member left out keeps its stored value.', 'properties': {"
    "   'username': {'type': 'string', 'maxLength': 255},"
    "   'display_name': {'type': 'string', 'maxLength': 255},"
    "   'email': {'type': 'string', 'maxLength': 255},"
    "   'password': {'type': 'string', 'minLength': 8, 'maxLength': 1024, 'description':"
    "   'Write-only; required on create; left out or blank keeps the stored one.'},"
    "   'current_password': {'type': 'string', 'description': 'Needed to change your own"
    "   password.'},"
    "   'is_active': {'type': 'boolean', 'default': true},"
    "   'is_super_admin': {'type': 'boolean', 'default': false},"
    "   'group_ids': {'type': 'array', 'items': {'type': 'integer'}},"
    "   'permissions': {'type': 'array', 'items': {'type': 'string'}}}},"
    " 'Group': {'type': 'object', 'required': ['id', 'name', 'user_ids', 'permissions'],"
    "   'properties': {'id': {'type': 'integer'}, 'name': {'type': 'string'},"
    "   'description': {'type': 'string'},"
    "   'user_ids': {'type': 'array', 'items': {'type': 'integer'}},"
    "   'permissions': {'type': 'array', 'items': {'type': 'string'}},"
    "   'created_at': {'type': 'string', 'format': 'date-time'},"
    "   'updated_at': {'type': 'string', 'format': 'date-time'}}},"
    " 'GroupList': {'type': 'object', 'required': ['data', 'meta'], 'properties': {"
    "   'data': {'type': 'array', 'items': {'$ref': '#/components/schemas/Group'}},"
    "   'meta': {'$ref': '#/components/schemas/ListMeta'}}},"
    " 'GroupInput': {'type': 'object', 'description': 'The members of the group form. PUT:"
    "   a member left out keeps its stored value.', 'properties': {"
    "   'name': {'type': 'string', 'maxLength': 255},"
    "   'description': {'type': 'string', 'maxLength': 1000},"
    "   'user_ids': {'type': 'array', 'items': {'type': 'integer'}},"
    "   'permissions': {'type': 'array', 'items': {'type': 'string'}}}},"
    " 'ExecuteInput': {'type': 'object', 'properties': {'data': {'type': 'object',"
    "   'description': 'The values the URL, headers, parameters and body are rendered over"
    "   (as the Test screen uses the sample data).'},"
    "   'all_pages': {'type': 'boolean', 'description': 'Walk every page (up to max_pages)"
    "   and answer their mapped items together in data.'},"
    "   'environment': {'type': 'string', 'description': 'The environment to run in, by"
    "   name (case ignored); left out: the default one (none: the connector settings). An"
    "   unknown name answers 422 with errors.environment.'}}},"
    " 'DraftTestInput': {'type': 'object', 'required': ['endpoint'], 'properties': {"
    "   'endpoint': {'$ref': '#/components/schemas/EndpointInput'},"
    "   'data': {'type': 'object', 'description': 'Left out: the draft sample data.'},"
    "   'environment': {'type': 'string'},"
    "   'all_pages': {'type': 'boolean'}}},"
    " 'SecretSet': {'type': 'object', 'required': ['set'], 'properties': {'set': {'type':"
    "   'boolean'}}, 'description': 'A sealed value is never answered: only whether it is"
    "   set. Given back in a PUT it keeps the stored value.'},"
    " 'EnvironmentVariable': {'type': 'object', 'required': ['name'], 'properties': {"
    "   'name': {'type': 'string', 'pattern': '^[A-Za-z_][A-Za-z0-9_]{0,63}$'},"
    "   'sealed': {'type': 'boolean', 'default': false},"
    "   'value': {'oneOf': [{'type': 'string'}, {'$ref': '#/components/schemas/SecretSet'}],"
    "   'description': 'Read in templates as {{env.NAME}}. Sealed: write-only (a string sets"
    "   it; left out or {set} keeps the stored one).'}}},"
    " 'EnvironmentInput': {'type': 'object', 'properties': {"
    "   'name': {'type': 'string', 'maxLength': 64, 'description': 'Letters, digits, spaces,"
    "   - _ and .; unique within the connector.'},"
    "   'is_default': {'type': 'boolean', 'description': 'The others stop being the"
    "   default.'},"
    "   'base_url': {'type': 'string', 'description': 'An endpoint URL starting with / is"
    "   joined to it.'},"
    "   'allowed_origins': {'type': 'string', 'description': 'Where its own credentials and"
    "   sealed variables may go; blank: the base URL origin.'},"
    "   'variables': {'type': 'array', 'items': {'$ref':"
    "   '#/components/schemas/EnvironmentVariable'}, 'description': 'Replace the stored ones;"
    "   left out: kept.'},"
    "   'auth_override': {'type': 'boolean', 'description': 'Use the credentials below"
    "   instead of the connector ones (the method stays the connector one).'},"
    "   'username': {'type': 'string'}, 'client_id': {'type': 'string'},"
    "   'token_url': {'type': 'string'},"
    "   'password': {'type': ['string', 'null']}, 'token': {'type': ['string', 'null']},"
    "   'api_key': {'type': ['string', 'null']},"
    "   'client_secret': {'type': ['string', 'null'], 'description': 'Secrets: a string"
    "   sets, null clears, left out keeps.'}}},"
    " 'Environment': {'type': 'object', 'required': ['id', 'name'], 'properties': {"
    "   'id': {'type': 'integer'}, 'name': {'type': 'string'},"
    "   'is_default': {'type': 'boolean'}, 'base_url': {'type': 'string'},"
    "   'allowed_origins': {'type': 'string'}, 'auth_override': {'type': 'boolean'},"
    "   'username': {'type': 'string'}, 'client_id': {'type': 'string'},"
    "   'token_url': {'type': 'string'},"
    "   'password': {'$ref': '#/components/schemas/SecretSet'},"
    "   'token': {'$ref': '#/components/schemas/SecretSet'},"
    "   'api_key': {'$ref': '#/components/schemas/SecretSet'},"
    "   'client_secret': {'$ref': '#/components/schemas/SecretSet'},"
    "   'secrets_missing': {'type': 'boolean', 'description': 'A sealed value it needs is"
    "   not set (after an import).'},"
    "   'variables': {'type': 'array', 'items': {'$ref':"
    "   '#/components/schemas/EnvironmentVariable'}},"
    "   'variable_count': {'type': 'integer'},"
    "   'created_at': {'type': 'string'}, 'updated_at': {'type': 'string'}}},"
    " 'EnvironmentList': {'type': 'object', 'properties': {'data': {'type': 'array',"
    "   'items': {'$ref': '#/components/schemas/Environment'}}}},"
    " 'ExecuteResult': {'type': 'object', 'required': ['status', 'headers', 'body',"
    "   'timings', 'size', 'truncated'], 'properties': {"
    "   'status': {'type': 'integer', 'description': 'The data source status'},"
    "   'headers': {'type': 'object', 'additionalProperties': {'type': 'string'}},"
    "   'body': {'description': 'Parsed when JSON, else the text (base64 when not text).'},"
    "   'body_encoding': {'type': 'string', 'enum': ['base64']},"
    "   'timings': {'type': 'object', 'properties': {'dns_ms': {'type': 'number'},"
    "     'connect_ms': {'type': 'number'}, 'tls_ms': {'type': 'number'},"
    "     'first_byte_ms': {'type': 'number'}, 'total_ms': {'type': 'number'}}},"
    "   'size': {'type': 'integer'}, 'truncated': {'type': 'boolean'},"
    "   'data': {'description': 'The answer mapped by response_root and response_map (null"
    "   when the root matched nothing); with all_pages the items of every page.'},"
    "   'pages': {'type': 'integer'}, 'attempts': {'type': 'integer'},"
    "   'notes': {'type': 'array', 'items': {'type': 'string'}, 'description': 'Pointers"
    "   that matched nothing, pages not followed.'}}},"
    " 'ExportEndpoint': {'type': 'object', 'properties': {" EP_ROWS "}},"
    " 'Export': {'type': 'object', 'required': ['name', 'categories'], 'properties': {"
    "   'dcgate_export': {'type': 'integer', 'const': 1},"
    "   'categories': {'type': 'array', 'items': {'type': 'string'}},"
    "   'authorization': {'type': 'object', 'properties': {}},"
    "   'endpoints': {'type': 'array', 'items': {'$ref': '#/components/schemas/ExportEndpoint'}},"
    "   'environments': {'type': 'array', 'items': {'type': 'object', 'description': 'An"
    "   environment without any secret: sealed variables by name only.'}}"
    "   }},"
    " 'ImportInput': {'type': 'object', 'required': ['export'], 'properties': {"
    "   'export': {'oneOf': [{'$ref': '#/components/schemas/Export'}, {'type': 'string'}]},"
    "   'name': {'type': 'string', 'description': 'A new name (needed when it is taken).'}}},"
    " 'UserMe': {'type': 'object', 'properties': {'id': {'type': 'integer'},"
    "   'username': {'type': 'string'}, 'display_name': {'type': 'string'},"
    "   'email': {'type': 'string'}, 'is_super_admin': {'type': 'boolean'},"
    "   'permissions': {'type': 'array', 'items': {'type': 'string'}}}},"
    " 'TokenInput': {'type': 'object', 'required': ['name'], 'properties': {"
    "   'name': {'type': 'string', 'maxLength': 255},"
    "   'expires_in_days': {'type': ['integer', 'null'], 'minimum': 1, 'maximum': 3650,"
    "     'description': 'Left out or null: the token never expires. A caller whose own"
    "     token expires must give at most the whole days it has left. An expired token"
    "     answers 401 API token expired.'}}},"
    " 'Token': {'type': 'object', 'required': ['id', 'name', 'token'], 'properties': {"
    "   'id': {'type': 'integer'}, 'name': {'type': 'string'},"
    "   'token': {'type': 'string', 'description': 'Shown this once; only its SHA-256 is"
    "     stored.'},"
    "   'expires_at': {'type': ['string', 'null'], 'description': 'UTC; null: never.'}}},"
    " 'EndpointImportInput': {'type': 'object', 'required': ['format', 'source'],"
    "   'properties': {'format': {'type': 'string', 'enum': ['curl', 'openapi', 'postman']},"
    "   'source': {'type': 'string', 'description': 'The cURL command, the OpenAPI 3.0/3.1"
    "     document (JSON or YAML) or the Postman v2.1 collection, as text.'},"
    "   'dry_run': {'type': 'boolean', 'default': false, 'description': 'Validate and answer"
    "     what would be created, creating nothing.'},"
    "   'on_conflict': {'type': 'string', 'enum': ['refuse', 'skip'], 'default': 'refuse'}}},"
    " 'EndpointImport': {'type': 'object', 'required': ['endpoints', 'conflicts', 'created'],"
    "   'properties': {'dry_run': {'type': 'boolean'}, 'format': {'type': 'string'},"
    "   'title': {'type': ['string', 'null']}, 'base_url': {'type': 'string'},"
    "   'count': {'type': 'integer'},"
    "   'endpoints': {'type': 'array', 'items': {'type': 'object'}},"
    "   'conflicts': {'type': 'array', 'items': {'type': 'string'}},"
    "   'created': {'type': 'array', 'items': {'type': 'object', 'properties': {"
    "     'id': {'type': 'integer'}, 'purpose': {'type': 'string'}}}},"
    "   'authorization': {'type': 'object', 'description': 'The proposed method (no"
    "     secret).'},"
    "   'variables': {'type': 'object'}, 'notes': {'type': 'array', 'items': {'type':"
    "     'string'}}}},"
    " 'PostmanCollection': {'type': 'object', 'description': 'A Postman collection v2.1.'},"
    " 'ConnectorFromDocumentInput': {'type': 'object', 'required': ['format', 'source',"
    "   'category_ids'], 'properties': {"
    "   'format': {'type': 'string', 'enum': ['curl', 'openapi', 'postman']},"
    "   'source': {'type': 'string'}, 'name': {'type': 'string', 'description': 'Default: the"
    "     document title (letters, digits, spaces and apostrophes kept).'},"
    "   'category_ids': {'type': 'array', 'items': {'type': 'integer'}},"
    "   'dry_run': {'type': 'boolean', 'default': false}}},"
    " 'OpenApi': {'type': 'object'}}}";

/* What the route table does not say about a route. */
struct route_doc {
	const char *method, *pattern;
	const char *summary;
	const char *tag;
	const char *body;   /* request schema, NULL: none */
	int status;	    /* success status */
	const char *result; /* answer schema, NULL: no content */
	int query;	    /* DOC_Q_* */
	int conflict;	    /* may answer 409 */
};
enum { DOC_Q_NONE, DOC_Q_PAGE, DOC_Q_CONNECTORS };

#define DC  "/api/1.0/data-connectors"
#define CAT "/api/1.0/data-connector-categories"
static const struct route_doc DOCS[] = {
    {"GET", "/api/1.0/openapi.json", "This description", "Meta", NULL, 200, "OpenApi", 0, 0},
    {"GET", "/api/1.0/users/me", "The token user and its permissions", "Accounts", NULL, 200,
     "UserMe", 0, 0},
    {"POST", "/api/1.0/users/me/tokens", "Make an API token of the token user (optional expiry)",
     "Accounts", "TokenInput", 201, "Token", 0, 0},
    {"GET", "/api/1.0/users", "List users", "Accounts", NULL, 200, "UserList", DOC_Q_PAGE, 0},
    {"POST", "/api/1.0/users", "Create a user (with its groups and permissions)", "Accounts",
     "UserInput", 201, "User", 0, 0},
    {"GET", "/api/1.0/users/{id}", "Read a user", "Accounts", NULL, 200, "User", 0, 0},
    {"PUT", "/api/1.0/users/{id}", "Update a user", "Accounts", "UserInput", 200, "User", 0, 0},
    {"DELETE", "/api/1.0/users/{id}", "Delete a user (not oneself, not the last Super Admin)",
     "Accounts", NULL, 204, NULL, 0, 1},
    {"GET", "/api/1.0/groups", "List groups", "Accounts", NULL, 200, "GroupList", DOC_Q_PAGE, 0},
    {"POST", "/api/1.0/groups", "Create a group (with its members and permissions)", "Accounts",
     "GroupInput", 201, "Group", 0, 0},
    {"GET", "/api/1.0/groups/{id}", "Read a group", "Accounts", NULL, 200, "Group", 0, 0},
    {"PUT", "/api/1.0/groups/{id}", "Update a group", "Accounts", "GroupInput", 200, "Group", 0, 0},
    {"DELETE", "/api/1.0/groups/{id}", "Delete a group", "Accounts", NULL, 204, NULL, 0, 0},
    {"GET", DC, "List data connectors", "Data Connectors", NULL, 200, "ConnectorList",
     DOC_Q_CONNECTORS, 0},
    {"POST", DC, "Create a data connector (with its authorization)", "Data Connectors",
     "ConnectorInput", 201, "Connector", 0, 0},
    {"POST", DC "/import", "Import an exported data connector (secrets are entered later)",
     "Data Connectors", "ImportInput", 201, "Connector", 0, 0},
    {"GET", DC "/{id}", "Read a data connector (secrets only as *_set)", "Data Connectors", NULL,
     200, "Connector", 0, 0},
    {"PUT", DC "/{id}", "Update a data connector with its version", "Data Connectors",
     "ConnectorInput", 200, "Connector", 0, 1},
    {"DELETE", DC "/{id}", "Delete a data connector with its endpoints", "Data Connectors", NULL,
     204, NULL, 0, 0},
    {"POST", DC "/{id}/authorization/test",
     "Fetch a token now (OAuth methods): its type, expiry and scope, never the token; 502 with"
     " message when none was issued",
     "Data Connectors", NULL, 200, "AuthTest", 0, 0},
    {"GET", DC "/{id}/export", "Export a data connector (never its secrets)", "Data Connectors",
     NULL, 200, "Export", 0, 0},
    {"POST", DC "/from-document",
     "A new data connector from an OpenAPI document or a Postman collection (one transaction; "
     "dry_run previews)",
     "Data Connectors", "ConnectorFromDocumentInput", 201, "EndpointImport", 0, 0},
    {"GET", DC "/{id}/export/openapi", "A data connector as OpenAPI 3.1 (never its secrets)",
     "Data Connectors", NULL, 200, "OpenApi", 0, 0},
    {"GET", DC "/{id}/export/postman",
     "A data connector as a Postman collection v2.1 (never its secrets)", "Data Connectors", NULL,
     200, "PostmanCollection", 0, 0},
    {"POST", DC "/{id}/endpoints/import",
     "Endpoints from a cURL command, an OpenAPI document or a Postman collection (one "
     "transaction; dry_run previews)",
     "Endpoints", "EndpointImportInput", 201, "EndpointImport", 0, 1},
    {"GET", DC "/{id}/endpoints", "List the endpoints of a data connector", "Endpoints", NULL, 200,
     "EndpointList", DOC_Q_PAGE, 0},
    {"POST", DC "/{id}/endpoints", "Add an endpoint", "Endpoints", "EndpointInput", 201, "Endpoint",
     0, 0},
    {"GET", DC "/{id}/endpoints/{eid}", "Read an endpoint", "Endpoints", NULL, 200, "Endpoint", 0,
     0},
    {"PUT", DC "/{id}/endpoints/{eid}", "Update an endpoint (rows replace the stored ones)",
     "Endpoints", "EndpointInput", 200, "Endpoint", 0, 0},
    {"DELETE", DC "/{id}/endpoints/{eid}", "Delete an endpoint", "Endpoints", NULL, 204, NULL, 0,
     0},
    {"POST", DC "/{id}/endpoints/test",
     "Test an unsaved endpoint (a draft) over data, in execute's shape; nothing is saved",
     "Execute", "DraftTestInput", 200, "ExecuteResult", 0, 0},
    {"POST", DC "/{id}/endpoints/{purpose:s}/execute",
     "Run an endpoint over data and answer the data source's response", "Execute", "ExecuteInput",
     200, "ExecuteResult", 0, 0},
    {"GET", DC "/{id}/environments",
     "List the environments of a data connector (sealed values"
     " only as {set})",
     "Environments", NULL, 200, "EnvironmentList", 0, 0},
    {"POST", DC "/{id}/environments", "Add an environment", "Environments", "EnvironmentInput", 201,
     "Environment", 0, 0},
    {"GET", DC "/{id}/environments/{eid}", "Read an environment", "Environments", NULL, 200,
     "Environment", 0, 0},
    {"PUT", DC "/{id}/environments/{eid}",
     "Update an environment (members left out keep their stored values)", "Environments",
     "EnvironmentInput", 200, "Environment", 0, 0},
    {"DELETE", DC "/{id}/environments/{eid}", "Delete an environment", "Environments", NULL, 204,
     NULL, 0, 0},
    {"GET", CAT, "List categories", "Categories", NULL, 200, "CategoryList", DOC_Q_PAGE, 0},
    {"POST", CAT, "Create a category", "Categories", "CategoryInput", 201, "Category", 0, 0},
    {"GET", CAT "/{id}", "Read a category", "Categories", NULL, 200, "Category", 0, 0},
    {"PUT", CAT "/{id}", "Update a category", "Categories", "CategoryInput", 200, "Category", 0, 0},
    {"DELETE", CAT "/{id}", "Delete a category no connector uses", "Categories", NULL, 204, NULL, 0,
     1},
};

static const struct route_doc *
doc_of(const struct route *r)
{
	for (size_t i = 0; i < sizeof(DOCS) / sizeof(DOCS[0]); i++)
		if (!strcmp(DOCS[i].method, r->method) && !strcmp(DOCS[i].pattern, r->pattern))
			return &DOCS[i];
	return NULL;
}

static struct json_object *
ref(const char *kind, const char *name)
{
	struct json_object *o = json_object_new_object();
	char buf[128];
	snprintf(buf, sizeof(buf), "#/components/%s/%s", kind, name);
	jset_str(o, "$ref", buf);
	return o;
}

static struct json_object *
json_content(struct json_object *schema)
{
	struct json_object *c = json_object_new_object(), *mt = json_object_new_object();
	jset(mt, "schema", schema);
	jset(c, "application/json", mt);
	return c;
}

/* "/a/{id}/b/{purpose:s}" -> "/a/{id}/b/{purpose}", and its path parameters. */
static const char *
doc_path(struct arena *a, const char *pattern, struct json_object *params)
{
	struct buf *b = buf_new_arena(a);
	for (const char *p = pattern; b && *p;) {
		const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
		if (!close) {
			buf_puts(b, p);
			break;
		}
		int is_str = close - open >= 3 && !strncmp(close - 2, ":s", 2);
		size_t n = (size_t)(close - open - 1 - (is_str ? 2 : 0));
		const char *name = arena_strndup(a, open + 1, n);
		buf_append(b, p, (size_t)(open - p) + 1);
		buf_printf(b, "%s}", name);
		struct json_object *prm = json_object_new_object(), *sch = json_object_new_object();
		jset_str(prm, "name", name);
		jset_str(prm, "in", "path");
		jset_bool(prm, "required", 1);
		jset_str(sch, "type", is_str ? "string" : "integer");
		if (is_str)
			jset_int(sch, "maxLength", 255);
		else
			jset_int(sch, "minimum", 1);
		jset(prm, "schema", sch);
		json_object_array_add(params, prm);
		p = close + 1;
	}
	return b && !b->failed ? b->data : pattern;
}

static void
add_query_params(struct json_object *params, int query)
{
	static const char *const page[] = {"page", "per_page", "filter", NULL};
	static const char *const conn[] = {
	    "page", "per_page", "filter", "order_by", "order_direction", "category_id", NULL};
	const char *const *names = query == DOC_Q_CONNECTORS ? conn : query ? page : NULL;
	for (size_t i = 0; names && names[i]; i++)
		json_object_array_add(params, ref("parameters", names[i]));
}

static void
add_error(struct json_object *resps, const char *code, const char *name)
{
	jset(resps, code, ref("responses", name));
}

static struct json_object *
doc_responses(const struct route *r, const struct route_doc *d)
{
	struct json_object *resps = json_object_new_object(), *ok = json_object_new_object();
	int status = d ? d->status : 200;
	char code[8];
	snprintf(code, sizeof(code), "%d", status);
	jset_str(ok, "description", d ? d->summary : "Success");
	if (!d || d->result)
		jset(ok, "content",
		     json_content(d ? ref("schemas", d->result) : json_object_new_object()));
	jset(resps, code, ok);
	int body = strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0;
	if (body) {
		add_error(resps, "400", "BadRequest");
		add_error(resps, "413", "TooLarge");
		add_error(resps, "415", "UnsupportedMediaType");
	}
	if (!(r->flags & R_PUBLIC))
		add_error(resps, "401", "Unauthorized");
	if (r->perm != PERM_NONE || r->perm2 != PERM_NONE)
		add_error(resps, "403", "Forbidden");
	if (strchr(r->pattern, '{'))
		add_error(resps, "404", "NotFound");
	if (d && d->conflict)
		add_error(resps, "409", "Conflict");
	if (body || (d && d->query))
		add_error(resps, "422", "Invalid");
	if (d && !strcmp(d->tag, "Execute")) {
		add_error(resps, "502", "BadGateway");
		add_error(resps, "503", "Busy");
		add_error(resps, "504", "GatewayTimeout");
	}
	return resps;
}

/* "get /api/1.0/data-connectors/{id}" -> "get_api_1_0_data_connectors_id". */
static const char *
doc_operation_id(struct arena *a, const char *method, const char *path)
{
	struct buf *b = buf_new_arena(a);
	if (!b)
		return method;
	for (const char *m = method; *m; m++)
		buf_putc(b, (char)(*m >= 'A' && *m <= 'Z' ? *m - 'A' + 'a' : *m));
	for (const char *p = path; *p; p++) {
		int alnum = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
		if (alnum)
			buf_putc(b, *p);
		else if (b->data[b->len - 1] != '_' && *p != '}')
			buf_putc(b, '_');
	}
	return b->failed ? method : b->data;
}

static struct json_object *
doc_operation(struct ctx *c, const struct route *r, const char *path, struct json_object *params)
{
	const struct route_doc *d = doc_of(r);
	struct json_object *op = json_object_new_object(), *tags = json_object_new_array();
	jset_str(op, "operationId", doc_operation_id(c->a, r->method, path));
	jset_str(op, "summary", d ? d->summary : arena_printf(c->a, "%s %s", r->method, path));
	if (r->perm != PERM_NONE)
		jset_str(op, "description",
			 arena_printf(c->a, "Needs the permission%s %s%s%s.",
				      r->perm2 != PERM_NONE ? "s" : "", perm_table[r->perm].name,
				      r->perm2 != PERM_NONE ? " and " : "",
				      r->perm2 != PERM_NONE ? perm_table[r->perm2].name : ""));
	json_object_array_add(tags, json_object_new_string(d ? d->tag : "Other"));
	jset(op, "tags", tags);
	add_query_params(params, d ? d->query : DOC_Q_NONE);
	if (json_object_array_length(params))
		jset(op, "parameters", params);
	else
		json_object_put(params);
	if (d ? d->body != NULL : strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0) {
		struct json_object *rb = json_object_new_object();
		jset_bool(rb, "required", !d || strcmp(d->body, "ExecuteInput") != 0);
		jset(rb, "content",
		     json_content(d ? ref("schemas", d->body) : json_object_new_object()));
		jset(op, "requestBody", rb);
	}
	if (r->flags & R_PUBLIC)
		jset(op, "security", json_object_new_array());
	jset(op, "responses", doc_responses(r, d));
	return op;
}

static struct json_object *
doc_paths(struct ctx *c)
{
	struct json_object *paths = json_object_new_object();
	for (size_t i = 0; i < web_routes_count; i++) {
		const struct route *r = &web_routes[i];
		struct json_object *item = NULL, *params = json_object_new_array();
		char method[16];
		if (!(r->flags & R_API)) {
			json_object_put(params);
			continue;
		}
		const char *path = doc_path(c->a, r->pattern, params);
		if (!json_object_object_get_ex(paths, path, &item)) {
			item = json_object_new_object();
			jset(paths, path, item);
		}
		size_t n = 0;
		for (; r->method[n] && n < sizeof(method) - 1; n++)
			method[n] = (char)(r->method[n] >= 'A' && r->method[n] <= 'Z'
					       ? r->method[n] - 'A' + 'a'
					       : r->method[n]);
		method[n] = '\0';
		jset(item, method, doc_operation(c, r, path, params));
	}
	return paths;
}

/* How a field table's members appear: in an answer (secrets as <name>_set), in a body, in
 * an export. */
enum doc_use { DOC_ANSWER, DOC_INPUT, DOC_EXPORT };

static struct json_object *
doc_field(const struct field *fd, enum doc_use use)
{
	static const char *const types[] = {
	    [FIELD_TEXT] = "string",  [FIELD_INT] = "integer",	 [FIELD_DECIMAL] = "number",
	    [FIELD_BOOL] = "boolean", [FIELD_SECRET] = "string", [FIELD_CHOICE] = "string",
	    [FIELD_WORDS] = "array",  [FIELD_LONG] = "integer",	 [FIELD_ENUM] = "string",
	};
	struct json_object *s = json_object_new_object(), *t = json_object_new_array();
	int secret = fd->kind == FIELD_SECRET;
	json_object_array_add(
	    t, json_object_new_string(secret && use == DOC_ANSWER ? "boolean" : types[fd->kind]));
	if (fd->kind == FIELD_DECIMAL && use == DOC_INPUT)
		json_object_array_add(t, json_object_new_string("string"));
	if (use != DOC_EXPORT && (fd->kind == FIELD_INT || fd->kind == FIELD_DECIMAL || secret))
		json_object_array_add(t, json_object_new_string("null"));
	if ((fd->flags & FIELD_JSON) && use == DOC_INPUT)
		json_object_put(t); /* any JSON value, stored as its text */
	else
		jset(s, "type", t);
	if (fd->kind == FIELD_WORDS) {
		struct json_object *items = json_object_new_object();
		jset_str(items, "type", "string");
		jset(s, "items", items);
	} else if (fd->kind == FIELD_INT || fd->kind == FIELD_LONG) {
		jset_int(s, "minimum", fd->min);
		jset_int(s, "maximum", fd->max);
	} else if (fd->kind == FIELD_TEXT && fd->max && use == DOC_INPUT) {
		jset_int(s, "maxLength", fd->max);
	}
	if (fd->nchoices) {
		struct json_object *e = json_object_new_array();
		for (size_t i = 0; i < fd->nchoices; i++)
			json_object_array_add(e, json_object_new_string(fd->choices[i]));
		jset(s, "enum", e);
	}
	if (fd->help || fd->label)
		jset_str(s, "description", fd->help ? fd->help : fd->label);
	if (fd->def && *fd->def && fd->kind == FIELD_LONG)
		jset_int(s, "default", strtol(fd->def, NULL, 10));
	else if (fd->def && *fd->def)
		jset_str(s, "default", fd->def);
	return s;
}

/* The members of field table t into the properties of schema. */
static void
doc_fields(struct ctx *c, struct json_object *schema, const struct field *t, size_t n,
	   enum doc_use use)
{
	struct json_object *props = json_object_object_get(schema, "properties");
	for (size_t i = 0; props && i < n; i++) {
		const struct field *fd = &t[i];
		if ((use == DOC_EXPORT &&
		     (!(fd->flags & FIELD_EXPORT) || fd->kind == FIELD_SECRET)) ||
		    (use == DOC_INPUT && (fd->flags & FIELD_READONLY)))
			continue;
		jset(props,
		     fd->kind == FIELD_SECRET && use == DOC_ANSWER
			 ? arena_printf(c->a, "%s_set", fd->name)
			 : fd->name,
		     doc_field(fd, use));
	}
}

/* The schemas of the resources with field tables, from the tables. */
static void
doc_field_schemas(struct ctx *c, struct json_object *schemas)
{
	struct json_object *conn = json_object_object_get(schemas, "Connector");
	struct json_object *in = json_object_object_get(schemas, "ConnectorInput");
	struct json_object *ex = json_object_object_get(schemas, "Export");
	struct json_object *exa =
	    json_object_object_get(json_object_object_get(ex, "properties"), "authorization");
	struct json_object *types = json_object_new_array();
	for (int i = 0; i < AUTH__MAX; i++)
		json_object_array_add(types, json_object_new_string(auth_type_names[i]));
	jset(json_object_object_get(schemas, "AuthType"), "enum", types);
	doc_fields(c, conn, connector_field_table, connector_nfields, DOC_ANSWER);
	doc_fields(c, conn, auth_field_table, auth_nfields, DOC_ANSWER);
	doc_fields(c, in, connector_field_table, connector_nfields, DOC_INPUT);
	doc_fields(c, in, auth_field_table, auth_nfields, DOC_INPUT);
	doc_fields(c, ex, connector_field_table, connector_nfields, DOC_EXPORT);
	doc_fields(c, exa, auth_field_table, auth_nfields, DOC_EXPORT);
	static const char *const eps[] = {"Endpoint", "EndpointInput", "ExportEndpoint"};
	for (size_t i = 0; i < 3; i++)
		doc_fields(c, json_object_object_get(schemas, eps[i]), endpoint_field_table,
			   endpoint_nfields, (enum doc_use)i);
}

static struct json_object *
doc_components(struct ctx *c)
{
	char *text = arena_strdup(c->a, COMPONENTS), *out = text;
	for (const char *p = text; p && *p; p++) {
		if (*p == ' ' && out > text && out[-1] == ' ')
			continue; /* the line joins of the literal: one space */
		*out++ = *p == '\'' ? '"' : *p;
	}
	if (out)
		*out = '\0';
	struct json_object *o = text ? json_tokener_parse(text) : NULL;
	if (o)
		doc_field_schemas(c, json_object_object_get(o, "schemas"));
	return o;
}

int
web_api_openapi(struct ctx *c)
{
	struct json_object *components = doc_components(c);
	if (!components) {
		log_err("openapi: the component schemas do not parse");
		return 500;
	}
	struct json_object *o = json_object_new_object(), *info = json_object_new_object();
	struct json_object *sec = json_object_new_array(), *req = json_object_new_object();
	jset_str(o, "openapi", "3.1.0");
	jset_str(info, "title", "dcgate JSON API");
	jset_str(info, "version", DCGATE_VERSION);
	jset_str(info, "description",
		 "Data connectors, their endpoints and categories, and execute. Same permissions "
		 "and validation as the pages; errors answer {message, errors}.");
	jset(o, "info", info);
	jset(req, "bearerAuth", json_object_new_array());
	json_object_array_add(sec, req);
	jset(o, "security", sec);
	jset(o, "paths", doc_paths(c));
	jset(o, "components", components);
	return web_json(c, 200, o);
}
