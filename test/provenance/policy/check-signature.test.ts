import { describe, expect, it } from 'vitest';
import { checkSignatureAgainstPolicy, parsePolicy, type SignatureFacts } from '../../../src/provenance/policy/index.js';

const KEY = 'ab'.repeat(32);
const POLICY = `version: 1
signatures:
  require:
    - models/llama-ft
  identities:
    - identity: release-bot@example.com
      issuer: https://accounts.google.com
  keys:
    - sha256: ${KEY.toUpperCase()}
`;
const policy = parsePolicy(POLICY, '/p/antidote.yaml');
const bySigstore: SignatureFacts = {
  signature: '/p/models/llama-ft/model.sig',
  model: '/p/models/llama-ft',
  status: 'verified',
  signer: { identity: 'release-bot@example.com', issuer: 'https://accounts.google.com/' },
};

describe('checkSignatureAgainstPolicy', () => {
  it('a verified signature by a listed Sigstore identity covers the required model', () => {
    expect(checkSignatureAgainstPolicy([bySigstore], policy)).toEqual({ ok: true, violations: [] });
  });

  it('a verified signature by a listed key (fingerprints ignore case) covers it too', () => {
    const byKey: SignatureFacts = { ...bySigstore, signer: { publicKeySha256: KEY } };
    expect(checkSignatureAgainstPolicy([byKey], policy).ok).toBe(true);
  });

  it('a signature of the folder covers a file inside it; a signature of a file does not cover its folder', () => {
    const filePolicy = parsePolicy(`version: 1\nsignatures:\n  require: [models/llama-ft/model.safetensors]\n  keys: [{sha256: ${KEY}}]\n`, '/p/antidote.yaml');
    const folderSig: SignatureFacts = { ...bySigstore, signer: { publicKeySha256: KEY } };
    expect(checkSignatureAgainstPolicy([folderSig], filePolicy).ok).toBe(true);
    const fileSig: SignatureFacts = { ...folderSig, model: '/p/models/llama-ft/model.safetensors' };
    expect(checkSignatureAgainstPolicy([fileSig], policy).ok).toBe(false);
    const sibling: SignatureFacts = { ...folderSig, model: '/p/models/llama-ft-evil' };
    expect(checkSignatureAgainstPolicy([sibling], policy).ok).toBe(false);
  });

  it('a signer who is not listed fails, even with a valid signature', () => {
    const stranger: SignatureFacts = { ...bySigstore, signer: { identity: 'mallory@example.com', issuer: 'https://accounts.google.com' } };
    const check = checkSignatureAgainstPolicy([stranger], policy);
    expect(check.violations.map((v) => v.rule)).toEqual(['signatures', 'signatures']);
    expect(check.violations[0]!.message).toContain('signed by mallory@example.com');
    expect(check.violations[1]!.message).toContain('models/llama-ft must carry a verified signature');
  });

  it('the right identity from another issuer is a different principal', () => {
    const otherIssuer: SignatureFacts = { ...bySigstore, signer: { identity: 'release-bot@example.com', issuer: 'https://evil-idp.example' } };
    expect(checkSignatureAgainstPolicy([otherIssuer], policy).ok).toBe(false);
  });

  it.each(['invalid', 'unsigned', 'error', 'Verified'])('status %s never satisfies the policy', (status) => {
    const check = checkSignatureAgainstPolicy([{ ...bySigstore, status }], policy);
    expect(check.ok).toBe(false);
    expect(check.violations[0]!.message).toContain(`is ${status}, not verified`);
  });

  it('no signature checked for a required model is a violation pointing at the policy line', () => {
    const check = checkSignatureAgainstPolicy([], policy);
    expect(check.violations).toMatchObject([{ rule: 'signatures', subject: 'models/llama-ft', policyAt: { file: '/p/antidote.yaml', line: 4, col: 7 } }]);
  });

  it("required: 'given' judges only the signatures given, not the models nobody checked", () => {
    const other: SignatureFacts = { ...bySigstore, model: '/p/models/other', signature: '/p/models/other/model.sig' };
    expect(checkSignatureAgainstPolicy([other], policy).ok).toBe(false);
    expect(checkSignatureAgainstPolicy([other], policy, { required: 'given' })).toEqual({ ok: true, violations: [] });
    expect(checkSignatureAgainstPolicy([{ ...other, status: 'failed' }], policy, { required: 'given' }).ok).toBe(false);
  });

  it('a policy without signatures imposes nothing', () => {
    expect(checkSignatureAgainstPolicy([{ ...bySigstore, status: 'invalid' }], parsePolicy('version: 1\n', '/p/a.yaml')).ok).toBe(true);
  });
});
