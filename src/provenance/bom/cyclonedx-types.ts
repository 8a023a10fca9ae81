/*
 * The part of CycloneDX 1.6 (schemas/cyclonedx/bom-1.6.SNAPSHOT.schema.json) that antidote writes, typed so
 * the compiler catches a misspelt field before the schema test does. Field names are the specification's.
 */

/** A name-value pair; CycloneDX allows repeated names. */
export interface CdxProperty {
  name: string;
  value: string;
}

/** A hash of a component's bytes. */
export interface CdxHash {
  alg: 'SHA-256';
  content: string;
}

/** One licence: an SPDX id when it is one, otherwise its name as declared. */
export type CdxLicenseChoice = { license: { id: string; acknowledgement?: 'declared' | 'concluded' } } | { license: { name: string; acknowledgement?: 'declared' | 'concluded' } };

/** A dataset as the model card describes it (componentData), or a reference to a data component in the BOM. */
export interface CdxComponentData {
  type: 'dataset' | 'configuration' | 'source-code' | 'definition' | 'other';
  name?: string;
  'bom-ref'?: string;
  contents?: { url?: string; properties?: CdxProperty[] };
  description?: string;
}

/** The model card of a machine-learning-model component. */
export interface CdxModelCard {
  modelParameters?: {
    task?: string;
    architectureFamily?: string;
    modelArchitecture?: string;
    datasets?: (CdxComponentData | { ref: string })[];
  };
  properties?: CdxProperty[];
}

/** A component: a model, a dataset, a file. */
export interface CdxComponent {
  type: 'machine-learning-model' | 'data' | 'file' | 'application';
  'bom-ref'?: string;
  name: string;
  version?: string;
  description?: string;
  hashes?: CdxHash[];
  licenses?: CdxLicenseChoice[];
  purl?: string;
  pedigree?: { ancestors?: CdxComponent[]; notes?: string };
  modelCard?: CdxModelCard;
  data?: CdxComponentData[];
  components?: CdxComponent[];
  properties?: CdxProperty[];
}

/** Who reported a vulnerability or calculated a rating. */
export interface CdxSource {
  name: string;
  url?: string;
}

/** A weakness in a component: here, one scan finding. */
export interface CdxVulnerability {
  'bom-ref': string;
  id: string;
  source: CdxSource;
  references?: { id: string; source: CdxSource }[];
  ratings: { source: CdxSource; severity: 'critical' | 'high' | 'medium' | 'low' | 'info'; method: 'other' }[];
  cwes?: number[];
  description?: string;
  detail?: string;
  recommendation?: string;
  affects?: { ref: string }[];
  properties?: CdxProperty[];
}

/** A CycloneDX 1.6 BOM as antidote writes it. */
export interface CycloneDxBom {
  $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json';
  bomFormat: 'CycloneDX';
  specVersion: '1.6';
  serialNumber: string;
  version: 1;
  metadata: {
    timestamp?: string;
    tools: { components: CdxComponent[] };
    properties?: CdxProperty[];
  };
  components: CdxComponent[];
  vulnerabilities?: CdxVulnerability[];
}
