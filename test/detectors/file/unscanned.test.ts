import { describe, expect, it } from 'vitest';
import detector, { type FileArtifact } from '../../../src/detectors/file/unscanned.js';
import { brief, runDetector } from '../detector-tester.js';

const file = (overrides: Partial<FileArtifact>): FileArtifact => ({ format: 'pickle', status: 'scanned', extension: '.pt', size: 10, ...overrides });

describe('file/unscanned', () => {
  it.each([
    ['a scanned file', file({}), []],
    ['a skipped text file', file({ format: 'text', status: 'skipped', extension: '.md' }), []],
    ['an unreadable file', file({ status: 'failed', reason: 'EACCES' }), ['unreadable:medium']],
    ['a limit', file({ status: 'partial', limit: 'maxMemberBytes', reason: 'too big' }), ['limit:medium']],
    ['an unknown binary named like weights', file({ format: 'unknown', status: 'skipped', extension: '.bin' }), ['unrecognized:low']],
    ['an unknown binary with another extension', file({ format: 'unknown', status: 'skipped', extension: '.png' }), []],
  ] as [string, FileArtifact, string[]][])('%s', (_name, artifact, expected) => {
    expect(brief(runDetector(detector, artifact))).toEqual(expected);
  });
});
