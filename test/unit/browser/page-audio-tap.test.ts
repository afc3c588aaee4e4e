/** The audio tap's Node side against a fake page: binding lifecycle, start results, stop. */
import { describe, expect, it } from 'vitest';
import { ScribaError } from '../../../src/domain/errors.ts';
import type { PageCallResult } from '../../../src/browser/page-call.ts';
import { PageDeath } from '../../../src/browser/page-death.ts';
import { PageAudioTap } from '../../../src/browser/page-audio-tap.ts';

class FakeTapPage {
  readonly death = new PageDeath();
  readonly bindings = new Map<string, (message: unknown) => void>();
  readonly removed: string[] = [];
  readonly expressions: string[] = [];
  exposeImpl: () => Promise<void> = async () => undefined;
  /** What the page answers to the start and the stop expression. */
  answer: (expression: string) => PageCallResult<unknown> = (e) => ({
    kind: 'ok',
    value: e.includes('__scribaAudioTap_') ? { ok: true, processor: 'audio-worklet', contextSampleRate: 16000 } : 2,
  });
  readonly page = {
    exposeFunction: async (name: string, fn: (message: unknown) => void): Promise<void> => {
      await this.exposeImpl();
      this.bindings.set(name, fn);
    },
    removeExposedFunction: async (name: string): Promise<void> => {
      this.removed.push(name);
      this.bindings.delete(name);
    },
  };
  run = async (expression: string): Promise<PageCallResult<unknown>> => {
    this.expressions.push(expression);
    return this.death.error ? { kind: 'dead', error: this.death.error } : this.answer(expression);
  };
}

function setup(): { fake: FakeTapPage; tap: PageAudioTap } {
  const fake = new FakeTapPage();
  // The fake stands in for exactly what the tap uses of a puppeteer Page.
  const tap = new PageAudioTap({ page: fake.page as never, death: fake.death, run: fake.run });
  return { fake, tap };
}

describe('PageAudioTap', () => {
  it('exposes a fresh binding, starts the tap with it and forwards what the page sends', async () => {
    const { fake, tap } = setup();
    const got: unknown[] = [];
    const result = await tap.start((m) => got.push(m), { chunkMs: 100 });
    expect(result).toEqual({ ok: true, processor: 'audio-worklet', contextSampleRate: 16000 });
    const [binding] = [...fake.bindings.keys()];
    expect(binding).toMatch(/^__scribaAudioTap_[0-9a-f]{32}$/);
    const start = fake.expressions[0]!;
    expect(start).toContain(JSON.stringify(binding));
    expect(start).toContain('"chunkSamples":1600');
    expect(start).toContain('class ScribaTapCore');
    expect(() => new Function(`return ${start};`)).not.toThrow(); // a valid expression
    fake.bindings.get(binding!)!({ type: 'status', message: 'hi' });
    expect(got).toEqual([{ type: 'status', message: 'hi' }]);
  });

  it('a listener that throws does not reach the binding', async () => {
    const { fake, tap } = setup();
    await tap.start(() => {
      throw new Error('listener failed');
    });
    const [send] = [...fake.bindings.values()];
    expect(() => send!({})).not.toThrow();
  });

  it('refuses a second start; stop removes the tap and its binding once', async () => {
    const { fake, tap } = setup();
    await tap.start(() => undefined);
    expect(await tap.start(() => undefined)).toMatchObject({ ok: false, reason: 'already_running' });
    expect(await tap.stop()).toBe(true);
    expect(fake.bindings.size).toBe(0);
    expect(fake.removed).toHaveLength(1);
    expect(await tap.stop()).toBe(false);
    expect(await tap.start(() => undefined)).toMatchObject({ ok: true });
    expect(fake.bindings.size).toBe(1);
  });

  it('a start the page refuses is undone', async () => {
    const { fake, tap } = setup();
    fake.answer = (e) => ({
      kind: 'ok',
      value: e.includes('__scribaAudioTap_') ? { ok: false, reason: 'no_conference', detail: 'APP.conference._room is missing' } : null,
    });
    expect(await tap.start(() => undefined)).toEqual({ ok: false, reason: 'no_conference', detail: 'APP.conference._room is missing' });
    expect(fake.bindings.size).toBe(0);
    fake.answer = () => ({ kind: 'timeout' });
    expect(await tap.start(() => undefined)).toEqual({ ok: false, reason: 'failed', detail: 'the start script timed out' });
    fake.answer = () => ({ kind: 'ok', value: { ok: false, reason: 'something new' } });
    expect(await tap.start(() => undefined)).toEqual({ ok: false, reason: 'failed', detail: 'the page gave no answer' });
    expect(fake.bindings.size).toBe(0);
  });

  it('a dead page: page_unavailable, nothing exposed', async () => {
    const { fake, tap } = setup();
    fake.death.mark(new ScribaError('browser_crashed', 'the meeting tab was closed', { retryable: true }));
    expect(await tap.start(() => undefined)).toEqual({ ok: false, reason: 'page_unavailable', detail: 'the meeting tab was closed' });
    expect(fake.expressions).toHaveLength(0);
  });

  it('a binding that cannot be exposed fails the start and frees the tap', async () => {
    const { fake, tap } = setup();
    fake.exposeImpl = async () => {
      throw new Error('Failed to add page binding');
    };
    expect(await tap.start(() => undefined)).toEqual({
      ok: false,
      reason: 'failed',
      detail: "could not expose the tap's function (failed)",
    });
    fake.exposeImpl = async () => undefined;
    expect(await tap.start(() => undefined)).toMatchObject({ ok: true });
  });
});
