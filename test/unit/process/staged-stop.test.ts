import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStagedStop } from '../../../src/process/staged-stop.ts';

afterEach(() => {
  vi.useRealTimers();
});

function fakeChild() {
  const sent: NodeJS.Signals[] = [];
  let exit!: (value: string) => void;
  const exited = new Promise<string>((resolve) => {
    exit = resolve;
  });
  return { sent, exited, exit, send: (s: NodeJS.Signals) => void sent.push(s) };
}

describe('createStagedStop', () => {
  it('sends the first signal, then SIGKILL after the grace; the same promise every call', async () => {
    vi.useFakeTimers();
    const c = fakeChild();
    const stop = createStagedStop(c.send, c.exited, 'SIGINT');
    const a = stop(1000);
    const b = stop(5);
    expect(a).toBe(c.exited);
    expect(b).toBe(c.exited);
    expect(c.sent).toEqual(['SIGINT']);
    await vi.advanceTimersByTimeAsync(999);
    expect(c.sent).toEqual(['SIGINT']);
    await vi.advanceTimersByTimeAsync(1);
    expect(c.sent).toEqual(['SIGINT', 'SIGKILL']);
    c.exit('gone');
    await expect(a).resolves.toBe('gone');
  });

  it('sends no SIGKILL once the child exited within the grace, and leaves no timer', async () => {
    vi.useFakeTimers();
    const c = fakeChild();
    const stop = createStagedStop(c.send, c.exited);
    void stop(1000);
    expect(c.sent).toEqual(['SIGTERM']);
    c.exit('ok');
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(c.sent).toEqual(['SIGTERM']);
  });

  it('sends nothing to a child that already exited', async () => {
    vi.useFakeTimers();
    const c = fakeChild();
    const stop = createStagedStop(c.send, c.exited);
    c.exit('earlier');
    await vi.advanceTimersByTimeAsync(0);
    await expect(stop(1000)).resolves.toBe('earlier');
    expect(c.sent).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
