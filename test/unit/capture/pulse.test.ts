import { describe, expect, it } from 'vitest';
import { buildPulseArgs, buildPulseDaemonConf, SINK_CLOCK_RESTART, SINK_RATE_HZ } from '../../../src/capture/pulse.ts';

describe('PulseAudio set-up', () => {
  it('has clients open their streams at 48 kHz, the rate the page decodes and ffmpeg records', () => {
    expect(buildPulseDaemonConf(48_000)).toBe('default-sample-rate = 48000\nalternate-sample-rate = 48000\n');
  });

  it('runs the null sink at 50 kHz, where a frame is a whole number of microseconds and its clock is exact', () => {
    expect(SINK_RATE_HZ).toBe(50_000);
    expect(Number.isInteger(1e6 / SINK_RATE_HZ)).toBe(true);
    expect(buildPulseArgs('/run/x/pulse.sock')).toContain(
      '--load=module-null-sink sink_name=scriba rate=50000 channels=2 sink_properties=device.description=scriba',
    );
  });

  it('loops a silent source into the sink, so the sink never idles in 2 s blocks and its monitor opens at once', () => {
    expect(buildPulseArgs('/run/x/pulse.sock').slice(-2)).toEqual([
      '--load=module-null-source source_name=scriba_quiet rate=50000 channels=2',
      '--load=module-loopback source=scriba_quiet sink=scriba latency_msec=60 source_dont_move=1 sink_dont_move=1 remix=0',
    ]);
  });

  it("restarts the sink's clock once the server is up (suspend, then resume), so its first 2 s block is cut short", () => {
    expect(SINK_CLOCK_RESTART).toEqual([
      ['suspend-sink', 'scriba', '1'],
      ['suspend-sink', 'scriba', '0'],
    ]);
  });
});
