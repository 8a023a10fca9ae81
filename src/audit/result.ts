/*
 * The audit result contract lives in core (src/core/audit-result.ts) so that reporters, which may import
 * core only, can render it; this module keeps the audit's own import path.
 */
export {
  AUDIT_RESULT_VERSION,
  type AuditFile,
  type AuditResult,
  type AuditRow,
  type AuditTrigger,
  type RowReason,
} from '../core/audit-result.js';
