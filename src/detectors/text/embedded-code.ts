/*
 * Text checks shared by the detectors that look for payloads riding in model metadata (safetensors
 * `__metadata__`, ONNX `metadata_props`, ...): code patterns, URLs, opaque base64 blobs, and the bounded,
 * printable excerpts their findings carry as evidence.
 */

/** Shortest run of base64 characters reported as an opaque blob; sha256 hex digests (64) stay below it. */
export const MIN_BASE64_BLOB = 256;
/** Characters of a base64 blob decoded (to 64 KiB) to look for code inside. */
export const MAX_BLOB_CHARS = Math.ceil((64 * 1024) / 3) * 4;
/** Characters of context kept on each side of a match in an excerpt. */
export const EXCERPT_CONTEXT = 60;

/** One code pattern: the rule id and what it found, for the evidence. */
export interface CodePattern {
  rule: string;
  what: string;
  pattern: RegExp;
}

/** Code in metadata text. All run in linear time (no nested repeats). */
export const CODE_PATTERNS: readonly CodePattern[] = [
  { rule: 'python-import', what: 'a Python import of a dangerous module', pattern: /(?:^|[\n;])[ \t]*import[ \t]+(?:os|sys|subprocess|socket|pty|shutil|ctypes|builtins|importlib|runpy|pickle|marshal|base64|urllib|requests|webbrowser)\b/ },
  { rule: 'python-from-import', what: 'a Python from-import', pattern: /(?:^|[\n;])[ \t]*from[ \t]+[A-Za-z_][\w.]*[ \t]+import[ \t]+[\w*(]/ },
  { rule: 'dunder-import', what: '__import__()', pattern: /__import__\s*\(/ },
  { rule: 'eval-exec', what: 'eval() or exec()', pattern: /\b(?:eval|exec)\s*\(/ },
  { rule: 'os-command', what: 'an os command call', pattern: /\bos\s*\.\s*(?:system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)\b/ },
  { rule: 'subprocess', what: 'subprocess', pattern: /\bsubprocess\b/ },
  { rule: 'builtins', what: 'a builtins lookup', pattern: /__builtins__|\bbuiltins\s*\.\s*(?:eval|exec|open|getattr|__import__)\b/ },
  { rule: 'shell', what: 'a shell invocation', pattern: /\b(?:ba|z|da)?sh\s+-c\s|\/bin\/(?:ba|z|da)?sh\b|\bnc\s+(?:-\w+\s+)*-e\s|\bpowershell(?:\.exe)?\s+-(?:enc|encodedcommand|e|c)\s/i },
  { rule: 'script-tag', what: 'an HTML <script> tag', pattern: /<\s*script\b/i },
  { rule: 'html-handler', what: 'an HTML event handler', pattern: /\bon(?:error|load|click|mouseover)\s*=\s*["']?[\w.]+\s*\(/i },
];

/** http(s) URLs, bounded in length. */
export const URL_PATTERN = /\bhttps?:\/\/[^\s"'<>\\]{1,2048}/gi;

/** Runs of at least MIN_BASE64_BLOB base64 characters (plus `=` padding), found in one linear pass. */
export function* base64Runs(text: string): Generator<{ index: number; length: number }> {
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : -1;
    const base64 = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (base64) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0 && i - start >= MIN_BASE64_BLOB) {
      let end = i;
      while (end < i + 2 && text.charCodeAt(end) === 0x3d) end++;
      yield { index: start, length: end - start };
    }
    start = -1;
  }
}

/** A printable, bounded window around a match. */
export function excerpt(text: string, index: number, length: number): string {
  const start = Math.max(0, index - EXCERPT_CONTEXT);
  const end = Math.min(text.length, index + Math.min(length, 200) + EXCERPT_CONTEXT);
  // eslint-disable-next-line no-control-regex
  const window = text.slice(start, end).replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
  return `${start > 0 ? '...' : ''}${window}${end < text.length ? '...' : ''}`;
}

/** A string cut to 100 characters for messages. */
export function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}
