import type { ByteSource } from '../../core/index.js';
import { locateCentralDirectory } from './end-of-central-directory.js';
import { DATA_DESCRIPTOR_SIGNATURE, EOCD_SIGNATURE, EOCD_SIZE, LOCAL_HEADER_SIGNATURE, u16, u32 } from './zip-format.js';

/**
 * Cheap test on the first bytes of a file: a local header at 0 (what torch's `_is_zipfile` checks), an
 * empty archive (an EOCD at 0 listing no entries), or the spanned-archive marker `PK\x07\x08` before a
 * local header, which zipfile opens happily (a scanner routing only on `PK\x03\x04` misses it).
 * Archives behind a junk prefix are found from the end with `sniffZipTail`.
 */
export function sniffZip(head: Buffer): boolean {
  const first = u32(head, 0);
  if (first === LOCAL_HEADER_SIGNATURE) return true;
  if (first === EOCD_SIGNATURE) return head.length >= EOCD_SIZE ? u16(head, 10) === 0 : true;
  return first === DATA_DESCRIPTOR_SIGNATURE && u32(head, 4) === LOCAL_HEADER_SIGNATURE;
}

/**
 * True when the last 64 KiB of `source` hold an EOCD record that points at a central directory, with or
 * without junk before the archive: zipfile, unzip and miniz open such files whatever their first bytes
 * are, so a file that is a pickle at the front and a zip at the back is both. One read of at most
 * 65,557 bytes plus a few small ones; never throws.
 */
export function sniffZipTail(source: ByteSource): boolean {
  try {
    return locateCentralDirectory(source, null).ok;
  } catch {
    return false;
  }
}
