/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The job failed, or the API refused the input (4xx other than 401). */
  failed: 1,
  /** The command line is wrong. */
  usage: 2,
  /** The API could not be reached, or answered 5xx (Redis away: retry later). */
  unavailable: 3,
  /** The API key is missing or wrong. */
  unauthorized: 4,
} as const;

/** An error that ends the command with `exitCode` and prints `message`. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
  }
}
