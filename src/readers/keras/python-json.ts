/*
 * Keras reads its configs with Python's json.loads, which accepts the bare tokens NaN, Infinity and
 * -Infinity that JSON.parse refuses. An attacker could add one to make a JSON.parse-based scanner give up on a
 * config Keras still loads; this parser rewrites those tokens (outside strings) to numbers and retries.
 * Duplicate keys keep the last value in both parsers, so the tree read here is the one Keras deserializes.
 */

/** Parsed value, or why the text is not JSON that Python reads. */
export type PythonJsonResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Parse `text` as Python's json.loads would (within JSON.parse's limits). Never throws. */
export function parsePythonJson(text: string): PythonJsonResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) return { ok: false, message: (error as Error).message };
  }
  try {
    return { ok: true, value: JSON.parse(replaceNonFinite(text)) as unknown };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** Replace NaN and Infinity tokens outside strings with 0, in one linear pass. */
function replaceNonFinite(text: string): string {
  const out: string[] = [];
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (text.startsWith('NaN', i) || text.startsWith('Infinity', i)) {
      out.push(text.slice(from, i), '0');
      i += text.startsWith('NaN', i) ? 2 : 7;
      from = i + 1;
    }
  }
  out.push(text.slice(from));
  return out.join('');
}
