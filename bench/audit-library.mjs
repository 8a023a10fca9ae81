// Runs `antidote audit` through the library (the built dist/), the way an application embedding it would:
//   node bench/audit-library.mjs DATASET OUT_JSON
// and writes what it found to OUT_JSON: {durationMs, rows, flaggedRows, status, triggers, flagged: [row...],
// maxRssKb}. bench/audit.ts runs it as a child (under GNU time when present) so peak memory is the audit's own.
import { writeFileSync } from 'node:fs';
import { assembleResult, auditDataset, openDataset } from '../dist/index.js';

const [path, out] = process.argv.slice(2);
const started = performance.now();
const opened = await openDataset(path);
if (!opened.ok) throw new Error(`${path}: ${opened.error.message}`);
const dataset = opened.value;
const audit = await auditDataset({ path, format: dataset.format, events: dataset.events() });
const result = assembleResult([audit], [path], 0.5, new Date(), performance.now() - started);
writeFileSync(
  out,
  `${JSON.stringify({
    durationMs: result.durationMs,
    rows: result.files[0].rows,
    flaggedRows: result.files[0].flaggedRows,
    status: result.status,
    findings: result.findings.length,
    triggers: result.triggers.map((t) => ({ text: t.text, rule: t.rule, rows: t.rows.length })),
    flagged: result.rows.filter((r) => r.flagged).map((r) => r.row),
    maxRssKb: process.resourceUsage().maxRSS,
  })}\n`,
);
