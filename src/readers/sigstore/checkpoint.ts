import { at, decodeBase64Strict, FieldError, readFields, type FieldReadResult } from './json-fields.js';

/*
 * A transparency-log checkpoint in the signed-note format (golang.org/x/mod/sumdb/note, used by Rekor):
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n[extension lines\n]\n— <signer name> <base64(key hint || signature)>\n
 *
 * The signature covers the note text up to and including the newline before the blank line.
 */

/** Signature lines read from one note. */
export const MAX_NOTE_SIGNATURES = 16;

/** One signature line of a note. */
export interface NoteSignature {
  name: string;
  /** First 4 bytes of the decoded signature: which key signed (Rekor: the first 4 bytes of the log id). */
  keyHint: Buffer;
  signature: Buffer;
}

/** A parsed checkpoint. */
export interface Checkpoint {
  origin: string;
  treeSize: bigint;
  rootHash: Buffer;
  /** The exact bytes the signatures cover. */
  signedText: string;
  signatures: NoteSignature[];
}

/** Parse a checkpoint note. Never throws. */
export function parseCheckpoint(text: string, field = 'checkpoint'): FieldReadResult<Checkpoint> {
  return readFields(() => {
    const split = text.indexOf('\n\n');
    if (split < 0) throw new FieldError(field, 'no blank line between the note body and its signatures');
    const signedText = text.slice(0, split + 1);
    const lines = signedText.slice(0, -1).split('\n');
    if (lines.length < 3) throw new FieldError(field, 'a checkpoint body needs an origin, a tree size and a root hash');
    const [origin, size, root] = lines as [string, string, string];
    if (origin.length === 0) throw new FieldError(field, 'empty origin line');
    if (!/^(0|[1-9]\d{0,19})$/.test(size)) throw new FieldError(field, `tree size '${size}' is not a decimal number`);
    const rootHash = decodeBase64Strict(root, at(field, 'rootHash'));
    const signatureLines = text.slice(split + 2).split('\n');
    if (signatureLines[signatureLines.length - 1] === '') signatureLines.pop();
    if (signatureLines.length === 0) throw new FieldError(field, 'no signature line');
    if (signatureLines.length > MAX_NOTE_SIGNATURES) throw new FieldError(field, `more than ${MAX_NOTE_SIGNATURES} signature lines`, 'limit', 'MAX_NOTE_SIGNATURES');
    const signatures = signatureLines.map((line, i) => {
      const match = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!match) throw new FieldError(at(field, 'signatures') + `[${i}]`, 'not an "— name signature" line');
      const bytes = decodeBase64Strict(match[2]!, at(field, 'signatures') + `[${i}]`);
      if (bytes.length < 5) throw new FieldError(at(field, 'signatures') + `[${i}]`, 'signature shorter than its key hint');
      return { name: match[1]!, keyHint: bytes.subarray(0, 4), signature: bytes.subarray(4) };
    });
    return { origin, treeSize: BigInt(size), rootHash, signedText, signatures };
  });
}
