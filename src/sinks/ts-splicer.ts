/**
 * Just enough MPEG-TS to hand a live stream to a new reader at any moment: cuts the capture's byte stream
 * into whole 188-byte packets, remembers the latest PAT and PMT, and keeps every packet since the latest
 * video keyframe (a PES start with the random-access flag on the H.264 PID). A relay that starts later gets
 * PAT + PMT + that group of pictures first, so it can decode at once instead of waiting up to a keyframe
 * interval, and the rest follows live. No I/O; memory is bounded by maxGopBytes.
 */

export const TS_PACKET_SIZE = 188;
const SYNC_BYTE = 0x47;
const PAT_PID = 0;
/** PMT stream_type of H.264 (ISO/IEC 13818-1 table 2-34); what the capture's libx264 leg carries. */
const STREAM_TYPE_H264 = 0x1b;

export interface TsSplicerOptions {
  /** A group of pictures larger than this is not kept (the next reader waits for the next keyframe). */
  readonly maxGopBytes?: number;
}

export class TsSplicer {
  readonly #maxGopBytes: number;
  #pending: Buffer = Buffer.alloc(0);
  #pat: Buffer | null = null;
  #pmt: Buffer | null = null;
  #pmtPid: number | null = null;
  #videoPid: number | null = null;
  #gop: Buffer[] | null = null;
  #gopBytes = 0;
  /** Bytes skipped to find the packet boundary again (0 unless the input was damaged). */
  resyncedBytes = 0;

  constructor(opts: TsSplicerOptions = {}) {
    this.#maxGopBytes = opts.maxGopBytes ?? 16 * 1024 * 1024;
  }

  /** Feeds bytes as they come; returns the whole packets they completed (possibly none), to forward. */
  push(chunk: Buffer): Buffer {
    let data = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    data = this.#resync(data);
    const whole = data.length - (data.length % TS_PACKET_SIZE);
    const packets = data.subarray(0, whole);
    this.#pending = Buffer.from(data.subarray(whole)); // a copy: the chunk may be reused by the stream
    let keyframeAt = -1;
    for (let off = 0; off < packets.length; off += TS_PACKET_SIZE) {
      if (this.#inspect(packets.subarray(off, off + TS_PACKET_SIZE))) keyframeAt = off;
    }
    if (keyframeAt >= 0) {
      this.#gop = [packets.subarray(keyframeAt)];
      this.#gopBytes = packets.length - keyframeAt;
    } else if (this.#gop !== null && packets.length > 0) {
      this.#gop.push(packets);
      this.#gopBytes += packets.length;
    }
    if (this.#gopBytes > this.#maxGopBytes) {
      this.#gop = null;
      this.#gopBytes = 0;
    }
    return packets;
  }

  /** PAT + PMT + every packet since the latest keyframe; null until a keyframe (with its tables) was seen. */
  replay(): Buffer | null {
    if (this.#gop === null || this.#pat === null || this.#pmt === null) return null;
    return Buffer.concat([this.#pat, this.#pmt, ...this.#gop]);
  }

  /** Drops bytes until the data starts on a packet boundary (sync byte here and one packet later). */
  #resync(data: Buffer): Buffer {
    let start = 0;
    while (
      start < data.length &&
      !(data[start] === SYNC_BYTE && (start + TS_PACKET_SIZE >= data.length || data[start + TS_PACKET_SIZE] === SYNC_BYTE))
    ) {
      start += 1;
    }
    this.resyncedBytes += start;
    return start === 0 ? data : data.subarray(start);
  }

  /** Learns the tables; true when the packet starts a video keyframe. */
  #inspect(p: Buffer): boolean {
    const pid = ((p[1]! & 0x1f) << 8) | p[2]!;
    const unitStart = (p[1]! & 0x40) !== 0;
    const adaptation = (p[3]! >> 4) & 0x3;
    const hasAdaptation = adaptation === 2 || adaptation === 3;
    const afLength = hasAdaptation ? p[4]! : 0;
    const payloadAt = hasAdaptation ? 5 + afLength : 4;
    if (pid === PAT_PID && unitStart) {
      this.#pat = Buffer.from(p);
      this.#pmtPid = parsePat(p.subarray(payloadAt)) ?? this.#pmtPid;
      return false;
    }
    if (pid === this.#pmtPid && unitStart) {
      this.#pmt = Buffer.from(p);
      this.#videoPid = parsePmtVideoPid(p.subarray(payloadAt)) ?? this.#videoPid;
      return false;
    }
    if (pid !== this.#videoPid || !unitStart || !hasAdaptation || afLength === 0) return false;
    return (p[5]! & 0x40) !== 0; // random_access_indicator
  }
}

/** PID of the first program's PMT, from a PAT section starting with its pointer_field. */
function parsePat(payload: Buffer): number | null {
  const s = section(payload, 0x00);
  if (s === null) return null;
  // 8 bytes of header after table_id…section_length, then 4-byte entries, then the CRC.
  for (let i = 8; i + 4 <= s.length - 4; i += 4) {
    const program = (s[i]! << 8) | s[i + 1]!;
    if (program !== 0) return ((s[i + 2]! & 0x1f) << 8) | s[i + 3]!;
  }
  return null;
}

/** PID of the H.264 elementary stream, from a PMT section starting with its pointer_field. */
function parsePmtVideoPid(payload: Buffer): number | null {
  const s = section(payload, 0x02);
  if (s === null || s.length < 12) return null;
  const programInfoLength = ((s[10]! & 0x0f) << 8) | s[11]!;
  for (let i = 12 + programInfoLength; i + 5 <= s.length - 4; ) {
    const streamType = s[i]!;
    const pid = ((s[i + 1]! & 0x1f) << 8) | s[i + 2]!;
    const esInfoLength = ((s[i + 3]! & 0x0f) << 8) | s[i + 4]!;
    if (streamType === STREAM_TYPE_H264) return pid;
    i += 5 + esInfoLength;
  }
  return null;
}

/** The section (from table_id to the end of its CRC) if it is whole inside this one packet's payload. */
function section(payload: Buffer, tableId: number): Buffer | null {
  if (payload.length < 1) return null;
  const start = 1 + payload[0]!; // pointer_field
  if (start + 3 > payload.length || payload[start] !== tableId) return null;
  const length = ((payload[start + 1]! & 0x0f) << 8) | payload[start + 2]!;
  const end = start + 3 + length;
  return end <= payload.length ? payload.subarray(start, end) : null;
}
