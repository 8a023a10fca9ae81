import type { ReportedRowChange, VerifiedFile, VerifyResult } from './verify.js';

/*
 * The text report of `antidote verify`: a pure function of the VerifyResult (the JSON report is the result
 * itself). Unchanged files are counted, not listed; every other file gets a line, and a modified dataset its
 * row changes with 0-based indices (`row N` is the row's position in the file as it is now, `old row N` its
 * position when locked).
 */

/** Render a verify result as text for a terminal or a CI log. */
export function renderVerifyText(result: VerifyResult): string {
  const lines: string[] = [];
  const { summary } = result;
  const source = result.source ? ` (source ${result.source.url}${result.source.revision ? ` at ${result.source.revision}` : ''})` : '';
  lines.push(`antidote verify: ${result.lockfile}${source}`);
  for (const file of result.files) if (file.status !== 'unchanged') lines.push(...renderFile(file));
  const parts = [`${summary.unchanged} unchanged`, `${summary.modified} modified`, `${summary.added} added`, `${summary.removed} removed`];
  if (summary.unreadable > 0) parts.push(`${summary.unreadable} unreadable`);
  lines.push('');
  lines.push(`${summary.locked} locked file(s): ${parts.join(', ')}.`);
  lines.push(result.status === 'passed' ? 'PASSED: every file matches the lock.' : 'FAILED: the files differ from the lock (see above).');
  return lines.join('\n');
}

function renderFile(file: VerifiedFile): string[] {
  const lines: string[] = [];
  switch (file.status) {
    case 'added':
      lines.push(`  added       ${file.path} (${file.actual?.size ?? '?'} bytes, not in the lock)`);
      break;
    case 'removed':
      lines.push(`  removed     ${file.path} (locked with ${file.expected?.size ?? '?'} bytes)`);
      break;
    case 'unreadable':
      lines.push(`  unreadable  ${file.path}: ${file.note ?? 'cannot read'}`);
      break;
    case 'modified': {
      const sizes = file.expected && file.actual && file.expected.size !== file.actual.size ? `${file.expected.size} -> ${file.actual.size} bytes` : 'same size';
      lines.push(`  modified    ${file.path} (${sizes}, sha256 ${file.actual?.sha256.slice(0, 16) ?? '?'}… was ${file.expected?.sha256.slice(0, 16) ?? '?'}…)`);
      if (file.rows) {
        const { counts, expected, actual } = file.rows;
        if (file.rows.sameContent) {
          lines.push(`              rows unchanged: the bytes differ but all ${actual.rows + actual.badRows} rows read the same (re-serialised: key order, spacing or escapes)`);
        } else {
          lines.push(
            `              rows: ${expected.rows + expected.badRows} -> ${actual.rows + actual.badRows}; ${counts.added} added, ${counts.removed} removed, ${counts.modified} modified, ${counts.moved} moved, ${counts.unchanged} unchanged`,
          );
          for (const change of file.rows.changes) lines.push(`              ${renderChange(change)}`);
          if (file.rows.unlisted > 0) lines.push(`              … and ${file.rows.unlisted} more row change(s) (see --format json, or raise --max-rows)`);
        }
      }
      if (file.note) lines.push(`              note: ${file.note}`);
      break;
    }
    case 'unchanged':
      break;
  }
  return lines;
}

function renderChange(change: ReportedRowChange): string {
  const excerpt = change.excerpt !== undefined ? `: ${change.excerpt}` : '';
  switch (change.kind) {
    case 'added':
      return `+ row ${change.newIndex} added${excerpt}`;
    case 'removed':
      return `- old row ${change.oldIndex} removed`;
    case 'modified':
      return `~ row ${change.newIndex} modified (old row ${change.oldIndex})${excerpt}`;
    case 'moved':
      return `> row ${change.newIndex} moved from old row ${change.oldIndex}`;
  }
}
