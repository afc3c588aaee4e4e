/**
 * The pipeline Scriba is compared with: Jibri's file recording (docs/jitsi-recorder.md, "Jibri's own
 * ffmpeg") on the same page. Jibri grabs a 1920x1080 Xorg display and ALSA loopback; here it grabs a
 * 1920x1080 Xvfb display and the same per-session PulseAudio monitor (no kernel module on this machine), with
 * Jibri's own encoder settings.
 */
import type { FfmpegCommandSpec } from '../../src/ffmpeg/index.ts';

export const BASELINE_SIZE = { width: 1920, height: 1080 } as const;

export function jibriFileCommand(display: string, pulseSource: string, target: string): FfmpegCommandSpec {
  return {
    globalOptions: ['-hide_banner', '-nostdin', '-loglevel', 'level+info', '-stats', '-y'],
    inputs: [
      {
        options: [
          '-f',
          'x11grab',
          '-draw_mouse',
          '0',
          '-r',
          '30',
          '-s',
          `${BASELINE_SIZE.width}x${BASELINE_SIZE.height}`,
          '-thread_queue_size',
          '4096',
        ],
        source: `${display}.0+0,0`,
      },
      { options: ['-f', 'pulse', '-thread_queue_size', '4096'], source: pulseSource },
    ],
    outputs: [
      {
        options: [
          '-acodec',
          'aac',
          '-strict',
          '-2',
          '-ar',
          '44100',
          '-b:a',
          '128k',
          '-af',
          'aresample=async=1',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-profile:v',
          'main',
          '-level',
          '3.1',
          '-pix_fmt',
          'yuv420p',
          '-r',
          '30',
          '-crf',
          '25',
          '-g',
          '60',
          '-tune',
          'zerolatency',
          '-f',
          'mp4',
        ],
        target,
      },
    ],
  };
}
