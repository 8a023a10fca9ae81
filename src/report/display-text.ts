/**
 * Making attacker-controlled strings safe to show to a person. Paths, member names, messages and evidence
 * all come from the scanned file (or from a saved result that anyone could have edited), so a malicious
 * model could otherwise forge terminal output with ANSI escapes or `\r`, or make `evil.pkl` read as
 * `lkp.live` with a right-to-left override (Trojan Source, CVE-2021-42574).
 */

/**
 * Code points that change how the surrounding text is displayed rather than being displayed themselves:
 * Cc (C0 and C1 controls, incl. ESC, CSI U+009B, `\r`, `\n`, tab, DEL), Cf (bidi embeddings, overrides
 * U+202A-202E and isolates U+2066-2069, zero-width characters, invisible Unicode tag characters used to
 * smuggle text past a reader), Zl/Zp (U+2028/U+2029, which some terminals treat as newlines) and lone
 * surrogates (Cs), which encoders turn into U+FFFD and which may hide a truncated pair.
 */
const DISPLAY_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** The same set minus line feed and tab, for multi-line prose shown in a context where they are inert. */
const DISPLAY_CONTROL_EXCEPT_LAYOUT = /(?![\n\t])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visibleEscape(char: string): string {
  const short = SHORT_ESCAPES[char];
  if (short !== undefined) return short;
  const code = char.codePointAt(0) ?? 0;
  if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
  return `\\u{${code.toString(16)}}`;
}

/**
 * Replace every display-control code point with a visible escape (`\x1b`, `\r`, `\u202e`), so the text
 * shows what the bytes say instead of acting on the terminal or the reader. With `keepLayout`, line feeds
 * and tabs stay as they are (multi-line rule descriptions in HTML, where they cannot forge anything).
 */
export function neutraliseControls(text: string, options: { keepLayout?: boolean } = {}): string {
  return text.replace(options.keepLayout ? DISPLAY_CONTROL_EXCEPT_LAYOUT : DISPLAY_CONTROL, visibleEscape);
}

/**
 * Clip `text` to at most `maxLength` UTF-16 units of the original, then neutralise it. Clipping first keeps
 * the work bounded for a hostile megabyte-long module name; the tail says how much was left out.
 */
export function displayText(text: string, maxLength: number): string {
  if (text.length <= maxLength) return neutraliseControls(text);
  let end = maxLength;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${neutraliseControls(text.slice(0, end))}… (${text.length - end} more characters)`;
}
