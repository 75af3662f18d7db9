import { Type } from 'typebox';

/** A schedule id, as a JSON Schema pattern. */
export const SCHEDULE_ID_PATTERN = '^[A-Za-z0-9_.-]{1,100}$';

/** A schedule's id: the client's own name for it. */
export const ScheduleId = Type.String({
  pattern: SCHEDULE_ID_PATTERN,
  description: 'Your name for the schedule, 1 to 100 letters, digits, _ . or -; POSTing it again replaces it',
});
