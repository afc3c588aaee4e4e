/**
 * The RTMP relay: a small ffmpeg that reads the capture's MPEG-TS stream leg on stdin and publishes it,
 * unchanged (`-c copy`, no encode), as FLV over RTMP(S). It is the only process that talks to the server, so
 * a dropped connection ends only the relay; the capture and its file never notice. Pure; asserted in
 * test/unit/ffmpeg/relay-args.test.ts.
 */
import { ScribaError } from '../domain/errors.ts';
import { baseGlobalOptions } from './capture-args.ts';
import type { FfmpegCommandSpec } from './command-spec.ts';

/**
 * The default: 0.5 s of input. MPEG-TS has no header that lists its streams, so ffmpeg's probe reads until
 * this much media was seen (its default, 5 s, would delay every (re)connect by 5 s). The relay is fed a
 * whole group of pictures at once (ts-splicer.ts), so in practice the probe is over at once.
 */
export const RELAY_ANALYZE_DURATION_US = 500_000;

export function buildRtmpRelayCommand(url: string, analyzeDurationUs = RELAY_ANALYZE_DURATION_US): FfmpegCommandSpec {
  if (!/^rtmps?:\/\/[^/\s]+\/\S+$/i.test(url)) {
    // Never echo the URL: it holds the stream key.
    throw new ScribaError('invalid_request', 'the relay target must be an rtmp:// or rtmps:// URL with an application and a key');
  }
  return {
    // verbose: adds "[tcp] Successfully connected to …", which tells a refused connection from a publish the
    // server turned down (stream-policy.ts); otherwise only a few lines per run. -stats: progress lines
    // every 0.5 s, our liveness signal.
    globalOptions: [...baseGlobalOptions('verbose'), '-stats'],
    inputs: [{ options: ['-f', 'mpegts', '-analyzeduration', String(analyzeDurationUs)], source: 'pipe:0' }],
    outputs: [
      {
        options: [
          '-map',
          '0:v:0',
          '-map',
          '0:a:0',
          '-c',
          'copy', // ffmpeg inserts aac_adtstoasc itself (ADTS in TS → raw AAC in FLV)
          // FLV over a socket cannot be rewritten at the end: skip the header update ffmpeg would otherwise try
          // (and warn about, "Failed to update header with correct duration").
          '-flvflags',
          'no_duration_filesize',
          '-f',
          'flv',
        ],
        target: url,
      },
    ],
  };
}
