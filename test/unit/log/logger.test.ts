import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, sessionLogger } from '../../../src/log/logger.ts';
import { REDACTED, scrubText } from '../../../src/log/redact.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJyb29tIjoiKiJ9.c2lnbmF0dXJlLXZhbHVl';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger({ destination, level: 'debug' }) };
}

describe('scrubText', () => {
  it.each([
    [`https://meet.example.com/room?jwt=${JWT}`, `https://meet.example.com/room?jwt=${REDACTED}`],
    [`token ${JWT} here`, `token ${REDACTED} here`],
    [
      'https://m.example/r#config.x=1&appData.localStorageContent=%7B%22a%22%7D',
      `https://m.example/r#config.x=1&appData.localStorageContent=${REDACTED}`,
    ],
    ['rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl', `rtmp://a.rtmp.youtube.com/live2/${REDACTED}`],
    ['rtmps://live.example.com:443/app/secret-key?x=1', `rtmps://live.example.com:443/app/${REDACTED}`],
    ['rtmp://live.example.com/app/instance/secret-key', `rtmp://live.example.com/app/${REDACTED}`],
    ["Output #0, flv, to 'rtmp://127.0.0.1:1935/live/k3y-123':", `Output #0, flv, to 'rtmp://127.0.0.1:1935/live/${REDACTED}':`],
    ['target rtmp://a.rtmp.youtube.com/live2/*** stays', 'target rtmp://a.rtmp.youtube.com/live2/*** stays'],
    ['(rtmp://127.0.0.1:1935/live/***: Input/output error)', '(rtmp://127.0.0.1:1935/live/***: Input/output error)'],
    ['rtmp://h/live/***key-after', 'rtmp://h/live/[redacted]'],
    ['rtmp://host/app (no key)', 'rtmp://host/app (no key)'],
    ['https://user:hunter2@host/path', `https://user:${REDACTED}@host/path`],
    ['https://s3.example/o?X-Amz-Signature=abc123&X-Amz-Date=1', `https://s3.example/o?X-Amz-Signature=${REDACTED}&X-Amz-Date=1`],
    ['nothing secret', 'nothing secret'],
  ])('%s', (input, expected) => {
    expect(scrubText(input)).toBe(expected);
  });
});

describe('logger redaction', () => {
  it('redacts secret fields, nested secrets and secrets inside messages', () => {
    const { lines, logger } = capture();
    logger.info(
      { password: 'hunter2', login: { password: 'p4ss', username: 'rec' }, streamKey: 'yt-key', url: `https://x/r?jwt=${JWT}` },
      `joining https://x/r?jwt=${JWT} with stream rtmp://h/live/yt-key`,
    );
    const out = lines.join('');
    for (const secret of ['hunter2', 'p4ss', 'yt-key', JWT]) expect(out).not.toContain(secret);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec['password']).toBe(REDACTED);
    expect((rec['login'] as Record<string, unknown>)['username']).toBe('rec');
  });

  it('per-session child loggers carry session id and room, and redact errors', () => {
    const { lines, logger } = capture();
    const child = sessionLogger(logger, 's-1', 'room1');
    child.error({ err: new Error(`failed to open https://x/r?jwt=${JWT}`) }, 'boom');
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec['sessionId']).toBe('s-1');
    expect(rec['room']).toBe('room1');
    expect(lines[0]).not.toContain(JWT);
  });
});
