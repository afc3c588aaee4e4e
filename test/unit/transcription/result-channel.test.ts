import { describe, expect, it } from 'vitest';
import { SampleAligner, secondsToByte, bytesToSeconds } from '../../../src/transcription/pcm.ts';
import { ResultChannel } from '../../../src/transcription/result-channel.ts';

async function read<T>(channel: ResultChannel<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of channel) items.push(item);
    return { items, error: null };
  } catch (error) {
    return { items, error };
  }
}

describe('ResultChannel', () => {
  it('delivers items pushed before and after the consumer started, then completes', async () => {
    const channel = new ResultChannel<number>();
    channel.push(1);
    const reading = read(channel);
    channel.push(2);
    await Promise.resolve();
    channel.push(3);
    channel.close();
    channel.push(4); // after close: dropped
    expect(await reading).toEqual({ items: [1, 2, 3], error: null });
  });

  it('throws after the queued items on failure; the first ending wins', async () => {
    const channel = new ResultChannel<string>();
    channel.push('a');
    channel.fail(new Error('boom'));
    channel.close();
    const { items, error } = await read(channel);
    expect(items).toEqual(['a']);
    expect(error).toMatchObject({ message: 'boom' });
    expect(channel.closed).toBe(true);
  });

  it('has a single consumer', async () => {
    const channel = new ResultChannel<number>();
    const first = read(channel);
    await Promise.resolve();
    await expect(read(channel)).resolves.toMatchObject({ error: { message: /single consumer/ } });
    channel.close();
    await first;
  });
});

describe('pcm', () => {
  it('keeps samples whole across odd writes', () => {
    const aligner = new SampleAligner();
    expect([...aligner.push(Buffer.from([1, 2, 3]))]).toEqual([1, 2]);
    expect([...aligner.push(Buffer.from([4]))]).toEqual([3, 4]);
    expect([...aligner.push(Buffer.from([5]))]).toEqual([]);
    expect([...aligner.push(Buffer.from([6, 7, 8]))]).toEqual([5, 6, 7, 8]);
  });

  it('converts seconds and bytes at 16 kHz', () => {
    expect(secondsToByte(1, 16_000)).toBe(32_000);
    expect(secondsToByte(0.00003, 16_000)).toBe(0);
    expect(secondsToByte(-1, 16_000)).toBe(0);
    expect(bytesToSeconds(48_000, 16_000)).toBe(1.5);
  });
});
