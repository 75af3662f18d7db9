import fp from 'fastify-plugin';
import { HTTP_URL_FORMAT, HTTP_URL_RULE, ValidationError, isFetchableUrl } from '@crawlfleet/core';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { SCHEDULE_ID_PATTERN } from '../schemas/schedule.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerceTypes: boolean): Ajv {
  // Bodies are taken as sent: "4" is not a number and unknown fields are
  // errors, not silently dropped. Query strings and params are text, so they
  // are coerced ("?wait=100" is 100).
  const ajv = new Ajv({ coerceTypes, removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  addFormats(ajv);
  ajv.addFormat(HTTP_URL_FORMAT, { type: 'string', validate: isFetchableUrl });
  return ajv;
}

function pathOf(context: string, error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));
  return segments.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : `${path}.${part}`), context);
}

/** The schemas' patterns in words; any other pattern is quoted as it is. */
const PATTERN_RULES = new Map<string, string>([[SCHEDULE_ID_PATTERN, 'must be 1 to 100 letters, digits, _ . or -']]);

function ruleOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not allowed';
    case 'maximum':
      return error.params.limit === Number.MAX_VALUE ? 'must be a finite number' : (error.message ?? 'is too large');
    case 'enum':
      return `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
    case 'format':
      return error.params.format === HTTP_URL_FORMAT ? HTTP_URL_RULE : (error.message ?? 'is invalid');
    case 'pattern':
      return PATTERN_RULES.get(String(error.params.pattern)) ?? `must match ${String(error.params.pattern)}`;
    case 'type':
      return error.params.type === 'number' || error.params.type === 'integer'
        ? `must be a finite ${String(error.params.type)}`
        : `must be ${String(error.params.type)}`;
    default:
      return error.message ?? 'is invalid';
  }
}

/** "body.value must be >= 0", "body[3].n must be integer", "querystring.wait is not allowed". */
export function describeValidationError(context: string, error: ErrorObject): ValidationError {
  return new ValidationError(pathOf(context, error), ruleOf(error));
}

/** Strict validation for bodies, coercing validation for everything else. */
export default fp(
  async function validation(app: FastifyInstance) {
    const strict = makeAjv(false);
    const coercing = makeAjv(true);
    app.setValidatorCompiler<FastifySchema>(({ schema, httpPart }) => {
      const ajv = httpPart === 'body' ? strict : coercing;
      return ajv.compile(schema as object);
    });
    app.setSchemaErrorFormatter((errors: FastifySchemaValidationError[], context: string) => {
      return describeValidationError(context, errors[0]);
    });
  },
  { name: 'validation' },
);
