import { FLAG_UTF8 } from './zip-format.js';

/** Characters of a name quoted in a message; a 64 KiB name would otherwise be copied into every finding. */
export const MAX_QUOTED_NAME = 200;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8', { fatal: false });
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Stored names are kept as "raw" strings: the bytes read as latin1, one character per byte, so two names
 * compare equal exactly when their bytes do (miniz compares bytes; zipfile compares decoded strings, and
 * the difference is what CVE-2025-1945's UTF-8 bit flip exploits). `decodeName` gives the display name.
 */
export function rawName(buffer: Buffer, start: number, end: number): string {
  return buffer.toString('latin1', start, end);
}

/**
 * Decode a raw name for display and lookup. Bit 11 means UTF-8; without it most writers still emit UTF-8
 * (torch.save names are ASCII), so valid UTF-8 is taken as such and anything else stays latin1, which maps
 * each byte to one character and so never hides a byte.
 */
export function decodeName(raw: string, flags: number): string {
  if (!NON_ASCII.test(raw)) return raw;
  const bytes = Buffer.from(raw, 'latin1');
  if ((flags & FLAG_UTF8) !== 0) return utf8Lenient.decode(bytes);
  try {
    return utf8.decode(bytes);
  } catch {
    return raw;
  }
}

/**
 * Lower-case ASCII letters only, as miniz's MZ_TOLOWER does when torch looks a record up: miniz matches names
 * case-insensitively, so `a/DATA.pkl` and `a/data.pkl` are the same record to torch.
 */
export function minizLookupKey(raw: string): string {
  return /[A-Z]/.test(raw) ? raw.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()) : raw;
}

/**
 * Ways a name escapes the directory it is extracted into (zip slip, CWE-22). torch never extracts, but
 * `torch.package`, model hubs and users who `unzip` a checkpoint do.
 */
export function traversalReasons(name: string): string[] {
  // Most names have none of these characters; skip the splitting for them.
  if (!/[\\/:.]/.test(name)) return [];
  const reasons: string[] = [];
  if (name.startsWith('/') || name.startsWith('\\')) reasons.push('absolute path');
  if (/^[A-Za-z]:/.test(name)) reasons.push('drive letter');
  if (name.includes('\\')) reasons.push('backslash separator (a directory separator on Windows)');
  if (name.includes('..') && name.split(/[\\/]/).some((segment) => segment === '..')) reasons.push("'..' segment");
  return reasons;
}

/** Characters that make two readers, or a reader and a person, see different names. */
export function suspiciousNameReasons(name: string): string[] {
  if (!/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(name)) return [];
  const reasons: string[] = [];
  if (name.includes('\u0000')) reasons.push(`NUL byte (C-string readers see ${quoteName(name.slice(0, name.indexOf('\u0000')))})`);
  if (/[\u0001-\u001f\u007f]/.test(name)) reasons.push('control characters');
  if (/[\u202a-\u202e\u2066-\u2069]/.test(name)) reasons.push('bidirectional override characters');
  return reasons;
}

/** A name quoted for a message: JSON escaping keeps control characters visible; long names are cut. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > MAX_QUOTED_NAME ? `${name.slice(0, MAX_QUOTED_NAME)}...` : name);
}
