import type { Scope } from '@crawlfleet/core';
import { Type } from 'typebox';

/** A schedule id, as a JSON Schema pattern. */
export const SCHEDULE_ID_PATTERN = '^[A-Za-z0-9_.-]{1,100}$';

/** A schedule's id: the client's own name for it. */
export const ScheduleId = Type.String({
  pattern: SCHEDULE_ID_PATTERN,
  description: 'Your name for the schedule, 1 to 100 letters, digits, _ . or -; POSTing it again replaces it',
});

/** `?tenant=`: an operator acts on that tenant's schedule (anyone else: their own, whatever it says). */
export const TenantQuery = Type.Object(
  { tenant: Type.Optional(Type.String({ maxLength: 32, description: 'Operators: the tenant whose schedule' })) },
  { additionalProperties: false },
);

/** Whose schedule a request means: its own tenant's, or for an operator the one it names. */
export function scheduleTenant(scope: Scope, asked: string | undefined): string {
  return scope.operator && asked ? asked : scope.tenant;
}
