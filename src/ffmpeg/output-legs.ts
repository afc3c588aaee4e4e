/**
 * The capture's outputs as data: each sink names a mux leg (a container, its options and a target); an
 * encode (one H.264 + one AAC encoder) feeds either one leg as a plain ffmpeg output, or several legs through
 * ffmpeg's `tee` muxer: one encode, several containers (file + live stream for the CPU of one). Pure;
 * asserted element by element in test/unit/ffmpeg/output-legs.test.ts.
 */
import { ScribaError } from '../domain/errors.ts';
import type { FfmpegOutput } from './command-spec.ts';
import { type AudioProfile, audioEncoderOptions, type VideoProfile, videoEncoderOptions } from './encoder-args.ts';

export interface MuxLeg {
  /** ffmpeg muxer name ('mp4', 'mpegts'). */
  readonly format: string;
  /** Muxer/format options in order: `-name value` in a plain output, `name=value` in a tee slave. */
  readonly muxerOptions: readonly (readonly [name: string, value: string])[];
  /** In a tee: 'abort' stops every leg when this one fails (ffmpeg's default), 'ignore' drops only this one. */
  readonly onFail: 'abort' | 'ignore';
  /** A path, or `pipe:N`. */
  readonly target: string;
}

export interface OutputStreamMap {
  /** Index of the video input (default 0). */
  readonly videoInput?: number;
  /** Index of the audio input (default 1). */
  readonly audioInput?: number;
}

/**
 * The recording file (fragmented MP4, crash-safe; see buildFragmentedMp4Output).
 * empty_moov: write the moov (track headers, no samples) first, so the file is valid from the start.
 * frag_keyframe + frag_duration: close a fragment (moof+mdat) at every keyframe and at least every
 * 1 000 000 µs, so at most ~1 s is lost on a crash (either condition cuts; fragments need not start on a
 * keyframe). default_base_moof: sample offsets relative to each fragment's own moof ('default-base-is-moof')
 * instead of to the file start, so every fragment is self-contained.
 * flush_packets 1: write each fragment to the file as soon as it is closed. Without it the file grew in
 * 256 KiB steps (measured: a kill at 3.5 s left 1 whole fragment and a torn second; with it, 2 whole
 * fragments and nothing torn). Costs one write() per packet.
 */
export function fragmentedMp4Leg(path: string): MuxLeg {
  return {
    format: 'mp4',
    muxerOptions: [
      ['movflags', '+frag_keyframe+empty_moov+default_base_moof'],
      ['frag_duration', '1000000'],
      ['flush_packets', '1'],
    ],
    onFail: 'abort',
    target: path,
  };
}

/**
 * The live stream leg: MPEG-TS to one of ffmpeg's own file descriptors, read by our process and relayed to
 * the RTMP server by a separate ffmpeg (src/sinks/rtmp-relay.ts), so an RTMP failure never touches this
 * process or the file. MPEG-TS because it can be cut anywhere on a 188-byte packet and resumed at a keyframe
 * (the muxer repeats PAT/PMT every 0.1 s and puts SPS/PPS before every IDR), which a new relay needs after a
 * reconnect; FLV carries its codec headers only once, at the start.
 * pes_payload_size 0: one PES per audio frame. The default (2930 bytes, ~180 ms of 128 kb/s AAC) holds audio
 *   back, and the relay's interleaving then holds the video back by as much.
 * flush_packets 1: every packet reaches the pipe at once instead of when AVIO's 32 KiB buffer is full
 *   (~85 ms at 3 Mb/s).
 * onfail ignore (in a tee): if the pipe ever breaks, the file leg goes on alone.
 */
export function mpegtsPipeLeg(fd = 1): MuxLeg {
  if (!Number.isInteger(fd) || fd < 1) throw new ScribaError('internal', `pipe fd must be a positive integer, got ${fd}`);
  return {
    format: 'mpegts',
    muxerOptions: [
      ['pes_payload_size', '0'],
      ['flush_packets', '1'],
    ],
    onFail: 'ignore',
    target: `pipe:${fd}`,
  };
}

/**
 * One encode into one or more legs: a single leg is a plain output (`… -f mp4 path`); several share the
 * encode through `-f tee "[f=mp4:…]path|[f=mpegts:…]pipe:1"`.
 * In a tee, `-flags +global_header` is needed: ffmpeg sets it only when the output's own muxer asks for it
 * (mp4 does, tee does not), and without it libx264 writes no extradata, which the mp4 leg needs up front
 * (empty_moov). The mpegts leg still gets SPS/PPS before each keyframe: its muxer inserts the extradata
 * before any IDR that lacks it.
 */
export function buildEncodedOutput(
  legs: readonly MuxLeg[],
  video: VideoProfile,
  audio: AudioProfile,
  map: OutputStreamMap = {},
): FfmpegOutput {
  const [first] = legs;
  if (first === undefined) throw new ScribaError('internal', 'an encoded output needs at least one leg');
  const streams = [
    '-map',
    `${map.videoInput ?? 0}:v`,
    '-map',
    `${map.audioInput ?? 1}:a`,
    ...videoEncoderOptions(video),
    ...audioEncoderOptions(audio),
  ];
  if (legs.length === 1) {
    return {
      options: [...streams, ...first.muxerOptions.flatMap(([name, value]) => [`-${name}`, value]), '-f', first.format],
      target: first.target,
    };
  }
  return { options: [...streams, '-flags', '+global_header', '-f', 'tee'], target: legs.map(teeSlave).join('|') };
}

/** `[f=format:onfail=ignore:name=value…]target`, the target escaped for the tee muxer's parser. */
export function teeSlave(leg: MuxLeg): string {
  const options: (readonly [string, string])[] = [['f', leg.format]];
  if (leg.onFail === 'ignore') options.push(['onfail', 'ignore']);
  options.push(...leg.muxerOptions);
  for (const [name, value] of options) {
    // Option text is ours, never a path: refuse what the slave-option syntax would need escaped.
    if (!/^[A-Za-z0-9_]+$/.test(name) || !/^[A-Za-z0-9_+.-]+$/.test(value)) {
      throw new ScribaError('internal', `tee slave option ${name}=${value} has characters the tee syntax reserves`);
    }
  }
  return `[${options.map(([name, value]) => `${name}=${value}`).join(':')}]${escapeTeeTarget(leg.target)}`;
}

/**
 * The tee muxer splits its target with av_get_token(…, "|"): a backslash escapes the next character, single
 * quotes quote, and leading/trailing whitespace is dropped. So `\`, `'`, `|` and whitespace in a path get a
 * backslash (a recordings directory or room name may hold any of them).
 */
export function escapeTeeTarget(target: string): string {
  return target.replace(/[\\'|\s]/g, (c) => `\\${c}`);
}
