import { describe, expect, it } from 'vitest';
import { redactStreamUrl, streamUrlScrubber, youtubeLiveViewUrl } from '../../../src/sinks/stream-url.ts';

describe('stream URLs never show their key', () => {
  it.each([
    ['rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop', 'rtmp://a.rtmp.youtube.com/live2/***'],
    ['RTMPS://live.example.com:443/app/key?sig=1', 'rtmps://live.example.com:443/app/***'],
    ['rtmp://user:pw@live.example.com/app/inst/key', 'rtmp://live.example.com/app/***'],
    ['rtmp://live.example.com/app', 'rtmp://live.example.com/app/***'],
    ['rtmp://live.example.com', 'rtmp://live.example.com/***'],
    ['not a url', '***'],
  ])('%s → %s', (url, redacted) => {
    expect(redactStreamUrl(url)).toBe(redacted);
  });

  it('scrubs the URL and a long-enough bare key out of free text', () => {
    const scrub = streamUrlScrubber('rtmp://h:1935/live/abcd-efgh-ijkl');
    expect(scrub("Output #0, flv, to 'rtmp://h:1935/live/abcd-efgh-ijkl':")).toBe("Output #0, flv, to 'rtmp://h:1935/live/***':");
    expect(scrub("Sending publish command for 'abcd-efgh-ijkl'")).toBe("Sending publish command for '***'");
    // A short key is not hunted in free text (it would garble ordinary words), only inside its URL.
    const short = streamUrlScrubber('rtmp://h/live/bad');
    expect(short('rtmp://h/live/bad: Input/output error; a bad day')).toBe('rtmp://h/live/***: Input/output error; a bad day');
  });

  it('a YouTube broadcast id becomes its watch page', () => {
    expect(youtubeLiveViewUrl('dQw4w9WgXcQ')).toBe('https://youtube.com/watch?v=dQw4w9WgXcQ');
    expect(youtubeLiveViewUrl(null)).toBeNull();
  });
});
