import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * Layers with a direction (STYLE.md practice 9): an import may only point to a lower floor, or stay inside
 * its own folder. Reporters import result types from core only.
 */
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

const FLOORS: [prefix: string, floor: number][] = [
  ['core/', 0],
  ['version.ts', 0],
  ['readers/', 1],
  ['report/', 1],
  ['policy/', 1],
  ['detectors/', 2],
  ['scan/', 3],
  ['provenance/', 3],
  ['audit/', 3],
  ['cli/', 4],
  ['index.ts', 5],
];

function floorOf(file: string): number {
  const hit = FLOORS.find(([prefix]) => file.startsWith(prefix));
  if (!hit) throw new Error(`${file} is in no layer: add its folder to FLOORS`);
  return hit[1];
}

/** The layer's own folder: `readers/zip`, `detectors`, `report`, ... */
function unitOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'readers' && parts.length > 2) return `readers/${parts[1]}`;
  return parts.length > 1 ? parts[0]! : file;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;

const edges = sourceFiles(SRC).flatMap((path) => {
  const from = relative(SRC, path).replace(/\\/g, '/');
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(IMPORT)]
    .map((m) => m[1]!)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => ({ from, to: relative(SRC, resolve(dirname(path), spec)).replace(/\\/g, '/').replace(/\.js$/, '.ts') }));
});

describe('architecture: layers', () => {
  it('finds the import graph', () => {
    expect(edges.length).toBeGreaterThan(20);
  });

  it('every import points down a floor or stays in its own folder', () => {
    const violations = edges.filter(({ from, to }) => {
      if (unitOf(from) === unitOf(to)) return false;
      return floorOf(to) >= floorOf(from);
    });
    expect(violations).toEqual([]);
  });

  it('reporters import only core types', () => {
    const violations = edges.filter(({ from, to }) => from.startsWith('report/') && !to.startsWith('report/') && !to.startsWith('core/'));
    expect(violations).toEqual([]);
  });

  it('core imports nothing outside core', () => {
    expect(edges.filter(({ from, to }) => from.startsWith('core/') && !to.startsWith('core/'))).toEqual([]);
  });
});
