/**
 * antidote's library API: everything the CLI does is callable from here.
 * Layers (arrows point down): cli -> scan -> detectors -> readers/policy/report -> core.
 */
export * from './core/index.js';
export { scan, scanBytes, sha256Of, type ScanOptions, type ScanProgress } from './scan/scan.js';
export { allDetectors, scanDetectors, detectorsInFamily } from './detectors/registry.js';
export { loadPicklePolicy, readPolicyFile, validatePolicyFile, PicklePolicy, DEFAULT_PICKLE_POLICY_PATH } from './policy/pickle-policy.js';
export type { PicklePolicyFile, PolicyEntry } from './policy/pickle-policy.js';
export { disassemblePickle, sniffPickle } from './readers/pickle/index.js';
export type { PickleAnalysis, PickleImport, PickleCall, PickleIssue, GlobalRef } from './readers/pickle/index.js';
export { renderReport, REPORT_FORMATS, type ReportFormat } from './report/index.js';
export { parseResult } from './report/json.js';
export * from './provenance/lock/index.js';
export * from './provenance/signing/index.js';
export * from './provenance/policy/index.js';
export * from './provenance/bom/index.js';
export { main as runCli } from './cli/main.js';
export { VERSION } from './version.js';
export { openDataset, openDatasetStream, readDatasetRows, collectDataset, detectDatasetFormat, isDatasetPath, findDatasetFiles, DEFAULT_DATASET_LIMITS, resolveDatasetLimits, detectShape, resolveShape, rowParts } from './readers/dataset/index.js';
export type { OpenedDataset, OpenDatasetOptions, DatasetEvent, DatasetRecord, BadRecord, DatasetValue, DatasetFormat, DatasetColumn, DatasetLimits, DatasetIssue, DatasetRows, DatasetShape, ShapeFields, ShapeMapping, RowParts } from './readers/dataset/index.js';
export { audit, auditDataset, assembleResult, DEFAULT_THRESHOLD, DEFAULT_FALSE_DISCOVERY_RATE, type AuditInput, type AuditOptions, type FileAudit } from './audit/audit.js';
export { renderAuditReport, renderAuditJson, renderAuditSarif, renderAuditText, AUDIT_RENDERERS, auditReportFormats, type AuditRenderer } from './audit/report.js';
export { writeSplit, type SplitCounts } from './audit/split-output.js';
export { readClassProbabilities, parseClassProbabilities } from './audit/class-probabilities.js';
export { embeddingProviderFor } from './audit/embeddings/embedding-spec.js';
export { endpointProvider, type EndpointOptions } from './audit/embeddings/endpoint-provider.js';
export { localModelProvider } from './audit/embeddings/local-model-provider.js';
export { hashedProvider, hashedEmbedding } from './audit/embeddings/hashed-provider.js';
export type { EmbeddingProvider } from './audit/embeddings/provider.js';
export type { SuppliedProbabilities, RowEmbeddings } from './detectors/dataset/supplied-data.js';
export { findLabelIssues, type ConfidentLearningResult, type PruneMethod, type RankMethod } from './detectors/dataset/confident-learning.js';
export { auditDetectors } from './detectors/registry.js';
export { defineDatasetDetector, type DatasetDetector, type DatasetContext, type AuditRowText, type RowFlag, type TriggerReport } from './detectors/dataset/dataset-detector.js';
export type { DatasetCorpus, TokenColumn, Vocabulary } from './detectors/dataset/corpus.js';
export { AUDIT_RESULT_VERSION, type AuditFile, type AuditResult, type AuditRow, type AuditTrigger, type RowReason } from './audit/result.js';
export { renderAuditHtml } from './report/audit-html.js';
export { parseAuditResult, checkAuditResult, looksLikeAuditResult } from './report/audit-json.js';
export { findInjectedInstructions, injectionScore, type InjectionMatch, type InjectionKind, type InjectionScan } from './detectors/text/injected-instructions.js';
export { findEntities, type EntityMention, type EntityKind } from './detectors/text/entities.js';
export { sentimentOf, sentimentPolarity, type SentimentTally } from './detectors/text/sentiment.js';
