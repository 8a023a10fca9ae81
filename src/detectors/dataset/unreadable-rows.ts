import { defineDatasetDetector } from './dataset-detector.js';

/*
 * Rows the reader or the field mapping could not turn into text. They are not known to be clean, so each
 * one is flagged (score 1: it goes to `--quarantine`) and reported with its line. The audit itself reports
 * through this detector as rows stream in; it has no hook of its own.
 */

const MESSAGES = {
  badRow: 'row could not be read ({{where}}): {{message}}',
  badBlock: '{{rows}} rows could not be read ({{where}}): {{message}}',
  moreBadRows: '{{count}} more unreadable rows not listed one by one (all are flagged)',
  stopped: 'reading stopped after {{rows}} rows: {{message}}; the rest of the file was not audited',
  fileIssue: 'the file has a problem outside any one row ({{where}}): {{message}}',
  truncated: '{{count}} rows have a field longer than the audit examines; only its start was checked',
} as const;

export default defineDatasetDetector({
  id: 'dataset/unreadable-rows',
  title: 'Dataset rows that could not be read',
  description:
    'A row that is not valid JSON, lacks the prompt or response field, or holds a value of the wrong type ' +
    'cannot be audited, and a training loader may still read it in some other way (or skip it, shifting ' +
    'every later row). Such rows are flagged so that they are never silently treated as clean.',
  remediation:
    'Fix or remove the rows named by line; check the field mapping (--fields, --shape) when many rows fail ' +
    'the same way. Re-run the audit on the repaired file.',
  defaultSeverity: 'medium',
  tags: ['OWASP-LLM04', 'AML.T0020', 'CWE-20'],
  messages: MESSAGES,
  requires: { network: false, unsafe: false },
});
