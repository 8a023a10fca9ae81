/*
 * The glob dialect of `lock.exclude`: `*` (within one path segment), `**` (any number of segments), `?`
 * (one character). Matched against `/`-separated paths relative to the policy file. Everything else is
 * literal: no classes, braces or alternation, which keeps the dialect small enough to document in a line.
 */

function escape(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** Compile one glob into an anchored regular expression over `/`-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  // Repeated `**/` adds nothing but backtracking.
  const pattern = glob.replace(/\\/g, '/').replace(/^\.\//, '').replace(/(\*\*\/)+/g, '**/');
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more whole segments; a trailing `**` matches the rest of the path.
      if (pattern[i + 2] === '/') {
        out += '(?:[^/]*/)*';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') {
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else {
      out += escape(c);
    }
  }
  // A glob naming a folder (`data/raw/`, or `data/raw`) also covers everything inside it.
  const folder = out.endsWith('/') ? out : `${out}/`;
  return new RegExp(`^(?:${out}|${folder}.*)$`);
}

/** True when `relativePath` matches any of the globs. */
export function matchesAnyGlob(relativePath: string, globs: readonly RegExp[]): boolean {
  return globs.some((g) => g.test(relativePath));
}
