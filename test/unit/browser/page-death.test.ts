/** PageDeath: the meeting tab's death, latched once; isDeathError: which puppeteer errors mean it. */
import { describe, expect, it } from 'vitest';
import { ScribaError } from '../../../src/domain/errors.ts';
import { isDeathError, PageDeath } from '../../../src/browser/page-death.ts';

const died = (): ScribaError => new ScribaError('browser_crashed', 'the meeting tab was closed', { retryable: true });

describe('PageDeath', () => {
  it('latches the first reason, resolves its promise and tells each listener once', async () => {
    const death = new PageDeath();
    const heard: ScribaError[] = [];
    death.subscribe((e) => heard.push(e));
    const off = death.subscribe((e) => heard.push(e));
    off();
    const first = died();
    expect(death.mark(first)).toBe(first);
    expect(death.mark(died())).toBe(first);
    expect(death.error).toBe(first);
    expect(await death.promise).toBe(first);
    expect(heard).toEqual([first]);
    const late: ScribaError[] = [];
    death.subscribe((e) => late.push(e));
    expect(late).toEqual([first]);
  });

  it('isDeathError: closed targets and lost connections, not navigations', () => {
    expect(isDeathError(Object.assign(new Error('x'), { name: 'TargetCloseError' }))).toBe(true);
    expect(isDeathError(new Error('Protocol error (Runtime.evaluate): Session closed. Most likely the page has been closed.'))).toBe(true);
    expect(isDeathError(new Error('Page crashed!'))).toBe(true);
    expect(isDeathError(new Error('Execution context was destroyed, most likely because of a navigation.'))).toBe(false);
    expect(isDeathError('Target closed')).toBe(false);
  });
});
