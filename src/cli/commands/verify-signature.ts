import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AntidoteError } from '../../core/errors.js';
import {
  inspectModelSignature,
  verifyModelSignature,
  type SignatureInspection,
  type SignatureTrust,
  type SignatureVerification,
} from '../../provenance/signing/index.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { writeOutput } from '../output.js';
import { printHelp } from './scan.js';

/** Version of the JSON this command prints (documented in docs/signing.md). */
export const SIGNATURE_RESULT_VERSION = '1.0.0';

const OPTIONS = {
  signature: { type: 'string', short: 's' },
  'public-key': { type: 'string' },
  'certificate-chain': { type: 'string', multiple: true },
  'sigstore-identity': { type: 'string' },
  'sigstore-issuer': { type: 'string' },
  'trusted-root': { type: 'string' },
  'ignore-paths': { type: 'string', multiple: true },
  'no-ignore-git-paths': { type: 'boolean' },
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

/** `antidote verify-signature`: check a model against its OpenSSF model-signing signature, offline. */
export const verifySignatureCommand: CliCommand = {
  name: 'verify-signature',
  synopsis: 'verify-signature MODEL [--signature FILE] TRUST [options]',
  summary: 'verify a model signature (model_signing, Sigstore bundle) offline',
  help: `Usage: antidote verify-signature MODEL [--signature FILE] TRUST [options]

Verifies a model or dataset (folder or file) against an OpenSSF model-signing signature (model_signing 1.x,
or 'antidote sign'), offline: the signature, the signer, and every signed file's digest.

TRUST, exactly one of:
      --public-key FILE                  the signer's EC public key (PEM or DER)
      --certificate-chain FILE           certificates you trust: a root and/or intermediate (repeatable)
      --sigstore-identity ID --sigstore-issuer URL --trusted-root FILE
                                         a keyless Sigstore signature by ID (e-mail or URI) vouched for by
                                         the OIDC issuer URL, checked against that instance's trusted_root.json
Options:
  -s, --signature FILE       the signature (default: MODEL/model.sig, or MODEL.sig for a file)
      --ignore-paths PATH    leave PATH out, relative to the working directory (repeatable)
      --no-ignore-git-paths  check .git* files too, for signatures that do not list their ignore paths
  -f, --format text|json     report format (default: text)
  -o, --output FILE          write the report to FILE

Without TRUST the signature is only inspected (what it claims, whether the files match it) and the exit
code is 2: an unauthenticated signature proves nothing.

Exit codes: 0 verified; 1 verification failed (the reason is printed); 2 usage or tool error, no trust given,
or no verdict possible (e.g. a hash antidote does not implement).`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('verify-signature', () => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) return printHelp(this.help);
    if (positionals.length !== 1) throw new AntidoteError('USAGE', 'verify-signature needs exactly one MODEL. Example: antidote verify-signature ./my-model --public-key key.pub');
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new AntidoteError('USAGE', `--format must be text or json (got '${format}')`);
    const modelPath = positionals[0]!;
    const signaturePath = values.signature ?? defaultSignature(modelPath);
    const trust = parseTrust(values);
    const common = { modelPath, signaturePath, ignorePaths: values['ignore-paths'] ?? [], ignoreGitPaths: !values['no-ignore-git-paths'] };

    if (!trust) {
      const inspection = await inspectModelSignature(common);
      const message = `no trust material given; this signature needs ${inspection.verifyWith}`;
      writeOutput(format === 'json' ? JSON.stringify({ version: SIGNATURE_RESULT_VERSION, status: 'unverifiable', reason: { code: 'trust-missing', message }, inspection }, null, 2) : renderInspection(inspection, message), values.output);
      return 2;
    }
    const result = await verifyModelSignature({ ...common, trust });
    writeOutput(format === 'json' ? JSON.stringify({ version: SIGNATURE_RESULT_VERSION, ...result }, null, 2) : renderVerification(result), values.output);
    return result.status === 'verified' ? 0 : result.status === 'failed' ? 1 : 2;
  },
};

function defaultSignature(modelPath: string): string {
  let directory = false;
  try {
    directory = statSync(modelPath).isDirectory();
  } catch {
    throw new AntidoteError('INPUT_NOT_FOUND', `${modelPath}: no such model file or directory`);
  }
  // Where `antidote sign` writes by default: inside a folder, or beside a single file.
  return directory ? join(modelPath, 'model.sig') : `${modelPath}.sig`;
}

function parseTrust(values: Values): SignatureTrust | undefined {
  const chain = values['certificate-chain'] ?? [];
  const sigstoreFlags = (['sigstore-identity', 'sigstore-issuer', 'trusted-root'] as const).filter((flag) => values[flag] !== undefined);
  const kinds = [values['public-key'] !== undefined, chain.length > 0, sigstoreFlags.length > 0].filter(Boolean).length;
  if (kinds > 1) throw new AntidoteError('USAGE', 'give one kind of trust: --public-key, --certificate-chain, or --sigstore-identity/--sigstore-issuer/--trusted-root');
  if (values['public-key'] !== undefined) return { kind: 'public-key', publicKeyPath: values['public-key'] };
  if (chain.length > 0) return { kind: 'certificate', certificateChainPaths: chain };
  if (sigstoreFlags.length === 0) return undefined;
  const missing = (['sigstore-identity', 'sigstore-issuer', 'trusted-root'] as const).filter((flag) => values[flag] === undefined);
  if (missing.includes('trusted-root')) {
    throw new AntidoteError(
      'USAGE',
      "a Sigstore signature is checked against the trusted root of the instance that issued it, and antidote never fetches one (it works offline): pass --trusted-root FILE, that instance's trusted_root.json from its TUF repository",
    );
  }
  if (missing.length > 0) throw new AntidoteError('USAGE', `Sigstore verification also needs ${missing.map((f) => `--${f}`).join(' and ')}: who must have signed, and which OIDC issuer vouched for them`);
  return { kind: 'sigstore', identity: values['sigstore-identity']!, issuer: values['sigstore-issuer']!, trustedRootPath: values['trusted-root']! };
}

function renderSigner(result: SignatureVerification): string | undefined {
  const s = result.signer;
  if (!s) return undefined;
  if (s.identity !== undefined) {
    const tlog = s.tlog ? `, logged in ${s.tlog.baseUrl || 'the log'} #${s.tlog.logIndex}` : '';
    return `${s.identity} (issuer ${s.issuer ?? '?'})${tlog}${s.signedAt ? ` at ${s.signedAt}` : ''}`;
  }
  if (s.certificateSubject !== undefined) return `certificate ${s.certificateSubject} (${s.curve ?? '?'}, sha256 fingerprint ${s.certificateFingerprint ?? '?'})`;
  return `public key ${s.curve ?? ''} (hint ${s.keyHint ?? '?'})`.replace('  ', ' ');
}

function renderVerification(result: SignatureVerification): string {
  const lines: string[] = [];
  const files = result.model ? ` (${result.model.resources} ${result.model.method === 'shards' ? 'shards' : 'files'}, ${result.model.hashType})` : '';
  if (result.status === 'verified') lines.push(`VERIFIED ${result.signaturePath} signs ${result.modelPath}${files}`);
  else lines.push(`${result.status === 'failed' ? 'FAILED' : 'UNVERIFIABLE'} ${result.signaturePath} does not verify ${result.modelPath}: ${result.reason?.code ?? 'unknown'}`, `  ${result.reason?.message ?? ''}`);
  if (result.reason?.path) lines.push(`  at           ${result.reason.path}`);
  const signer = renderSigner(result);
  if (signer) lines.push(`  signer       ${signer}`);
  if (result.model) lines.push(`  root digest  ${result.model.rootDigest}`);
  if (result.ignored.length) lines.push(`  ignored      ${result.ignored.join(', ')}`);
  if (result.mismatches.length) {
    lines.push('  differences:');
    for (const m of result.mismatches) lines.push(`    ${m.problem === 'digest' ? 'changed' : m.problem.padEnd(7)}  ${m.name}`);
  }
  lines.push(`  checks       ${result.checks.join(', ') || 'none passed'}`);
  for (const note of result.notes) lines.push(`  note         ${note}`);
  return lines.join('\n');
}

function renderInspection(inspection: SignatureInspection, message: string): string {
  const lines = [`NOT VERIFIED ${inspection.signaturePath}: ${message}`];
  if (inspection.problem) lines.push(`  problem      ${inspection.problem.code}: ${inspection.problem.message}`);
  const c = inspection.claimed;
  if (c.identities) lines.push(`  claims       ${c.identities.join(', ')}${c.issuer ? ` (issuer ${c.issuer})` : ''}`);
  else if (c.certificateSubject) lines.push(`  claims       certificate ${c.certificateSubject}`);
  else if (c.keyHint) lines.push(`  claims       public key with hint ${c.keyHint}`);
  if (c.tlog) lines.push(`  log entry    ${c.tlog.logIndex} in log ${c.tlog.logId} at ${c.tlog.integratedTime} (unchecked)`);
  if (inspection.model) lines.push(`  model        ${inspection.model.name}: ${inspection.model.resources} files, ${inspection.model.hashType}, root digest ${inspection.model.rootDigest}`);
  if (inspection.files) {
    lines.push(`  files        ${inspection.files.matches ? 'match the unverified statement' : `differ from the statement: ${inspection.files.failure?.message ?? ''}`}`);
    if (inspection.files.ignored.length) lines.push(`  ignored      ${inspection.files.ignored.join(', ')}`);
  }
  return lines.join('\n');
}
