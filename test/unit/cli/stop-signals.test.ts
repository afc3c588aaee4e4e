import { describe, expect, it } from 'vitest';
import { listenForStop } from '../../../src/cli/stop-signals.ts';

describe('listenForStop', () => {
  it('listens from the start: a signal before anyone awaits is kept, then the listeners go away', async () => {
    const before = process.listenerCount('SIGINT');
    const stop = listenForStop();
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    process.emit('SIGINT', 'SIGINT');
    expect(process.listenerCount('SIGINT')).toBe(before);
    expect(await stop.received).toBe('SIGINT');
  });

  it('dispose removes both listeners for a command that returns early', () => {
    const counts = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const before = counts();
    const stop = listenForStop();
    stop.dispose();
    expect(counts()).toEqual(before);
  });
});
