import { basename } from 'node:path';
import { errorMessage } from '../../core/errors.js';
import { findDatasetFiles, formatFromExtension, isDatasetPath, openDataset } from '../../readers/dataset/index.js';
import type { BomDataset } from './types.js';

/*
 * Dataset files and their facts for the BOM, from the dataset readers: the files `datasets` itself would
 * load from a folder, each read once as rows (streamed, nothing kept) for its row count, bad rows and
 * columns. A file that looks like a dataset but cannot be read stays a dataset in the BOM, with the reason,
 * so a reader never sees "0 rows" where the truth is "not read".
 */

/** File-level reader issues quoted in one dataset's `problem`; the rest are counted. */
const MAX_ISSUES_LISTED = 3;

/** The dataset files among the inputs: the data files of each folder input, and file inputs named like data. */
export async function findDatasetInputs(inputs: readonly string[], isFolder: (path: string) => boolean): Promise<{ paths: string[]; problems: string[] }> {
  const paths: string[] = [];
  const problems: string[] = [];
  for (const input of inputs) {
    if (!isFolder(input)) {
      if (isDatasetPath(basename(input))) paths.push(input);
      continue;
    }
    const found = await findDatasetFiles(input);
    if (found.ok) paths.push(...found.value);
    else problems.push(`${input}: dataset files not listed (${found.error.message})`);
  }
  return { paths, problems };
}

/** Read one dataset file to the end for its format, row counts and columns; never throws. */
export async function describeDatasetFile(path: string): Promise<BomDataset> {
  const guess = formatFromExtension(path) ?? 'unknown';
  let opened;
  try {
    opened = await openDataset(path);
  } catch (error) {
    return { path, format: guess, problem: errorMessage(error) };
  }
  if (!opened.ok) return { path, format: guess, problem: opened.error.message };
  const dataset = opened.value;
  let rows = 0;
  let badRows = 0;
  try {
    for await (const event of dataset.events()) {
      if (event.kind === 'row') rows++;
      else badRows++;
    }
  } catch (error) {
    return { path, format: dataset.format, rows, badRows, problem: `reading stopped after ${rows + badRows} rows: ${errorMessage(error)}` };
  }
  const facts: BomDataset = { path, format: dataset.format, rows, badRows, columns: dataset.columns().map((c) => ({ name: c.name, type: c.type })) };
  // File-level issues (reading stopped, a limit, a syntax error between rows) qualify the counts: say so.
  const issues = dataset.issues?.() ?? [];
  if (issues.length > 0) {
    const listed = issues.slice(0, MAX_ISSUES_LISTED).map((i) => i.message);
    if (issues.length > MAX_ISSUES_LISTED) listed.push(`${issues.length - MAX_ISSUES_LISTED} more`);
    facts.problem = listed.join('; ');
  }
  return facts;
}
