/** Reads top-level MP4 box types, to tell a standard (moov first) file from a fragmented one. */
import { open } from 'node:fs/promises';

export async function topLevelBoxes(path: string, limit = 64): Promise<string[]> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const boxes: string[] = [];
    let offset = 0;
    const head = Buffer.alloc(16);
    while (offset + 8 <= size && boxes.length < limit) {
      await fh.read(head, 0, 16, offset);
      let boxSize = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      if (boxSize === 1) boxSize = Number(head.readBigUInt64BE(8));
      else if (boxSize === 0) boxSize = size - offset;
      if (boxSize < 8) break;
      boxes.push(type);
      offset += boxSize;
    }
    return boxes;
  } finally {
    await fh.close();
  }
}
