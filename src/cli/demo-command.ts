/**
 * `npm run demo`: start the synthetic meeting, record it through the same path as `scriba record`, then
 * print the file and what ffprobe says about it.
 */
import { startDemoMeeting } from '../demo-meeting/demo-meeting-server.ts';
import { probeMedia, measureAudioLevel } from '../ffmpeg/index.ts';
import { runRecord } from './record-command.ts';

export async function runDemo(opts: { seconds: number }): Promise<number> {
  if (!Number.isFinite(opts.seconds) || opts.seconds <= 0) {
    process.stderr.write('--seconds must be positive\n');
    return 2;
  }
  const meeting = await startDemoMeeting({ port: 0 });
  try {
    const url = `${meeting.url}/demo-room?participants=3`;
    process.stdout.write(`Synthetic meeting: ${url}\nRecording ${opts.seconds} s…\n`);
    const { result, summary } = await runRecord(
      // The demo prints its own summary; the session's JSON log lines would drown it.
      { url, 'max-duration': String(opts.seconds), 'log-level': 'warn' },
      { tty: process.stderr.isTTY === true },
    );
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    if (!result.file) {
      process.stderr.write(`demo failed: ${result.failure?.message ?? 'no file was recorded'}\n`);
      return 1;
    }
    const media = await probeMedia(result.file.path);
    const level = await measureAudioLevel(result.file.path);
    const v = media.video;
    const a = media.audio;
    process.stdout.write(
      [
        `File:     ${result.file.path}`,
        `Metadata: ${result.metadataFile ?? '-'}`,
        `Format:   ${media.formatName}, ${media.durationSec.toFixed(2)} s, ${(media.sizeBytes / 1024 / 1024).toFixed(1)} MB`,
        `Video:    ${v ? `${v.codec} ${v.width}x${v.height} @ ${v.avgFps.toFixed(2)} fps` : 'none'}`,
        `Audio:    ${a ? `${a.codec} ${a.sampleRate} Hz ${a.channels} ch, mean ${level.meanDb.toFixed(1)} dB, max ${level.maxDb.toFixed(1)} dB` : 'none'}`,
        '',
      ].join('\n'),
    );
    return result.status === 'finished' ? 0 : 1;
  } finally {
    await meeting.close();
  }
}
