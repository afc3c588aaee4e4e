import { describe, expect, it } from 'vitest';
import { buildPulseArgs, buildPulseDaemonConf, SINK_CLOCK_RESTART } from '../../../src/capture/pulse.ts';

describe('PulseAudio set-up', () => {
  it("makes the null sink's rate the server default, so clients open their streams at it (no resampling)", () => {
    expect(buildPulseDaemonConf(48_000)).toBe('default-sample-rate = 48000\nalternate-sample-rate = 48000\n');
    expect(buildPulseArgs('/run/x/pulse.sock', 48_000)).toContain(
      '--load=module-null-sink sink_name=scriba rate=48000 channels=2 sink_properties=device.description=scriba',
    );
  });

  it('loops a silent source into the sink, so the sink never idles in 2 s blocks and its monitor opens at once', () => {
    expect(buildPulseArgs('/run/x/pulse.sock', 48_000).slice(-2)).toEqual([
      '--load=module-null-source source_name=scriba_quiet rate=48000 channels=2',
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
