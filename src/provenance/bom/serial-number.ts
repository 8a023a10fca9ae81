import { createHash, randomUUID } from 'node:crypto';

/*
 * CycloneDX serial numbers are RFC 4122 UUIDs (urn:uuid:...). A fresh BOM gets a random one (version 4); a
 * reproducible BOM gets a name-based one (version 5, SHA-1 over a fixed namespace and the BOM's content), so
 * the same content always has the same serial and any change in content gives a new one.
 */

/** Namespace of antidote's content-derived serials: uuid5(NAMESPACE_URL, 'urn:antidote:cyclonedx-bom-serial'). */
export const ANTIDOTE_BOM_NAMESPACE = '251f2b72-6706-5669-9c70-12b27aecad3a';

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** RFC 4122 section 4.3: version-5 UUID of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string = ANTIDOTE_BOM_NAMESPACE): string {
  const hash = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest().subarray(0, 16);
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  return formatUuid(hash);
}

/** `urn:uuid:` serial: content-derived when `content` is given, random otherwise. */
export function serialNumber(content?: string): string {
  return `urn:uuid:${content === undefined ? randomUUID() : uuidV5(content)}`;
}
