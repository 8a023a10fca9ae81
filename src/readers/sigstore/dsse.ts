/*
 * DSSE (secure-systems-lab/dsse v1.0.0, protocol.md): a signature never covers the payload alone but its
 * pre-authentication encoding, which binds the payload type so that bytes signed as one type cannot be
 * replayed as another:
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body     (LEN = ASCII decimal byte count)
 */

/** The DSSE payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** Pre-authentication encoding of a DSSE payload: the exact bytes a DSSE signature is over. */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${payload.length} `, 'ascii'), payload]);
}
