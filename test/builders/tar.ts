/**
 * Byte builder for tar archives (ustar headers, GNU long names, PAX paths), so hostile members (traversal,
 * links, truncation) are one option away from a valid archive that Python's tarfile opens.
 */
export interface TarEntrySpec {
  name: string;
  data?: Buffer | string;
  /** Typeflag: '0' file (default), '5' directory, '2' symlink, '1' hardlink, '3' char device. */
  type?: string;
  linkName?: string;
  mode?: number;
  /** Write the name as a GNU 'L' long-name record even when it fits. */
  gnuLongName?: boolean;
  /** Write the name as a PAX 'x' path record. */
  paxPath?: boolean;
  /** Corrupt the header checksum. */
  badChecksum?: boolean;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, type: string, linkName: string, mode: number, badChecksum = false): Buffer {
  const block = Buffer.alloc(512);
  block.write(name.slice(0, 100), 0, 'utf8');
  block.write(octal(mode, 8), 100, 'latin1');
  block.write(octal(0, 8), 108, 'latin1');
  block.write(octal(0, 8), 116, 'latin1');
  block.write(octal(size, 12), 124, 'latin1');
  block.write(octal(0, 12), 136, 'latin1');
  block.write(type, 156, 'latin1');
  block.write(linkName.slice(0, 100), 157, 'utf8');
  block.write('ustar\0', 257, 'latin1');
  block.write('00', 263, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(octal(badChecksum ? sum + 1 : sum, 7) + ' ', 148, 'latin1');
  return block;
}

function padded(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

/** Real tar bytes for `entries`. */
export function buildTar(entries: TarEntrySpec[], options: { omitEnd?: boolean; trailing?: Buffer } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '');
    const type = entry.type ?? '0';
    if (entry.gnuLongName) {
      const name = Buffer.from(`${entry.name}\0`);
      parts.push(header('././@LongLink', name.length, 'L', '', 0o644), padded(name));
    }
    if (entry.paxPath) {
      const record = (body: string): string => {
        let length = body.length + 3;
        while (`${length} ${body}\n`.length !== length) length = `${length} ${body}\n`.length;
        return `${length} ${body}\n`;
      };
      const pax = Buffer.from(record(`path=${entry.name}`));
      parts.push(header('PaxHeader', pax.length, 'x', '', 0o644), padded(pax));
    }
    const size = type === '0' ? data.length : 0;
    parts.push(header(entry.gnuLongName || entry.paxPath ? 'placeholder' : entry.name, size, type, entry.linkName ?? '', entry.mode ?? 0o644, entry.badChecksum));
    if (size > 0) parts.push(padded(data));
  }
  if (!options.omitEnd) parts.push(Buffer.alloc(1024));
  if (options.trailing) parts.push(options.trailing);
  return Buffer.concat(parts);
}
