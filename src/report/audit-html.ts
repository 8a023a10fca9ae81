import type { AuditFile, AuditResult, AuditRow, AuditTrigger } from '../core/audit-result.js';
import type { Finding } from '../core/finding.js';
import type { RuleInfo } from '../core/result.js';
import { SEVERITIES, severityRank } from '../core/severity.js';
import { cspHash, htmlText, htmlToken } from './html-text.js';
import { barChartSvg, histogramSvg, type Bar, type HistogramBin } from './svg-charts.js';

/*
 * The audit as one self-contained page: summary, two charts (row scores, rows per trigger), the triggers,
 * a few example rows per trigger with every reason, the flagged rows, findings, files and rules. It is a
 * pure function of the result, so `antidote report audit.json --format html` re-renders it offline.
 *
 * Nothing loads from anywhere: inline CSS, inline SVG, no script at all (the Content-Security-Policy says
 * `script-src 'none'` and admits only the page's own stylesheet, by hash). Every string from the result is
 * attacker-controlled (it came from the dataset, or from whoever edited the saved JSON) and goes through
 * `htmlText`.
 *
 * Text quoted from the data (what a message puts between double quotes, evidence matches and excerpts) is
 * masked by default: a poisoned dataset holds abusive or harmful text on purpose, and this page is the kind
 * that gets opened in a code review, pasted into a ticket or shown on a shared screen. Trigger texts stay
 * visible (they are short, and what a reviewer needs first). One checkbox reveals the quotes; it is pure
 * CSS (`:checked ~`), so it works with scripts off and needs no network.
 */

/** Example rows shown per trigger. */
const EXAMPLES_PER_TRIGGER = 3;
/** Triggers listed in the table and given examples (all are in the JSON). */
const MAX_TRIGGERS_LISTED = 200;
/** Bars in the rows-per-trigger chart. */
const MAX_BARS = 15;
/** Flagged rows listed (all are in the JSON and in --quarantine). */
const MAX_FLAGGED_LISTED = 100;
/** Findings listed. */
const MAX_FINDINGS_LISTED = 500;
/** Row numbers printed per trigger in the table. */
const MAX_TRIGGER_ROWS_PRINTED = 10;
/** Bins of the row-score histogram over [0, 1]. */
const HISTOGRAM_BINS = 10;

const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --line: #d1d9e0;
  --critical: #a40e26; --high: #d1242f; --medium: #9a6700; --low: #0969da; --info: #59636e; --ok: #1a7f37; --mask: #8c959f; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23;
  --line: #3d444d; --critical: #ff7b93; --high: #ff8182; --medium: #d29922; --low: #4493f8; --info: #9198a1; --ok: #3fb950; --mask: #656c76; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; font: 14px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: var(--muted); margin: 0 0 12px; }
.banner { border: 1px solid var(--medium); border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
.banner.failed { border-color: var(--high); }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; background: var(--panel); }
.counts strong { font-size: 18px; margin-right: 6px; }
table { width: 100%; border-collapse: collapse; table-layout: auto; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.path, .mono, .trigger, .wrap { overflow-wrap: anywhere; }
td.path { min-width: 12em; max-width: 24em; } td.wide { min-width: 18em; max-width: 36em; }
.badge { display: inline-block; min-width: 72px; text-align: center; border-radius: 4px; padding: 1px 6px;
  font-size: 11px; font-weight: 700; text-transform: uppercase; color: #ffffff; background: var(--info); }
.sev-critical { background: var(--critical); } .sev-high { background: var(--high); }
.sev-medium { background: var(--medium); } .sev-low { background: var(--low); } .sev-info { background: var(--info); }
.st-scanned, .st-succeeded { background: var(--ok); } .st-partial { background: var(--medium); }
.st-failed { background: var(--high); } .st-skipped { background: var(--info); }
.trigger { font-weight: 600; }
.evidence { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 0 8px; }
.evidence dt { color: var(--muted); } .evidence dd { margin: 0; overflow-wrap: anywhere; }
.reasons { margin: 0; padding-left: 18px; }
details summary { cursor: pointer; } .prose { white-space: pre-line; margin: 6px 0; } .muted { color: var(--muted); }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
.charts figure { margin: 0; padding: 8px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); max-width: 100%; }
.charts figcaption { color: var(--muted); font-size: 12.5px; max-width: 540px; }
.chart { display: block; max-width: 100%; height: auto; color: var(--fg); }
.chart .bar { fill: var(--low); } .chart .bar.flagged { fill: var(--high); }
.chart .axis { stroke: var(--fg); stroke-width: 1; } .chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .threshold { stroke: var(--high); stroke-width: 2; stroke-dasharray: 5 4; }
.mask-toggle { display: inline-block; margin: 8px 0; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
/* Quoted data is masked until the reader asks for it (see the note at the top of src/report/audit-html.ts). */
.quote { color: transparent; background: var(--mask); border-radius: 3px; user-select: none; }
#show-quotes:checked ~ main .quote { color: inherit; background: transparent; user-select: auto; }
#show-quotes { position: absolute; opacity: 0; pointer-events: none; }
.mask-toggle::before { content: "\\2610  "; } #show-quotes:checked ~ header .mask-toggle::before { content: "\\2611  "; }
#show-quotes:focus-visible ~ header .mask-toggle { outline: 2px solid var(--low); }
`;

/** Nothing may load from anywhere; no script may run; only the stylesheet above, by hash, applies. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${cspHash(STYLE)}`,
  "script-src 'none'",
  "img-src 'none'",
  "font-src 'none'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const FILE_STATUSES = ['scanned', 'partial', 'failed', 'skipped'] as const;
const RUN_STATUSES = ['succeeded', 'partial', 'failed'] as const;

/** Render an audit result as one self-contained HTML page (see the note at the top of this file). */
export function renderAuditHtml(result: AuditResult): string {
  const rules = new Map<string, RuleInfo>();
  for (const rule of result.rules) if (!rules.has(rule.id)) rules.set(rule.id, rule);
  const status = htmlToken(result.status, RUN_STATUSES);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${htmlText(CONTENT_SECURITY_POLICY)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>antidote audit: ${status}</title>
<style>${STYLE}</style>
</head>
<body>
<input type="checkbox" id="show-quotes" aria-label="Show text quoted from the data">
${renderHeader(result)}
<main>
${renderCharts(result)}
${renderTriggers(result)}
${renderExamples(result)}
${renderFlagged(result)}
${renderFindings(result.findings, rules)}
${renderFiles(result.files)}
${renderRules(result.rules)}
</main>
</body>
</html>
`;
}

/**
 * A message with the parts it quotes from the data ("...") masked. Detectors put data between double
 * quotes by convention; the rest of the message is the detector's own words and stays readable.
 */
function quotedText(message: string, visible?: string): string {
  const escaped = htmlText(message);
  // The trigger itself is on show anyway (in its own cell); masking it inside a sentence would only hide words.
  const shown = visible === undefined ? undefined : htmlText(visible);
  // After escaping, a double quote is `&quot;`; mask what lies between a pair of them.
  return escaped.replace(/&quot;([\s\S]*?)&quot;/g, (whole, inner: string) => (inner === shown ? whole : `&quot;<span class="quote">${inner}</span>&quot;`));
}

/** A value quoted whole from the data (an evidence match or excerpt). */
function quote(value: unknown): string {
  return `<span class="quote">${htmlText(value)}</span>`;
}

function renderHeader(result: AuditResult): string {
  const status = htmlToken(result.status, RUN_STATUSES);
  const rows = result.files.reduce((sum, f) => sum + f.rows, 0);
  const flagged = result.files.reduce((sum, f) => sum + f.flaggedRows, 0);
  const bad = result.files.reduce((sum, f) => sum + f.badRows, 0);
  const findings = SEVERITIES.reduce((sum, s) => sum + (result.summary[s] ?? 0), 0);
  const severities = [...SEVERITIES]
    .reverse()
    .map((s) => `<li><strong>${htmlText(result.summary[s] ?? 0)}</strong><span class="badge sev-${s}">${s}</span></li>`)
    .join('');
  const unread = result.files.filter((f) => f.status === 'partial' || f.status === 'failed').length;
  const banner =
    result.status === 'succeeded'
      ? ''
      : `<p class="banner ${status}" role="alert">${
          result.status === 'failed'
            ? 'No dataset could be read: no verdict is possible.'
            : `${unread} ${unread === 1 ? 'file was' : 'files were'} not read completely: rows that could not be read are flagged, and what was not read is not known to be clean.`
        }</p>`;
  const inputs = result.inputs.map((input) => `<code class="path">${htmlText(input, { max: 300 })}</code>`).join(', ');
  return `<header>
<h1>antidote audit <span class="badge st-${status}">${htmlText(result.status)}</span></h1>
<p class="meta">${htmlText(result.tool.name)} ${htmlText(result.tool.version)} · started ${htmlText(result.startedAt)} · ${htmlText(
    Math.round(result.durationMs),
  )} ms · threshold ${htmlText(result.threshold)} · inputs: ${inputs || '<span class="muted">none</span>'}</p>
${banner}
<ul class="counts" id="summary" aria-label="Summary">
<li data-count="files"><strong>${result.files.length}</strong>${result.files.length === 1 ? 'file' : 'files'}</li>
<li data-count="rows"><strong>${rows}</strong>rows</li>
<li data-count="flagged"><strong>${flagged}</strong>flagged</li>
<li data-count="unreadable"><strong>${bad}</strong>unreadable</li>
<li data-count="triggers"><strong>${result.triggers.length}</strong>${result.triggers.length === 1 ? 'trigger' : 'triggers'}</li>
<li data-count="findings"><strong>${findings}</strong>${findings === 1 ? 'finding' : 'findings'}</li>
${severities}
</ul>
<label class="mask-toggle" for="show-quotes">Show text quoted from the data (masked by default: poisoned rows can be offensive)</label>
</header>`;
}

/** Scores of the suspect rows in HISTOGRAM_BINS equal bins over [0, 1] (a score of exactly 1 goes in the last). */
export function scoreHistogram(rows: readonly AuditRow[]): HistogramBin[] {
  const bins: HistogramBin[] = Array.from({ length: HISTOGRAM_BINS }, (_, i) => ({ from: i / HISTOGRAM_BINS, to: (i + 1) / HISTOGRAM_BINS, count: 0 }));
  for (const row of rows) {
    const score = Number.isFinite(row.score) ? Math.min(1, Math.max(0, row.score)) : 0;
    bins[Math.min(HISTOGRAM_BINS - 1, Math.floor(score * HISTOGRAM_BINS + 1e-9))]!.count++;
  }
  return bins;
}

function renderCharts(result: AuditResult): string {
  const totalRows = result.files.reduce((sum, f) => sum + f.rows, 0);
  const suspect = result.rows.length;
  const histogram = histogramSvg(scoreHistogram(result.rows), {
    id: 'score-histogram',
    title: 'Distribution of row scores',
    xLabel: 'row score (noisy-OR of the reasons)',
    yLabel: 'rows',
    threshold: result.threshold,
  });
  const multipleFiles = result.files.length > 1;
  const bars: Bar[] = [...result.triggers]
    .sort((a, b) => b.rows.length - a.rows.length)
    .slice(0, MAX_BARS)
    .map((t) => ({ label: t.text, value: t.rows.length, note: `${t.rule}${multipleFiles ? `, ${t.path}` : ''}` }));
  const clusters =
    bars.length > 0
      ? barChartSvg(bars, { id: 'trigger-sizes', title: 'Rows per trigger', xLabel: 'rows carrying the trigger' })
      : '<p class="muted" id="trigger-sizes-empty">No trigger named: no cluster of rows to chart.</p>';
  return `<h2>At a glance</h2>
<div class="charts">
<figure>${histogram}<figcaption>Scores of the ${suspect} ${suspect === 1 ? 'row' : 'rows'} with at least one reason; the other ${Math.max(
    0,
    totalRows - suspect,
  )} rows scored 0 and are not drawn. Red bars are at or above the threshold (dashed line): those rows are flagged.</figcaption></figure>
<figure>${clusters}<figcaption>Rows carrying each named trigger${
    result.triggers.length > MAX_BARS ? ` (the ${MAX_BARS} largest of ${result.triggers.length})` : ''
  }. Hover a bar for its rule.</figcaption></figure>
</div>`;
}

function rowList(rows: readonly number[]): string {
  const shown = rows.slice(0, MAX_TRIGGER_ROWS_PRINTED).map((r) => htmlText(r)).join(', ');
  return rows.length > MAX_TRIGGER_ROWS_PRINTED ? `${shown}, … (${rows.length} rows)` : shown;
}

function renderTriggers(result: AuditResult): string {
  if (result.triggers.length === 0) return '<h2 id="triggers">Triggers</h2>\n<p>No trigger named.</p>';
  const multipleFiles = result.files.length > 1;
  const sorted = [...result.triggers].sort((a, b) => b.score - a.score || b.rows.length - a.rows.length).slice(0, MAX_TRIGGERS_LISTED);
  const rows = sorted
    .map(
      (t) =>
        `<tr><td class="trigger">${htmlText(t.text, { max: 300 })}</td><td><code>${htmlText(t.rule)}</code></td><td class="wide">${quotedText(t.behaviour, t.text)}</td>` +
        `<td class="num">${t.rows.length}</td><td class="num">${htmlText(formatScore(t.score))}</td>${multipleFiles ? `<td class="path mono">${htmlText(t.path)}</td>` : ''}` +
        `<td class="mono wrap">${rowList(t.rows)}</td></tr>`,
    )
    .join('\n');
  const more = result.triggers.length > sorted.length ? `<p class="muted">${result.triggers.length - sorted.length} more triggers are in the JSON result.</p>` : '';
  return `<h2 id="triggers">Triggers</h2>
<table id="trigger-table">
<thead><tr><th>Trigger</th><th>Rule</th><th>Behaviour</th><th class="num">Rows</th><th class="num">Score</th>${multipleFiles ? '<th>File</th>' : ''}<th>Row indices</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>${more}`;
}

function formatScore(score: number): string {
  return Number.isFinite(score) ? score.toFixed(2) : String(score);
}

function rowKey(path: string, row: number): string {
  return `${row}\u0000${path}`;
}

function renderExamples(result: AuditResult): string {
  const triggers = [...result.triggers].sort((a, b) => b.score - a.score || b.rows.length - a.rows.length).slice(0, MAX_TRIGGERS_LISTED);
  if (triggers.length === 0) return '';
  // Only the rows shown are looked up: one pass over the rows and one over the findings, whatever their number.
  const wanted = new Set<string>();
  for (const t of triggers) for (const r of t.rows.slice(0, EXAMPLES_PER_TRIGGER)) wanted.add(rowKey(t.path, r));
  const rows = new Map<string, AuditRow>();
  for (const r of result.rows) {
    const key = rowKey(r.path, r.row);
    if (wanted.has(key)) rows.set(key, r);
  }
  const findings = findingsAt(result.findings, wanted);
  const sections = triggers.map((t) => renderTriggerExamples(t, rows, findings)).join('\n');
  return `<h2 id="examples">Example rows</h2>
<p class="muted">The first ${EXAMPLES_PER_TRIGGER} rows of each trigger, with every reason the detectors gave. Row numbers are 0-based indices in file order.</p>
${sections}`;
}

function findingsAt(findings: readonly Finding[], wanted: ReadonlySet<string>): Map<string, Finding[]> {
  const out = new Map<string, Finding[]>();
  for (const f of findings) {
    if (f.location.row === undefined) continue;
    const key = rowKey(f.location.path, f.location.row);
    if (!wanted.has(key)) continue;
    const list = out.get(key) ?? [];
    list.push(f);
    out.set(key, list);
  }
  return out;
}

function renderTriggerExamples(t: AuditTrigger, rows: ReadonlyMap<string, AuditRow>, findings: ReadonlyMap<string, Finding[]>): string {
  const examples = t.rows.slice(0, EXAMPLES_PER_TRIGGER).map((index) => {
    const key = rowKey(t.path, index);
    const row = rows.get(key);
    const evidence = (findings.get(key) ?? []).map((f) => renderEvidence(f)).join('');
    if (!row) return `<tr><td class="num">${htmlText(index)}</td><td></td><td></td><td class="muted">no reasons recorded for this row</td><td>${evidence}</td></tr>`;
    return `<tr><td class="num">${htmlText(row.row)}</td><td class="num">${row.line === undefined ? '' : htmlText(row.line)}</td><td class="num">${htmlText(
      formatScore(row.score),
    )}</td><td class="wide">${renderReasons(row)}</td><td class="wide">${evidence}</td></tr>`;
  });
  return `<section class="example" data-trigger-rule="${htmlText(t.rule)}">
<h3>Trigger <span class="trigger">${htmlText(t.text, { max: 300 })}</span> <span class="muted">· ${htmlText(t.rule)} · ${t.rows.length} ${
    t.rows.length === 1 ? 'row' : 'rows'
  }</span></h3>
<table>
<thead><tr><th class="num">Row</th><th class="num">Line</th><th class="num">Score</th><th>Reasons</th><th>Evidence</th></tr></thead>
<tbody>
${examples.join('\n')}
</tbody>
</table>
</section>`;
}

function renderReasons(row: AuditRow): string {
  const items = row.reasons.map(
    (r) =>
      `<li><code>${htmlText(r.rule)}</code> ${htmlText(formatScore(r.score))}: ${quotedText(r.message, r.trigger)}${
        r.trigger !== undefined ? ` <span class="muted">(trigger <span class="trigger">${htmlText(r.trigger, { max: 300 })}</span>)</span>` : ''
      }</li>`,
  );
  return `<ul class="reasons">${items.join('')}</ul>`;
}

function renderEvidence(finding: Finding): string {
  const { evidence } = finding;
  const entries: [string, string][] = [];
  entries.push(['rule', `<code>${htmlText(finding.ruleId)}</code>`]);
  if (evidence.match !== undefined) entries.push(['match', quote(evidence.match)]);
  if (evidence.excerpt !== undefined) entries.push(['excerpt', quote(evidence.excerpt)]);
  if (evidence.score !== undefined) entries.push(['score', htmlText(formatScore(evidence.score))]);
  for (const [key, value] of Object.entries(evidence.details ?? {})) {
    entries.push([key, typeof value === 'string' ? quotedText(value) : htmlText(value)]);
  }
  return `<dl class="evidence">${entries.map(([k, v]) => `<dt>${htmlText(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function renderFlagged(result: AuditResult): string {
  const flagged: AuditRow[] = [];
  let total = 0;
  for (const r of result.rows) {
    if (!r.flagged) continue;
    total++;
    if (flagged.length < MAX_FLAGGED_LISTED) flagged.push(r);
  }
  if (total === 0) return '<h2 id="flagged">Flagged rows</h2>\n<p>No row flagged.</p>';
  const multipleFiles = result.files.length > 1;
  const rows = flagged
    .map(
      (r) =>
        `<tr>${multipleFiles ? `<td class="path mono">${htmlText(r.path)}</td>` : ''}<td class="num">${htmlText(r.row)}</td><td class="num">${
          r.line === undefined ? '' : htmlText(r.line)
        }</td><td class="num">${htmlText(formatScore(r.score))}</td><td class="wide">${renderReasons(r)}</td></tr>`,
    )
    .join('\n');
  return `<h2 id="flagged">Flagged rows</h2>
<p class="muted">${total > flagged.length ? `The first ${flagged.length} of ${total} flagged rows; all are in the JSON result and in --quarantine.` : `${total} flagged ${total === 1 ? 'row' : 'rows'}.`}</p>
<table id="flagged-table">
<thead><tr>${multipleFiles ? '<th>File</th>' : ''}<th class="num">Row</th><th class="num">Line</th><th class="num">Score</th><th>Reasons</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function renderFindings(findings: readonly Finding[], rules: ReadonlyMap<string, RuleInfo>): string {
  if (findings.length === 0) return '<h2 id="findings">Findings</h2>\n<p>No findings.</p>';
  const sorted = [...findings]
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.location.row ?? 0) - (b.location.row ?? 0))
    .slice(0, MAX_FINDINGS_LISTED);
  const rows = sorted
    .map((f) => {
      const severity = htmlToken(f.severity, SEVERITIES);
      const rule = rules.get(f.ruleId);
      const ruleCell = rule
        ? `<details><summary><code>${htmlText(f.ruleId)}</code></summary><strong>${htmlText(rule.title)}</strong><p class="prose">${htmlText(rule.remediation, {
            keepLayout: true,
          })}</p></details>`
        : `<code>${htmlText(f.ruleId)}</code>`;
      return `<tr data-severity="${severity}"><td><span class="badge sev-${severity}">${htmlText(f.severity)}</span></td><td>${ruleCell}</td><td class="path mono">${htmlText(
        f.location.path,
      )}${f.location.row !== undefined ? ` row ${htmlText(f.location.row)}` : ''}</td><td class="wide">${quotedText(f.message)}</td><td class="wide">${renderEvidence(f)}</td></tr>`;
    })
    .join('\n');
  const more = findings.length > sorted.length ? `<p class="muted">${findings.length - sorted.length} more findings are in the JSON result.</p>` : '';
  return `<h2 id="findings">Findings</h2>
<table id="findings-table">
<thead><tr><th>Severity</th><th>Rule</th><th>Where</th><th>Message</th><th>Evidence</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>${more}`;
}

function renderFiles(files: readonly AuditFile[]): string {
  if (files.length === 0) return '<h2 id="files">Files</h2>\n<p>No files.</p>';
  const rows = files
    .map((f) => {
      const status = htmlToken(f.status, FILE_STATUSES);
      return `<tr><td><span class="badge st-${status}">${htmlText(f.status)}</span></td><td class="path mono">${htmlText(f.path)}</td><td>${htmlText(
        f.format,
      )}</td><td>${htmlText(f.shape)}</td><td class="num">${htmlText(f.rows)}</td><td class="num">${htmlText(f.badRows)}</td><td class="num">${htmlText(
        f.flaggedRows,
      )}</td><td>${f.reason === undefined ? '' : htmlText(f.reason)}</td></tr>`;
    })
    .join('\n');
  return `<h2 id="files">Files</h2>
<table id="files-table">
<thead><tr><th>Status</th><th>Path</th><th>Format</th><th>Shape</th><th class="num">Rows</th><th class="num">Unreadable</th><th class="num">Flagged</th><th>Reason</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function renderRules(rules: readonly RuleInfo[]): string {
  if (rules.length === 0) return '';
  const items = rules
    .map((rule) => {
      const severity = htmlToken(rule.defaultSeverity, SEVERITIES);
      const tags = rule.tags.length > 0 ? `<p class="muted">Tags: ${rule.tags.map((t) => `<code>${htmlText(t)}</code>`).join(', ')}</p>` : '';
      return `<details><summary><code>${htmlText(rule.id)}</code> ${htmlText(rule.title)} <span class="badge sev-${severity}">${htmlText(
        rule.defaultSeverity,
      )}</span></summary><p class="prose">${htmlText(rule.description, { keepLayout: true })}</p><p class="prose"><strong>Remediation:</strong> ${htmlText(
        rule.remediation,
        { keepLayout: true },
      )}</p>${tags}</details>`;
    })
    .join('\n');
  return `<h2 id="rules">Rules</h2>\n${items}`;
}
