import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildKerasZip, denseLayer, layer, sequentialConfig } from '../builders/keras.js';
import { scanOf } from './helpers.js';

/* Keras through the whole engine: .keras zips and legacy .h5 files, detected by content. */

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/keras/${name}`, import.meta.url));
const keras = (r: Awaited<ReturnType<typeof scanOf>>) => r.findings.filter((f) => f.ruleId === 'model/keras-config');

describe('Keras models in a scan', () => {
  it('a benign .keras zip is quiet', async () => {
    const r = await scanOf(buildKerasZip({ config: sequentialConfig([denseLayer('dense')]) }), 'model.keras');
    expect(r.files[0]?.format).toBe('keras');
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('CVE-2025-1550: a config that names os.system as a layer module is critical', async () => {
    const config = sequentialConfig([layer('system', { name: 'x' }, 'os')]);
    const r = await scanOf(buildKerasZip({ config }), 'model.keras');
    expect(keras(r).some((f) => f.severity === 'critical')).toBe(true);
  });

  it('a legacy .h5 with a Lambda layer is reported, a benign .h5 is quiet', async () => {
    const evil = await scanOf(fixture('legacy-lambda-latest.h5'), 'model.h5');
    expect(keras(evil).some((f) => f.severity === 'critical' || f.severity === 'high')).toBe(true);
    const benign = await scanOf(fixture('legacy-benign.h5'), 'model.h5');
    expect(benign.files[0]?.format).toBe('keras-h5');
    expect(benign.findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('a module reference behind an HDF5 user block is still found', async () => {
    const r = await scanOf(fixture('legacy-module-ref-userblock.h5'), 'model.h5');
    expect(keras(r).some((f) => f.severity === 'critical' || f.severity === 'high')).toBe(true);
  });
});
