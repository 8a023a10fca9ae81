import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fileUri, renderSarif } from '../../src/report/sarif.js';
import { hostileResult, sampleResult } from './sample-result.js';
import { describeErrors, validateSarif } from './schema-validators.js';

/** Just enough of the SARIF shape to navigate the log in assertions. */
interface Log {
  $schema: string;
  version: string;
  runs: Run[];
}
interface Run {
  tool: { driver: Driver };
  invocations: Invocation[];
  artifacts: Artifact[];
  results: Result[];
}
interface Driver {
  name: string;
  version: string;
  informationUri: string;
  rules: Rule[];
}
interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string };
  defaultConfiguration: { level: string };
  properties: { tags: string[]; 'security-severity': string };
}
interface Invocation {
  executionSuccessful: boolean;
  startTimeUtc: string;
  endTimeUtc: string;
  toolExecutionNotifications: Notification[];
}
interface Notification {
  level: string;
  message: { text: string };
  descriptor: { id: string };
  locations: Location[];
}
interface Artifact {
  location: { uri: string };
  parentIndex?: number;
  length?: number;
  hashes?: Record<string, string>;
  properties: { path: string };
}
interface Location {
  physicalLocation: { artifactLocation: { uri: string; index: number }; region?: { byteOffset: number } };
  logicalLocations?: { name: string; fullyQualifiedName: string; kind: string }[];
  properties?: Record<string, unknown>;
}
interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: Location[];
  partialFingerprints: Record<string, string>;
  properties: { severity: string; evidence: Record<string, unknown> };
}

function sarifOf(result = sampleResult()): { log: Log; run: Run } {
  const log = JSON.parse(renderSarif(result)) as Log;
  const run = log.runs[0];
  if (!run) throw new TypeError('no run');
  return { log, run };
}

function expectValid(text: string): void {
  const valid = validateSarif(JSON.parse(text));
  expect(describeErrors(validateSarif.errors)).toEqual([]);
  expect(valid).toBe(true);
}

describe('renderSarif', () => {
  it('validates against the official SARIF 2.1.0 schema', () => {
    expectValid(renderSarif(sampleResult()));
    expectValid(renderSarif(hostileResult()));
    expectValid(
      renderSarif(
        sampleResult({
          status: 'succeeded',
          findings: [],
          rules: [],
          files: [],
          summary: { info: 0, low: 0, medium: 0, high: 0, critical: 0 },
        }),
      ),
    );
  });

  it('is checked by a validator that does reject broken logs (control)', () => {
    const broken = JSON.parse(renderSarif(sampleResult())) as Log;
    const result = broken.runs[0]?.results[0];
    if (result) result.level = 'critical';
    expect(validateSarif(broken)).toBe(false);
    const badUri = JSON.parse(renderSarif(sampleResult())) as Log;
    const location = badUri.runs[0]?.results[1]?.locations[0];
    if (location) location.physicalLocation.artifactLocation.uri = 'weights/legacy bin';
    expect(validateSarif(badUri)).toBe(false);
  });

  it('describes the tool and every rule the way GitHub code scanning reads them', () => {
    const { log, run } = sarifOf();
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const { driver } = run.tool;
    expect(driver.name).toBe('antidote');
    expect(driver.version).toBe('0.1.0');
    expect(driver.informationUri).toMatch(/^https:\/\//);
    expect(driver.rules.map((r) => r.id)).toEqual([
      'model/pickle-globals',
      'model/pickle-unknown-global',
      'model/pickle-protocol',
    ]);
    expect(driver.rules[0]).toMatchObject({
      name: 'ModelPickleGlobals',
      shortDescription: { text: 'Pickle imports a dangerous callable' },
      fullDescription: { text: expect.stringContaining('can run code') as unknown },
      help: { text: 'Do not load the file. Obtain the model as safetensors from a trusted source.' },
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['OWASP-LLM03', 'AML.T0010', 'security'], 'security-severity': '8.0' },
    });
    expect(driver.rules[1]?.properties['security-severity']).toBe('5.5');
    expect(driver.rules[1]?.defaultConfiguration.level).toBe('warning');
    expect(driver.rules[2]?.properties['security-severity']).toBe('0.0');
    expect(driver.rules[2]?.defaultConfiguration.level).toBe('note');
  });

  it('maps severities to levels: critical/high error, medium warning, low/info note', () => {
    const { run } = sarifOf();
    expect(run.results.map((r) => [r.properties.severity, r.level])).toEqual([
      ['critical', 'error'],
      ['high', 'error'],
      ['medium', 'warning'],
      ['info', 'note'],
    ]);
    const low = sampleResult();
    const first = low.findings[0];
    if (first) first.severity = 'low';
    expect(sarifOf(low).run.results[0]?.level).toBe('note');
  });

  it('points a member finding at the outer file and names the member in a logical location', () => {
    const { run } = sarifOf();
    const critical = run.results[0];
    expect(critical?.ruleId).toBe('model/pickle-globals');
    expect(critical?.ruleIndex).toBe(0);
    expect(critical?.message.text).toBe('REDUCE calls os.system');
    const location = critical?.locations[0];
    expect(location?.physicalLocation.artifactLocation.uri).toBe('model.pt');
    // The offset is inside the decompressed member, so it must not become a region of the outer file.
    expect(location?.physicalLocation.region).toBeUndefined();
    expect(location?.logicalLocations).toEqual([
      { name: 'archive/data.pkl', fullyQualifiedName: 'model.pt!archive/data.pkl', kind: 'member' },
    ]);
    expect(location?.properties).toMatchObject({ memberPath: 'archive/data.pkl', offset: 42, pickleIndex: 0 });
    expect(critical?.properties.evidence).toEqual({ match: 'os.system', opcode: 'REDUCE', rule: 'deny:os' });
  });

  it('gives a top-level file finding a byte-offset region', () => {
    const { run } = sarifOf();
    const high = run.results[1]?.locations[0];
    expect(high?.physicalLocation.artifactLocation.uri).toBe('weights/legacy.bin');
    expect(high?.physicalLocation.region).toEqual({ byteOffset: 7 });
    expect(high?.logicalLocations).toBeUndefined();
  });

  it('fingerprints on rule, path and match only, so a moved offset is the same alert', () => {
    const fingerprints = (result: ReturnType<typeof sampleResult>): string[] =>
      sarifOf(result).run.results.map((r) => Object.values(r.partialFingerprints)[0] ?? '');
    const base = fingerprints(sampleResult());
    expect(new Set(base).size).toBe(base.length);
    for (const value of base) expect(value).toMatch(/^[0-9a-f]{64}$/);

    const moved = sampleResult();
    const first = moved.findings[0];
    if (first) first.location.offset = 9999;
    expect(fingerprints(moved)).toEqual(base);

    const otherMatch = sampleResult();
    const changed = otherMatch.findings[0];
    if (changed) changed.evidence.match = 'posix.system';
    expect(fingerprints(otherMatch)[0]).not.toBe(base[0]);
  });

  it('lists artifacts with sha-256 hashes, members nested under their archive', () => {
    const { run } = sarifOf();
    const byPath = new Map(run.artifacts.map((a, i) => [a.properties.path, { ...a, i }]));
    const outer = byPath.get('model.pt');
    const member = byPath.get('model.pt!archive/data.pkl');
    expect(outer?.location.uri).toBe('model.pt');
    expect(outer?.hashes).toEqual({ 'sha-256': 'a'.repeat(64) });
    expect(outer?.length).toBe(4096);
    expect(member?.location.uri).toBe('archive/data.pkl');
    expect(member?.parentIndex).toBe(outer?.i);
    expect(member?.hashes).toBeUndefined();
    expect(byPath.get('notes dir/README.md')?.location.uri).toBe('notes%20dir/README.md');
    const critical = run.results[0]?.locations[0]?.physicalLocation.artifactLocation;
    expect(critical?.index).toBe(outer?.i);
  });

  it('reports partial and failed files as tool execution notifications', () => {
    const { run } = sarifOf();
    const invocation = run.invocations[0];
    expect(invocation?.executionSuccessful).toBe(true);
    expect(invocation?.startTimeUtc).toBe('2026-11-22T00:30:00.000Z');
    expect(invocation?.endTimeUtc).toBe('2026-11-22T00:30:01.235Z');
    const notes = invocation?.toolExecutionNotifications ?? [];
    expect(notes.map((n) => [n.level, n.descriptor.id, n.locations[0]?.physicalLocation.artifactLocation.uri])).toEqual([
      ['warning', 'antidote/file-partial', 'weights/legacy.bin'],
      ['error', 'antidote/file-failed', 'broken.zip'],
    ]);
    expect(notes[0]?.message.text).toBe('weights/legacy.bin: truncated stream at offset 1999');
  });

  it('marks a run that could read nothing as not executed successfully', () => {
    const { run } = sarifOf(sampleResult({ status: 'failed', findings: [] }));
    expect(run.invocations[0]?.executionSuccessful).toBe(false);
  });

  it('adds a stub rule for a finding whose rule the result does not describe', () => {
    const { run } = sarifOf(sampleResult({ rules: [] }));
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual([
      'model/pickle-globals',
      'model/pickle-unknown-global',
      'model/pickle-protocol',
    ]);
    for (const result of run.results) expect(run.tool.driver.rules[result.ruleIndex]?.id).toBe(result.ruleId);
  });

  it('keeps a file name containing ! whole when no container of that name was scanned', () => {
    const result = sampleResult({
      files: [{ path: 'odd!name.pt', format: 'pickle', status: 'scanned', size: 3, sha256: null }],
    });
    const first = result.findings[0];
    if (first) first.location.path = 'odd!name.pt';
    const location = sarifOf(result).run.results[0]?.locations[0];
    expect(location?.physicalLocation.artifactLocation.uri).toBe('odd!name.pt');
    expect(location?.logicalLocations).toBeUndefined();
  });
});

describe('fileUri', () => {
  const cases: [string, string][] = [
    ['model.pt', 'model.pt'],
    ['./models/model.pt', 'models/model.pt'],
    ['my models/v1 final.pt', 'my%20models/v1%20final.pt'],
    ['a:b.pt', 'a%3Ab.pt'],
    ['100%.bin', '100%25.bin'],
    ['q?x#y.pkl', 'q%3Fx%23y.pkl'],
    ['模型.pt', '%E6%A8%A1%E5%9E%8B.pt'],
    ['/srv/models/a b.pt', 'file:///srv/models/a%20b.pt'],
    ['C:\\models\\a b.pt', 'file:///C:/models/a%20b.pt'],
    ['\\\\server\\share\\m.pt', 'file://server/share/m.pt'],
  ];
  for (const [path, uri] of cases) {
    it(`encodes ${JSON.stringify(path)}`, () => {
      expect(fileUri(path)).toBe(uri);
    });
  }

  it('turns a lone surrogate into U+FFFD instead of throwing', () => {
    expect(fileUri('a\ud800b.pkl')).toBe('a%EF%BF%BDb.pkl');
  });

  it('gives any path, however hostile, a log that still validates', () => {
    const pieces = fc.oneof(fc.constantFrom('!', '/', '\\', ':', '%', ' ', '#', '?', '..', 'C:\\', '\ud800'), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(fc.string({ unit: pieces, minLength: 1 }), (path) => {
        const result = sampleResult();
        const first = result.findings[0];
        if (first) first.location.path = path;
        result.files.push({ path, format: 'pickle', status: 'failed', size: 0, sha256: null });
        const valid = validateSarif(JSON.parse(renderSarif(result)));
        expect(describeErrors(validateSarif.errors)).toEqual([]);
        expect(valid).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('produces URIs the SARIF schema accepts', () => {
    const result = sampleResult({
      files: cases.map(([path]) => ({ path, format: 'pickle', status: 'scanned' as const, size: 1, sha256: null })),
    });
    expectValid(renderSarif(result));
  });
});
