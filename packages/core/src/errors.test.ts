import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as errors from './errors.js';

/* Every CF_ERR_ code is declared once, used only as declared, and documented in docs/api.md. */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const declared = Object.keys(errors.ERRORS);
const constructors = Object.entries(errors).filter(([name]) => name.endsWith('Error')) as [
  string,
  new (...args: string[]) => Error & { code: string; statusCode: number },
][];

describe('the error table', () => {
  it('has one constructor per code, whose errors carry that code and status', () => {
    const codes = constructors.map(([, Make]) => {
      const error = new Make('a', 'b');
      expect(error.statusCode).toBe(errors.ERRORS[error.code as errors.ErrorCode].status);
      return error.code;
    });
    expect([...codes].sort()).toEqual([...declared].sort());
  });

  it('is the only place errors are declared, and every code used in the source is in it', () => {
    const files = execFileSync('git', ['ls-files', 'packages', 'services', 'scripts'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((file) => /\.(ts|mjs|js)$/.test(file) && !file.endsWith('.test.ts'));
    for (const file of files) {
      const text = readFileSync(`${ROOT}${file}`, 'utf8');
      if (file !== 'packages/core/src/errors.ts') expect(text, file).not.toMatch(/createError\(/);
      for (const [code] of text.matchAll(/CF_ERR_[A-Z_]+/g)) expect(declared, `${code} in ${file}`).toContain(code);
    }
  });

  it('says for each code whether trying again can help, and isRetryable reads it', () => {
    expect(errors.isRetryable(new errors.FetchTimeoutError('u', 1))).toBe(true);
    expect(errors.isRetryable(new errors.FetchRefusedError('u', 'why'))).toBe(false);
    expect(errors.isRetryable(new Error('unexpected'))).toBe(true);
  });

  it('gives ValidationError its field and the rule in its message', () => {
    const error = new errors.ValidationError('body.value', 'must be >= 0');
    expect(error).toMatchObject({
      code: 'CF_ERR_VALIDATION',
      statusCode: 400,
      field: 'body.value',
      message: 'body.value must be >= 0',
    });
  });

  it('is the table of codes in docs/api.md, row for row, with each status, as the script writes it', () => {
    const readme = readFileSync(`${ROOT}docs/api.md`, 'utf8');
    const check = spawnSync(process.execPath, [`${ROOT}scripts/error-table.mjs`, '--check'], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const rows = [...readme.matchAll(/^\| `(CF_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map(([, code, status]) => [
      code,
      Number(status),
    ]);
    expect(rows.map(([code]) => code)).toEqual(declared);
    for (const [code, status] of rows)
      expect(status, String(code)).toBe(errors.ERRORS[code as errors.ErrorCode].status);
  });
});
