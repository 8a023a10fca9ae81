import type { Finding } from '../core/finding.js';
import type { FileRecord, RuleInfo, ScanResult } from '../core/result.js';
import { SEVERITIES, severityRank } from '../core/severity.js';
import { cspHash, htmlText, htmlToken } from './html-text.js';

/*
 * One self-contained page that works opened from disk or as a CI artifact: inline CSS, a few lines of
 * inline JS for the severity filter, nothing fetched. Every string from the result is attacker-controlled
 * (a path inside a hostile zip, a message quoting a hostile module name), so all of them go through `text()`.
 * The Content-Security-Policy allows only this page's own style and script, by hash: even if an escape
 * were missed, an injected <script>, inline handler or remote load would not run.
 */

const STYLE = `
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --line: #d1d9e0;
  --critical: #a40e26; --high: #d1242f; --medium: #9a6700; --low: #0969da; --info: #59636e; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #151b23;
  --line: #3d444d; --critical: #ff7b93; --high: #ff8182; --medium: #d29922; --low: #4493f8; --info: #9198a1; --ok: #3fb950; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; font: 14px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: var(--muted); margin: 0 0 12px; }
.banner { border: 1px solid var(--medium); border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
.banner.failed { border-color: var(--high); }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; background: var(--panel); }
.counts strong { font-size: 18px; margin-right: 6px; }
.filters { margin: 8px 0; } .filters label { margin-right: 12px; white-space: nowrap; }
table { width: 100%; border-collapse: collapse; table-layout: auto; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--panel); font-weight: 600; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
/* Paths and hashes have no spaces; let them wrap anywhere, but only where they must. */
.path, .mono { overflow-wrap: anywhere; }
.badge { display: inline-block; min-width: 72px; text-align: center; border-radius: 4px; padding: 1px 6px;
  font-size: 11px; font-weight: 700; text-transform: uppercase; color: #ffffff; background: var(--info); }
.sev-critical { background: var(--critical); } .sev-high { background: var(--high); }
.sev-medium { background: var(--medium); } .sev-low { background: var(--low); } .sev-info { background: var(--info); }
.st-scanned, .st-succeeded { background: var(--ok); } .st-partial { background: var(--medium); }
.st-failed { background: var(--high); } .st-skipped { background: var(--info); }
.evidence { margin: 0; display: grid; grid-template-columns: max-content 1fr; gap: 0 8px; }
.evidence dt { color: var(--muted); } .evidence dd { margin: 0; overflow-wrap: anywhere; }
/* Keep the path readable and the evidence from taking the whole row: both wrap inside a bounded width. */
td.path { min-width: 16em; max-width: 26em; } td:last-child { min-width: 20em; max-width: 30em; }
details summary { cursor: pointer; } .prose { white-space: pre-line; margin: 6px 0; }
.muted { color: var(--muted); }
`;

const SCRIPT = `
(function () {
  var boxes = document.querySelectorAll('input[data-severity-filter]');
  var bar = document.getElementById('filters');
  if (bar) bar.hidden = false;
  function apply() {
    var shown = {};
    boxes.forEach(function (box) { shown[box.getAttribute('data-severity-filter')] = box.checked; });
    document.querySelectorAll('tr[data-severity]').forEach(function (row) {
      row.hidden = shown[row.getAttribute('data-severity')] === false;
    });
  }
  boxes.forEach(function (box) { box.addEventListener('change', apply); });
})();
`;

/** Nothing may load from anywhere; only the two inline blocks above, identified by hash, may apply. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${cspHash(STYLE)}`,
  `script-src ${cspHash(SCRIPT)}`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Untrusted string to HTML text or attribute value, unclipped: a scan finding is shown whole. */
function text(value: unknown, options: { keepLayout?: boolean } = {}): string {
  return htmlText(value, { ...options, max: Number.POSITIVE_INFINITY });
}

/** A path as HTML text that prefers to wrap after `/` and `!` (separators) over mid-name. */
function pathText(value: string): string {
  return text(value).replace(/[/!]/g, '$&<wbr>');
}

const token = htmlToken;

const FILE_STATUSES = ['scanned', 'partial', 'failed', 'skipped'] as const;
const RUN_STATUSES = ['succeeded', 'partial', 'failed'] as const;

/**
 * Render a scan result as one self-contained HTML page: run status and counts per severity, a findings
 * table filterable by severity with each rule's description and remediation joined in, the rules, and
 * the files with their status.
 */
export function renderHtml(result: ScanResult): string {
  const rules = new Map<string, RuleInfo>();
  for (const rule of result.rules) if (!rules.has(rule.id)) rules.set(rule.id, rule);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${text(CONTENT_SECURITY_POLICY)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>antidote report: ${text(result.status)}</title>
<style>${STYLE}</style>
</head>
<body>
${renderHeader(result)}
${renderFindings(result.findings, rules)}
${renderRules(result.rules)}
${renderFiles(result.files)}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function renderHeader(result: ScanResult): string {
  const status = token(result.status, RUN_STATUSES);
  const total = SEVERITIES.reduce((sum, s) => sum + (result.summary[s] ?? 0), 0);
  const counts = [...SEVERITIES]
    .reverse()
    .map(
      (s) =>
        `<li><strong>${text(result.summary[s] ?? 0)}</strong><span class="badge sev-${s}">${s}</span></li>`,
    )
    .join('');
  const unread = result.files.filter((f) => f.status === 'partial' || f.status === 'failed').length;
  const banner =
    result.status === 'succeeded'
      ? ''
      : `<p class="banner ${status}" role="alert">${
          result.status === 'failed'
            ? 'The scan could not read any input: no verdict is possible.'
            : `${unread} ${unread === 1 ? 'file was' : 'files were'} not read completely: what could not be read is not known to be clean.`
        }</p>`;
  const inputs = result.inputs.map((input) => `<code class="path">${text(input)}</code>`).join(', ');
  return `<header>
<h1>antidote report <span class="badge st-${status}">${text(result.status)}</span></h1>
<p class="meta">${text(result.tool.name)} ${text(result.tool.version)} · started ${text(result.startedAt)} · ${text(
    Math.round(result.durationMs),
  )} ms · ${result.files.length} ${result.files.length === 1 ? 'file' : 'files'} · inputs: ${inputs || '<span class="muted">none</span>'}</p>
${banner}
<ul class="counts" aria-label="Findings per severity"><li><strong>${total}</strong>${total === 1 ? 'finding' : 'findings'}</li>${counts}</ul>
</header>`;
}

function renderFindings(findings: Finding[], rules: ReadonlyMap<string, RuleInfo>): string {
  if (findings.length === 0) return '<h2>Findings</h2>\n<p>No findings.</p>';
  const sorted = [...findings].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      (a.location.path < b.location.path ? -1 : a.location.path > b.location.path ? 1 : 0),
  );
  const filters = SEVERITIES.map(
    (s) =>
      `<label><input type="checkbox" data-severity-filter="${s}" checked> <span class="badge sev-${s}">${s}</span></label>`,
  )
    .reverse()
    .join('');
  const rows = sorted.map((finding) => renderFindingRow(finding, rules.get(finding.ruleId))).join('\n');
  return `<h2>Findings</h2>
<div class="filters" id="filters" hidden>Show: ${filters}</div>
<table>
<thead><tr><th>Severity</th><th>Rule</th><th>Path</th><th>Message</th><th>Evidence</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function renderFindingRow(finding: Finding, rule: RuleInfo | undefined): string {
  const severity = token(finding.severity, SEVERITIES);
  const ruleCell = rule
    ? `<details><summary><code>${text(finding.ruleId)}</code></summary><strong>${text(rule.title)}</strong>` +
      `<p class="prose">${text(rule.description, { keepLayout: true })}</p>` +
      `<p class="prose"><strong>Remediation:</strong> ${text(rule.remediation, { keepLayout: true })}</p></details>`
    : `<code>${text(finding.ruleId)}</code>`;
  return `<tr data-severity="${severity}"><td><span class="badge sev-${severity}">${text(finding.severity)}</span></td><td>${ruleCell}</td><td class="path mono">${pathText(
    finding.location.path,
  )}</td><td>${text(finding.message)}</td><td>${renderEvidence(finding)}</td></tr>`;
}

function renderEvidence(finding: Finding): string {
  const { location, evidence } = finding;
  const entries: [string, string][] = [];
  if (evidence.opcode !== undefined) entries.push(['opcode', evidence.opcode]);
  if (location.offset !== undefined) entries.push(['offset', `${location.offset} (0x${location.offset.toString(16)})`]);
  if (location.pickleIndex !== undefined) entries.push(['pickle', `#${location.pickleIndex}`]);
  if (location.row !== undefined) entries.push(['row', String(location.row)]);
  if (location.jsonPath !== undefined) entries.push(['at', location.jsonPath]);
  if (evidence.rule !== undefined) entries.push(['rule', evidence.rule]);
  if (evidence.match !== undefined) entries.push(['match', evidence.match]);
  if (evidence.score !== undefined) entries.push(['score', evidence.score.toFixed(2)]);
  if (evidence.excerpt !== undefined) entries.push(['excerpt', evidence.excerpt]);
  for (const [key, value] of Object.entries(evidence.details ?? {})) entries.push([key, String(value)]);
  if (entries.length === 0) return '';
  const items = entries.map(([key, value]) => `<dt>${text(key)}</dt><dd><code>${text(value)}</code></dd>`).join('');
  return `<dl class="evidence">${items}</dl>`;
}

function renderRules(rules: RuleInfo[]): string {
  if (rules.length === 0) return '';
  const items = rules
    .map((rule) => {
      const severity = token(rule.defaultSeverity, SEVERITIES);
      const tags = rule.tags.length > 0 ? `<p class="muted">Tags: ${rule.tags.map((t) => `<code>${text(t)}</code>`).join(', ')}</p>` : '';
      return `<details><summary><code>${text(rule.id)}</code> ${text(rule.title)} <span class="badge sev-${severity}">${text(
        rule.defaultSeverity,
      )}</span></summary><p class="prose">${text(rule.description, { keepLayout: true })}</p><p class="prose"><strong>Remediation:</strong> ${text(
        rule.remediation,
        { keepLayout: true },
      )}</p>${tags}</details>`;
    })
    .join('\n');
  return `<h2>Rules</h2>\n${items}`;
}

function renderFiles(files: FileRecord[]): string {
  if (files.length === 0) return '<h2>Files</h2>\n<p>No files.</p>';
  const rows = files
    .map((file) => {
      const status = token(file.status, FILE_STATUSES);
      const hash = file.sha256 === null ? '<span class="muted">not hashed</span>' : `<code class="mono">${text(file.sha256)}</code>`;
      return `<tr><td><span class="badge st-${status}">${text(file.status)}</span></td><td class="path mono">${pathText(
        file.path,
      )}</td><td>${text(file.format)}</td><td>${text(file.size)}</td><td>${hash}</td><td>${
        file.reason === undefined ? '' : text(file.reason)
      }</td></tr>`;
    })
    .join('\n');
  return `<h2>Files</h2>
<table>
<thead><tr><th>Status</th><th>Path</th><th>Format</th><th>Bytes</th><th>SHA-256</th><th>Reason</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}
