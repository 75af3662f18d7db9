import { Type, type Static } from 'typebox';

/*
 * Each job type's input and result, declared once. The API validates requests
 * with the input schemas and documents replies with the result schemas; the
 * worker trusts data that passed them.
 */

/** `sqrt` input: a finite number >= 0 (JSON cannot carry NaN; 1e999 is rejected as not finite). */
export const SqrtInput = Type.Object(
  // JSON.parse turns 1e999 into Infinity; the maximum keeps it out.
  { value: Type.Number({ minimum: 0, maximum: Number.MAX_VALUE, description: 'A finite number >= 0' }) },
  { additionalProperties: false },
);
export type SqrtInput = Static<typeof SqrtInput>;

export const SqrtResult = Type.Object({
  value: Type.Number(),
  sqrt: Type.Number(),
});
export type SqrtResult = Static<typeof SqrtResult>;

/** `fibonacci` input; the upper bound comes from `FIBONACCI_MAX_N`. */
export function fibonacciInput(maxN: number) {
  return Type.Object(
    { n: Type.Integer({ minimum: 0, maximum: maxN, description: `An integer 0..${maxN}` }) },
    { additionalProperties: false },
  );
}
export type FibonacciInput = Static<ReturnType<typeof fibonacciInput>>;

export const FibonacciResult = Type.Object({
  n: Type.Integer(),
  value: Type.String({ description: 'The exact decimal value' }),
  digits: Type.Integer(),
});
export type FibonacciResult = Static<typeof FibonacciResult>;

/** `crawl` input: one http(s) URL. */
export const CrawlInput = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 8192,
      pattern: '^[hH][tT][tT][pP][sS]?://[^\\s]+$',
      description: 'An absolute http:// or https:// URL',
    }),
  },
  { additionalProperties: false },
);
export type CrawlInput = Static<typeof CrawlInput>;

export const CrawlResult = Type.Object({
  url: Type.String(),
  finalUrl: Type.String(),
  status: Type.Integer(),
  contentType: Type.Union([Type.String(), Type.Null()]),
  title: Type.Union([Type.String(), Type.Null()]),
  links: Type.Array(Type.String()),
  bytes: Type.Integer(),
  durationMs: Type.Number(),
});
export type CrawlResult = Static<typeof CrawlResult>;

/** Input and result schemas of every job type, given the configured limits. */
export function jobSchemas(limits: { fibonacciMaxN: number }) {
  return {
    sqrt: { input: SqrtInput, result: SqrtResult },
    fibonacci: { input: fibonacciInput(limits.fibonacciMaxN), result: FibonacciResult },
    crawl: { input: CrawlInput, result: CrawlResult },
  } as const;
}

/** Input type of each job type. */
export interface JobInputs {
  sqrt: SqrtInput;
  fibonacci: FibonacciInput;
  crawl: CrawlInput;
}

/** Result type of each job type. */
export interface JobResults {
  sqrt: SqrtResult;
  fibonacci: FibonacciResult;
  crawl: CrawlResult;
}
