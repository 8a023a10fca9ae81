import { basename, dirname, relative, resolve, sep } from 'node:path';
import { VERSION } from '../../version.js';
import type { CdxComponent, CdxComponentData, CdxModelCard, CdxProperty, CycloneDxBom } from './cyclonedx-types.js';
import { hubPurl, hubUrl, isHubId } from './hub-ids.js';
import { MODEL_FORMATS } from './model-formats.js';
import { scanFactsByPath, scanProperties, vulnerabilitiesOf, worstStatus, type ScanFacts } from './scan-verdicts.js';
import { serialNumber } from './serial-number.js';
import { licenseChoice } from './spdx-license.js';
import type { BomDataset, BomFile, BomInput, BomLockStatus, BomModel, BomOptions, BomSignature } from './types.js';

/*
 * A CycloneDX 1.6 ML-BOM from the gathered facts: models as `machine-learning-model` components (their files
 * nested, model card facts where CycloneDX puts them: base models in `pedigree.ancestors`, training datasets
 * in `modelCard.modelParameters.datasets`, the licence in `licenses`), datasets as `data` components, every
 * other file as a `file` component, each with its sha256. Scan, lock and signature verdicts are
 * `antidote:*` properties; findings are also `vulnerabilities` (scan-verdicts.ts says why both).
 * Pure: the same input gives the same BOM; every list is sorted by code unit, never by locale.
 */

/** The `$schema` antidote's BOMs declare; the tests validate against the bundled copy. */
export const BOM_SCHEMA_URL = 'http://cyclonedx.org/schema/bom-1.6.schema.json';

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function prop(name: string, value: string | number | boolean): CdxProperty {
  return { name, value: String(value) };
}

/** Lock statuses from worst to best: one modified file makes the whole model modified. */
const LOCK_ORDER: readonly BomLockStatus[] = ['modified', 'not-locked', 'locked', 'verified'];

function worstLock(statuses: BomLockStatus[]): BomLockStatus {
  return LOCK_ORDER.find((s) => statuses.includes(s)) ?? 'verified';
}

/**
 * The worst of several signature statuses: any status other than `verified` or `unverifiable` (`failed`, or
 * one this version does not know) wins, then `unverifiable`; all must be `verified` to be verified.
 */
function worstSignature(statuses: string[]): string {
  return statuses.find((s) => s !== 'verified' && s !== 'unverifiable') ?? (statuses.includes('unverifiable') ? 'unverifiable' : 'verified');
}

class BomAssembler {
  private readonly scanned: boolean;
  private readonly facts: Map<string, ScanFacts>;
  private readonly files: Map<string, BomFile>;
  private readonly datasetPaths: Set<string>;
  /** On-disk path -> bom-ref of the component that stands for it. */
  readonly refs = new Map<string, string>();

  constructor(private readonly input: BomInput) {
    this.scanned = input.scan !== undefined;
    this.facts = scanFactsByPath(input.scan);
    this.files = new Map(input.files.map((f) => [f.path, f]));
    this.datasetPaths = new Set(input.datasets.map((d) => d.path));
  }

  private factsOf(path: string): ScanFacts {
    return this.facts.get(path) ?? { status: 'not-scanned', findings: [] };
  }

  /** Findings on the folder, its subfolders and every file in them (datasets excepted: they are components of their own). */
  private findingsUnder(folder: string): ScanFacts['findings'] {
    const root = resolve(folder);
    return [...this.facts.entries()]
      .filter(([path]) => !this.datasetPaths.has(path) && (resolve(path) === root || resolve(path).startsWith(`${root}${sep}`)))
      .flatMap(([, facts]) => facts.findings);
  }

  /** The component a path belongs to: its own, else that of the nearest folder above it that has one. */
  refFor(path: string): string | undefined {
    for (let p = path; ; ) {
      const ref = this.refs.get(p);
      if (ref !== undefined) return ref;
      const up = dirname(p);
      if (up === p) return undefined;
      p = up;
    }
  }

  private lockOf(path: string): BomLockStatus | undefined {
    const lock = this.input.lock;
    if (!lock || lock.exempt?.has(path)) return undefined;
    return lock.files.get(path) ?? 'not-locked';
  }

  private lockProperties(paths: string[]): CdxProperty[] {
    const statuses = paths.map((p) => this.lockOf(p)).filter((s): s is BomLockStatus => s !== undefined);
    return statuses.length > 0 ? [prop('antidote:lock:status', worstLock(statuses))] : [];
  }

  private fileProperties(file: BomFile): CdxProperty[] {
    const props = [prop('antidote:path', file.path), prop('antidote:format', file.format), prop('antidote:size', file.size)];
    // A file that could not be read has no hash: say so, rather than list it as if it had been checked.
    if (file.sha256 === null) props.push(prop('antidote:sha256', 'unavailable'));
    return props;
  }

  private hashes(file: BomFile | undefined): Pick<CdxComponent, 'hashes'> {
    return file?.sha256 ? { hashes: [{ alg: 'SHA-256', content: file.sha256 }] } : {};
  }

  fileComponent(file: BomFile, name: string): CdxComponent {
    const ref = `file:${file.path}`;
    this.refs.set(file.path, ref);
    return {
      type: 'file',
      'bom-ref': ref,
      name,
      ...this.hashes(file),
      properties: [...this.fileProperties(file), ...scanProperties(this.factsOf(file.path), this.scanned), ...this.lockProperties([file.path])],
    };
  }

  modelComponent(model: BomModel, signatures: BomSignature[]): CdxComponent {
    const ref = `model:${model.path}`;
    this.refs.set(model.path, ref);
    const own = model.kind === 'file' ? this.files.get(model.path) : undefined;
    const members = model.kind === 'folder' ? model.files.filter((p) => !this.datasetPaths.has(p) && this.files.has(p)).sort(byCodeUnit) : [];
    const nested = members.map((p) => this.fileComponent(this.files.get(p)!, relative(model.path, p).split(sep).join('/')));
    const paths = model.kind === 'file' ? [model.path] : members;

    // The model's verdict covers every file in it plus what folder-level detectors said about the folder.
    const weightStatuses = paths.filter((p) => MODEL_FORMATS.has(this.files.get(p)?.format ?? '')).map((p) => this.factsOf(p).status);
    const findings = model.kind === 'folder' ? this.findingsUnder(model.path) : this.factsOf(model.path).findings;
    const facts: ScanFacts = { status: weightStatuses.length > 0 ? worstStatus(weightStatuses) : 'not-scanned', findings };

    const weights = paths.map((p) => this.files.get(p)).filter((f): f is BomFile => f !== undefined && MODEL_FORMATS.has(f.format));
    const formats = [...new Set(weights.map((f) => f.format))].sort(byCodeUnit);
    const props: CdxProperty[] = [prop('antidote:path', model.path), prop('antidote:model:kind', model.kind)];
    for (const format of formats) props.push(prop('antidote:model:weight-format', format));
    if (own) props.push(prop('antidote:format', own.format), prop('antidote:size', own.size));
    if (model.kind === 'folder') props.push(prop('antidote:model-card', model.card === null ? 'missing' : model.card.hasFrontMatter ? 'present' : 'no-front-matter'));
    if (model.config?.nameOrPath !== undefined) props.push(prop('antidote:config:name-or-path', model.config.nameOrPath));
    if (model.config?.problem !== undefined) props.push(prop('antidote:config:problem', model.config.problem));
    props.push(...scanProperties(facts, this.scanned), ...this.lockProperties(paths));
    if (signatures.length > 0) {
      props.push(prop('antidote:signature:status', worstSignature(signatures.map((s) => s.status))));
      for (const sig of signatures) {
        props.push(prop('antidote:signature:file', sig.signature));
        if (sig.signer !== undefined) props.push(prop('antidote:signature:signer', sig.signer));
        if (sig.reason !== undefined) props.push(prop('antidote:signature:reason', sig.reason));
      }
    }

    const component: CdxComponent = {
      type: 'machine-learning-model',
      'bom-ref': ref,
      name: basename(resolve(model.path)),
      ...this.hashes(own),
    };
    const license = model.card?.license;
    if (license) component.licenses = [licenseChoice(license)];
    const ancestors = [...new Set([...(model.card?.baseModel ?? []), ...(model.config?.adapterBaseModel ? [model.config.adapterBaseModel] : [])])];
    if (ancestors.length > 0) {
      component.pedigree = {
        ancestors: ancestors.map((id) => ({ type: 'machine-learning-model', name: id, ...(isHubId(id) ? { purl: hubPurl(id) } : {}) })),
      };
    }
    const card = modelCardOf(model);
    if (card) component.modelCard = card;
    if (nested.length > 0) component.components = nested;
    component.properties = props;
    return component;
  }

  dataComponent(dataset: BomDataset): CdxComponent {
    const file = this.files.get(dataset.path);
    const ref = `data:${dataset.path}`;
    this.refs.set(dataset.path, ref);
    const props: CdxProperty[] = file ? this.fileProperties(file) : [prop('antidote:path', dataset.path)];
    props.push(prop('antidote:dataset:format', dataset.format));
    if (dataset.rows !== undefined) props.push(prop('antidote:dataset:rows', dataset.rows));
    if (dataset.badRows !== undefined) props.push(prop('antidote:dataset:bad-rows', dataset.badRows));
    for (const column of dataset.columns ?? []) props.push(prop('antidote:dataset:column', `${column.name}: ${column.type}`));
    if (dataset.problem !== undefined) props.push(prop('antidote:dataset:problem', dataset.problem));
    props.push(...scanProperties(this.factsOf(dataset.path), this.scanned), ...this.lockProperties([dataset.path]));
    const described = [dataset.format, dataset.rows !== undefined ? `${dataset.rows} rows` : 'rows not read', dataset.columns ? `${dataset.columns.length} columns` : undefined]
      .filter((s): s is string => s !== undefined)
      .join(', ');
    const data: CdxComponentData = { type: 'dataset', name: basename(dataset.path), description: described };
    return {
      type: 'data',
      'bom-ref': ref,
      name: basename(dataset.path),
      ...this.hashes(file),
      ...(dataset.license ? { licenses: [licenseChoice(dataset.license)] } : {}),
      data: [data],
      properties: props,
    };
  }
}

function modelCardOf(model: BomModel): CdxModelCard | undefined {
  const params: NonNullable<CdxModelCard['modelParameters']> = {};
  if (model.config?.modelType !== undefined) params.architectureFamily = model.config.modelType;
  if (model.config?.architecture !== undefined) params.modelArchitecture = model.config.architecture;
  const datasets = model.card?.datasets ?? [];
  if (datasets.length > 0) {
    params.datasets = datasets.map((name): CdxComponentData => ({ type: 'dataset', name, ...(isHubId(name) ? { contents: { url: hubUrl(name, 'dataset') } } : {}) }));
  }
  return Object.keys(params).length > 0 ? { modelParameters: params } : undefined;
}

function metadataProperties(input: BomInput): CdxProperty[] {
  const props = input.inputs.map((p) => prop('antidote:input', p));
  props.push(prop('antidote:scan:run-status', input.scan?.status ?? 'not-scanned'));
  for (const problem of input.problems ?? []) props.push(prop('antidote:problem', problem));
  const lock = input.lock;
  if (lock) {
    props.push(prop('antidote:lock:file', lock.file));
    const statuses = input.files.filter((f) => !lock.exempt?.has(f.path)).map((f) => lock.files.get(f.path) ?? 'not-locked');
    props.push(prop('antidote:lock:status', lock.missing.length > 0 ? 'modified' : worstLock(statuses)));
    if (lock.source !== undefined) props.push(prop('antidote:lock:source', lock.source));
    for (const missing of [...lock.missing].sort(byCodeUnit)) props.push(prop('antidote:lock:missing-file', missing));
  }
  const signatures = input.signatures ?? [];
  if (signatures.length > 0) {
    props.push(prop('antidote:signature:status', worstSignature(signatures.map((s) => s.status))));
    for (const sig of signatures) props.push(prop('antidote:signature', `${sig.signature}: ${sig.status} (${sig.model})`));
  }
  return props;
}

/** Build the BOM; see {@link BomOptions} for reproducible output. */
export function buildBom(input: BomInput, options: BomOptions = {}): CycloneDxBom {
  const assembler = new BomAssembler(input);
  const datasetPaths = new Set(input.datasets.map((d) => d.path));
  const signatures = [...(input.signatures ?? [])].sort((a, b) => byCodeUnit(a.signature, b.signature));

  const models = [...input.models].sort((a, b) => byCodeUnit(a.path, b.path));
  const claimed = new Set<string>();
  const modelComponents = models.map((model) => {
    for (const p of model.kind === 'file' ? [model.path] : model.files) claimed.add(p);
    // OpenSSF model signatures cover a whole folder or one file: a signature belongs to the model it names.
    const own = signatures.filter((s) => resolve(s.model) === resolve(model.path));
    return assembler.modelComponent(model, own);
  });
  const datasets = [...input.datasets].sort((a, b) => byCodeUnit(a.path, b.path));
  const dataComponents = datasets.map((d) => assembler.dataComponent(d));
  const loose = input.files.filter((f) => !claimed.has(f.path) && !datasetPaths.has(f.path)).sort((a, b) => byCodeUnit(a.path, b.path));
  const fileComponents = loose.map((f) => assembler.fileComponent(f, f.path));

  const vulnerabilities = vulnerabilitiesOf(input.scan, (path) => assembler.refFor(path));
  const deterministic = options.deterministic === true || options.sourceDateEpoch !== undefined;
  const timestamp =
    options.sourceDateEpoch !== undefined ? new Date(options.sourceDateEpoch * 1000).toISOString() : deterministic ? undefined : (options.now?.() ?? new Date()).toISOString();

  const body = {
    metadata: {
      ...(timestamp !== undefined ? { timestamp } : {}),
      tools: { components: [{ type: 'application' as const, 'bom-ref': 'tool:antidote', name: 'antidote', version: VERSION }] },
      properties: metadataProperties({ ...input, signatures }),
    },
    components: [...modelComponents, ...dataComponents, ...fileComponents],
    ...(vulnerabilities.length > 0 ? { vulnerabilities } : {}),
  };
  return {
    $schema: BOM_SCHEMA_URL,
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    // Derived from everything else in the BOM, so equal content means an equal serial and nothing more.
    serialNumber: serialNumber(deterministic ? JSON.stringify(body) : undefined),
    version: 1,
    ...body,
  };
}
