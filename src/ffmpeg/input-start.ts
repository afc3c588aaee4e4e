/**
 * When an input's first packet was captured, from ffmpeg's "Input #N …" / "Duration: …, start: S" lines.
 * x11grab and pulse stamp packets with the wall clock, so `start` is epoch seconds, and the capture's input 0
 * (the video, the -isync reference) is the recording file's zero. Pure.
 */
export function inputStartEpochMs(lines: readonly string[], inputIndex = 0): number | null {
  let inInput = false;
  for (const line of lines) {
    const input = /Input #(\d+),/.exec(line);
    if (input) {
      inInput = Number(input[1]) === inputIndex;
      continue;
    }
    if (!inInput) continue;
    const start = /Duration: [^,]*, start: (\d+(?:\.\d+)?)/.exec(line);
    if (start) {
      const sec = Number(start[1]);
      // Only a wall-clock stamp (after 2001) is a time we can place; a stream-relative start is not.
      return sec > 1e9 ? Math.round(sec * 1000) : null;
    }
  }
  return null;
}
