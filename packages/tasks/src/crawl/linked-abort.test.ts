import { describe, expect, it } from 'vitest';
import { LinkedAbort } from './linked-abort.js';

describe('LinkedAbort', () => {
  it('follows its parent', () => {
    const parent = new AbortController();
    const scope = new LinkedAbort(parent.signal, 10_000);
    parent.abort('stop');
    expect(scope.signal.aborted).toBe(true);
    expect(scope.signal.reason).toBe('stop');
    expect(scope.timedOut).toBe(false);
    scope.dispose();
  });

  it('starts aborted under an aborted parent', () => {
    const parent = new AbortController();
    parent.abort();
    expect(new LinkedAbort(parent.signal).signal.aborted).toBe(true);
  });

  it('fires at its deadline and says so', async () => {
    const scope = new LinkedAbort(undefined, 20);
    await new Promise((resolve) => scope.signal.addEventListener('abort', resolve));
    expect(scope.timedOut).toBe(true);
    expect((scope.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('stops following the parent and the deadline once disposed', async () => {
    const parent = new AbortController();
    const scope = new LinkedAbort(parent.signal, 20);
    scope.dispose();
    parent.abort();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(scope.signal.aborted).toBe(false);
  });
});
