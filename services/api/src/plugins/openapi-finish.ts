/*
 * The last step of the OpenAPI document (docs.ts): what the routes' schemas
 * cannot say one by one. Every operation gets an operationId from its method
 * and path; the errors every /v1 route can answer (401 bad key, 403 refused,
 * 429 rate limit or quota, 503 Redis away) are declared on each; object
 * schemas used more than once, and titled ones, become shared `components.schemas`
 * referenced with `$ref`, named by their `title` (Crawl, Job, Error, …), so a generated
 * client has one type per shape instead of one per use.
 */

type Json = Record<string, unknown>;
type Operation = { operationId?: string; summary?: string; responses?: Record<string, unknown> } & Json;

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** `POST /v1/jobs/sqrt/{id}/retry` → `postJobsSqrtByIdRetry`. */
export function operationIdOf(method: string, path: string): string {
  const words = path
    .split('/')
    .filter((part) => part !== '' && part !== 'v1')
    .map((part) => (part.startsWith('{') ? `by-${part.slice(1, -1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((word) => word[0].toUpperCase() + word.slice(1))].join('');
}

/** The errors a /v1 operation can answer whatever it is: a key, the guards, the rate limit, Redis. */
const COMMON_ERRORS: Record<string, string> = {
  '401': 'API key missing or wrong (CF_ERR_UNAUTHORIZED)',
  '403': 'Refused: operator-only, or a keyless request from another site or Host (CF_ERR_FORBIDDEN)',
  '429': 'Rate limit (RATE_LIMIT_MAX) or a tenant quota reached (CF_ERR_QUOTA_EXCEEDED)',
  '503': 'Redis unreachable or over 90% of its memory: retry after Retry-After',
};

function errorResponse(description: string, schema: Json): Json {
  return { description, content: { 'application/json': { schema: structuredClone(schema) } } };
}

/** The error reply's schema as the routes declare it (titled Error), so the copies added here share with them. */
function errorSchemaIn(spec: Json, fallback: Json): Json {
  for (const { holder, key } of schemaRoots(spec)) {
    const schema = holder[key] as Json;
    if (schema.title === 'Error') return schema;
  }
  return fallback;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** Walks every schema under request bodies and responses, children first. */
function schemaRoots(spec: Json): { holder: Json; key: string; hint: string }[] {
  const roots: { holder: Json; key: string; hint: string }[] = [];
  const contentOf = (content: unknown, hint: string) => {
    if (!isObject(content)) return;
    for (const media of Object.values(content))
      if (isObject(media) && isObject(media.schema)) roots.push({ holder: media, key: 'schema', hint });
  };
  for (const [path, operations] of Object.entries((spec.paths ?? {}) as Json)) {
    if (!isObject(operations)) continue;
    for (const method of METHODS) {
      const operation = operations[method];
      if (!isObject(operation)) continue;
      const id = pascal(operationIdOf(method, path));
      if (isObject(operation.requestBody)) contentOf(operation.requestBody.content, `${id}Body`);
      for (const [status, response] of Object.entries((operation.responses ?? {}) as Json))
        if (isObject(response)) contentOf(response.content, `${id}Reply${status}`);
    }
  }
  return roots;
}

/** The sub-schemas of a schema (properties, items, anyOf/oneOf/allOf members, additionalProperties). */
function children(schema: Json): { holder: Json; key: string | number }[] {
  const out: { holder: Json; key: string | number }[] = [];
  if (isObject(schema.properties))
    for (const key of Object.keys(schema.properties)) out.push({ holder: schema.properties, key });
  if (isObject(schema.items)) out.push({ holder: schema, key: 'items' });
  if (isObject(schema.additionalProperties)) out.push({ holder: schema, key: 'additionalProperties' });
  for (const list of ['anyOf', 'oneOf', 'allOf'])
    if (Array.isArray(schema[list]))
      (schema[list] as unknown[]).forEach((_, index) => out.push({ holder: schema[list] as Json, key: index }));
  return out;
}

const shareable = (schema: Json) => schema.type === 'object' && isObject(schema.properties);

/**
 * Object schemas that occur more than once become components: counted on
 * their serialized form, replaced children first, so a shared schema inside
 * another is one component referenced from both.
 */
function shareSchemas(spec: Json): void {
  const roots = schemaRoots(spec);
  const counts = new Map<string, number>();
  const count = (schema: Json) => {
    for (const { holder, key } of children(schema)) {
      const child = (holder as Record<string | number, unknown>)[key];
      if (isObject(child)) count(child);
    }
    if (shareable(schema)) {
      const text = JSON.stringify(schema);
      counts.set(text, (counts.get(text) ?? 0) + 1);
    }
  };
  for (const { holder, key } of roots) count(holder[key] as Json);

  const components = ((spec.components ??= {}) as Json).schemas as Json | undefined;
  const schemas: Json = components ?? {};
  (spec.components as Json).schemas = schemas;
  const names = new Map<string, string>();
  const nameFor = (text: string, schema: Json, hint: string) => {
    const known = names.get(text);
    if (known) return known;
    const base = (typeof schema.title === 'string' ? schema.title : hint).replace(/[^A-Za-z0-9]/g, '') || 'Shape';
    let name = base;
    for (let n = 2; name in schemas; n++) name = `${base}${n}`;
    names.set(text, name);
    return name;
  };
  /** `hint`: a name for an untitled schema, from where it was first met (a property's name, an operation). */
  const share = (schema: Json, hint: string): Json => {
    const original = JSON.stringify(schema);
    for (const { holder, key } of children(schema)) {
      const child = (holder as Record<string | number, unknown>)[key];
      const childHint =
        typeof key === 'string' && holder !== schema ? pascal(key) : `${hint}${key === 'items' ? 'Item' : ''}`;
      if (isObject(child)) (holder as Record<string | number, unknown>)[key] = share(child, childHint);
    }
    // A titled shape is a component even when used once: a client names it.
    if (!shareable(schema) || ((counts.get(original) ?? 0) < 2 && typeof schema.title !== 'string')) return schema;
    const name = nameFor(original, schema, hint);
    schemas[name] ??= schema;
    return { $ref: `#/components/schemas/${name}` };
  };
  for (const { holder, key, hint } of roots) holder[key] = share(holder[key] as Json, hint);
}

const pascal = (word: string) =>
  word.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_all, _sep, char: string) => char.toUpperCase());

/** Finishes the OpenAPI document built from the routes (see the file's head). */
export function finishSpec(spec: Json, fallbackError: Json): Json {
  const errorSchema = errorSchemaIn(spec, fallbackError);
  for (const [path, operations] of Object.entries((spec.paths ?? {}) as Json)) {
    if (!isObject(operations)) continue;
    for (const method of METHODS) {
      const operation = operations[method] as Operation | undefined;
      if (!isObject(operation)) continue;
      operation.operationId ??= operationIdOf(method, path);
      if (!path.startsWith('/v1/')) continue;
      const responses = (operation.responses ??= {}) as Json;
      for (const [status, description] of Object.entries(COMMON_ERRORS))
        responses[status] ??= errorResponse(description, errorSchema);
      if (path.includes('{'))
        responses['404'] ??= errorResponse('No such object, or not yours (CF_ERR_*_NOT_FOUND)', errorSchema);
    }
  }
  shareSchemas(spec);
  shareErrorResponses(spec);
  return spec;
}

const ERROR_NAMES: Record<string, [string, string]> = {
  '400': ['BadRequest', 'Invalid input: `field` names what (CF_ERR_VALIDATION and others)'],
  '401': ['Unauthorized', COMMON_ERRORS['401']],
  '403': ['Forbidden', COMMON_ERRORS['403']],
  '404': ['NotFound', 'No such object, or not yours (CF_ERR_*_NOT_FOUND)'],
  '405': ['MethodNotAllowed', 'Not allowed here'],
  '409': ['Conflict', 'Not in a state that allows it (finished, running, a reused idempotency key)'],
  '413': ['PayloadTooLarge', 'The body is over the limit'],
  '429': ['TooManyRequests', COMMON_ERRORS['429']],
  '503': ['ServiceUnavailable', COMMON_ERRORS['503']],
};

/** Error answers as shared `components.responses` (one line each in a generated client, not ten). */
function shareErrorResponses(spec: Json): void {
  const components = spec.components as Json;
  const responses = (components.responses ??= {}) as Json;
  for (const operations of Object.values((spec.paths ?? {}) as Json)) {
    if (!isObject(operations)) continue;
    for (const method of METHODS) {
      const operation = operations[method];
      if (!isObject(operation) || !isObject(operation.responses)) continue;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!isObject(response)) continue;
        if (Number(status) < 400) {
          // A result that is one shared schema: one shared response of the same name.
          const content = response.content;
          const keys = isObject(content) ? Object.keys(content) : [];
          const schema = keys.length === 1 ? ((content as Json)[keys[0]] as Json).schema : null;
          const ref = isObject(schema) && typeof schema.$ref === 'string' ? schema.$ref : null;
          if (!ref || Object.keys(schema as Json).length !== 1) continue;
          const name = ref.slice(ref.lastIndexOf('/') + 1);
          responses[name] ??= { description: `A ${name}`, content };
          if (JSON.stringify(responses[name]) === JSON.stringify({ description: `A ${name}`, content }))
            operation.responses[status] = { $ref: `#/components/responses/${name}` };
          continue;
        }
        if (!JSON.stringify(response.content ?? {}).includes('"#/components/schemas/Error"')) continue;
        const [name, description] = ERROR_NAMES[status] ?? [`Error${status}`, `HTTP ${status}`];
        responses[name] ??= {
          description,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        };
        operation.responses[status] = { $ref: `#/components/responses/${name}` };
      }
    }
  }
}
