/*
 * The provenance facts of a Hugging Face model card (README.md): its YAML front matter between `---` lines.
 * Only the handful of keys provenance needs are read, with a small line parser (no YAML library: the
 * front matter is untrusted text, and anchors, tags and multi-document tricks are not needed here).
 */

/** Largest card read; real cards are a few KB to a few hundred KB. */
export const MAX_MODEL_CARD_BYTES = 1024 * 1024;

/** Provenance facts a model card declares. */
export interface ModelCardFacts {
  hasFrontMatter: boolean;
  baseModel: string[];
  datasets: string[];
  license: string | null;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

/** Values of `key: value`, `key: [a, b]` or a `key:` followed by `- item` lines. */
function listValue(lines: string[], key: string): string[] {
  const at = lines.findIndex((line) => new RegExp(`^${key}\\s*:`).test(line));
  if (at < 0) return [];
  const inline = lines[at]!.replace(new RegExp(`^${key}\\s*:`), '').trim();
  if (inline.startsWith('[') && inline.endsWith(']')) {
    return inline.slice(1, -1).split(',').map(unquote).filter((v) => v !== '');
  }
  if (inline !== '') return [unquote(inline)];
  const items: string[] = [];
  for (let i = at + 1; i < lines.length; i++) {
    const m = /^\s*-\s+(.*)$/.exec(lines[i]!);
    if (!m) break;
    const item = unquote(m[1]!);
    if (item !== '') items.push(item);
  }
  return items;
}

/** Read the provenance keys of a model card's front matter; never throws. */
export function readModelCard(text: string): ModelCardFacts {
  const lines = text.slice(0, MAX_MODEL_CARD_BYTES).replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '---') return { hasFrontMatter: false, baseModel: [], datasets: [], license: null };
  const end = lines.indexOf('---', 1);
  const front = lines.slice(1, end < 0 ? lines.length : end);
  const license = listValue(front, 'license')[0] ?? null;
  return { hasFrontMatter: true, baseModel: listValue(front, 'base_model'), datasets: listValue(front, 'datasets'), license };
}
