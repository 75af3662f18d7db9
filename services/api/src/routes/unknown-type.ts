import { JOB_TYPES, isJobType, type JobType } from '@crawlfleet/tasks/kinds';
import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import { RouteNotFoundError, UnknownJobTypeError } from '../errors.js';

/** `type` as a job type, or a 404 that names the known ones. */
export function jobTypeOf(type: string): JobType {
  if (!isJobType(type)) throw new UnknownJobTypeError(type, JOB_TYPES.join(', '));
  return type;
}

/**
 * Routes with a `:type` that answer 404 naming the known types when it is
 * not one of them (the known types have static routes of their own, which
 * the router prefers), and a plain 404 for a method those do not take.
 */
export function unknownTypeRoutes(app: FastifyInstance, urls: string[], method: HTTPMethods[]): void {
  const unknown = async (request: FastifyRequest<{ Params: { type: string } }>) => {
    jobTypeOf(request.params.type);
    throw new RouteNotFoundError(request.method, request.url);
  };
  for (const url of urls) app.route({ method, url, handler: unknown, schema: { hide: true } });
}
