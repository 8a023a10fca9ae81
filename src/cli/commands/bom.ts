import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { AntidoteError } from '../../core/errors.js';
import { atLeast, SEVERITIES, type Severity } from '../../core/severity.js';
import { bomSignatureFrom, buildBom, gatherBomInput, type BomSignature } from '../../provenance/bom/index.js';
import { readLockfile } from '../../provenance/lock/index.js';
import { verifyModelSignature, type SignatureTrust } from '../../provenance/signing/index.js';
import { scan } from '../../scan/scan.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { parseFailOn, writeOutput } from '../output.js';
import { ProgressBar } from '../progress.js';
import { printHelp } from './scan.js';

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  lockfile: { type: 'string' },
  signature: { type: 'string', multiple: true },
  'public-key': { type: 'string' },
  'certificate-chain': { type: 'string', multiple: true },
  'sigstore-identity': { type: 'string' },
  'sigstore-issuer': { type: 'string' },
  'trusted-root': { type: 'string' },
  deterministic: { type: 'boolean' },
  'fail-on': { type: 'string' },
  'no-progress': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseOptions>['values'];

function parseOptions(argv: string[]) {
  return parseCommandArgs('bom', () => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
}

/** `antidote bom`: a CycloneDX 1.6 ML-BOM of models and datasets, with scan, lock and signature verdicts. */
export const bomCommand: CliCommand = {
  name: 'bom',
  synopsis: 'bom PATH... [options]',
  summary: 'write a CycloneDX 1.6 ML-BOM of models and datasets',
  help: `Usage: antidote bom PATH... [options]

Writes a CycloneDX 1.6 ML-BOM (JSON) of the models and datasets under PATH: every file with its sha256 and
detected format, model card facts (base model, training datasets, licence), dataset formats, row counts and
columns, and the verdicts of 'antidote scan' (run here; files are never executed). See docs/bom.md.

Options:
  -o, --output FILE                 write the BOM to FILE instead of stdout
      --lockfile FILE               record each file's lock status (verified, modified, locked, not-locked)
      --signature SIG               verify a model signature and record its status (repeatable); the model is
                                    the file SIG is named after (model.onnx.sig) or the folder holding SIG
      --public-key FILE             trust for --signature: the signer's public key
      --certificate-chain FILE      trust for --signature: certificates you trust (repeatable)
      --sigstore-identity ID --sigstore-issuer URL --trusted-root FILE
                                    trust for --signature: a keyless Sigstore signer (as verify-signature)
      --deterministic               reproducible output: content-derived serial number, timestamp from
                                    SOURCE_DATE_EPOCH or none (SOURCE_DATE_EPOCH alone implies it)
      --fail-on SEVERITY            exit 1 when a scan finding is at or above SEVERITY (${SEVERITIES.join(', ')});
                                    without it the exit code does not depend on findings
      --no-progress                 no progress bar on stderr

Exit codes: 0 BOM written, 1 BOM written and a finding at or above --fail-on, 2 usage or tool error.`,
  async run(argv) {
    const { values, positionals } = parseOptions(argv);
    if (values.help) return printHelp(this.help);
    if (positionals.length === 0) throw new AntidoteError('USAGE', 'bom needs at least one PATH. Example: antidote bom ./model -o bom.json');
    for (const path of positionals) {
      if (!existsSync(path)) throw new AntidoteError('INPUT_NOT_FOUND', `${path}: no such file or directory`);
    }
    const failOn: Severity | undefined = values['fail-on'] === undefined ? undefined : parseFailOn(values['fail-on']);
    const sourceDateEpoch = parseSourceDateEpoch(process.env.SOURCE_DATE_EPOCH);
    const trust = parseTrust(values);
    const signaturePaths = values.signature ?? [];
    if (signaturePaths.length > 0 && trust === undefined) {
      throw new AntidoteError('USAGE', '--signature needs trust: --public-key FILE, --certificate-chain FILE, or --sigstore-identity ID --sigstore-issuer URL --trusted-root FILE');
    }
    if (values.lockfile !== undefined && !existsSync(values.lockfile)) throw new AntidoteError('INPUT_NOT_FOUND', `${values.lockfile}: no such lockfile. Create one with 'antidote lock PATH...'.`);

    const bar = !values['no-progress'] && process.stderr.isTTY === true ? new ProgressBar(process.stderr) : undefined;
    let result;
    try {
      result = await scan({ paths: positionals, hash: true, ...(bar ? { onProgress: (p) => bar.update(p) } : {}) });
    } finally {
      bar?.clear();
    }
    const signatures: BomSignature[] = [];
    for (const signaturePath of signaturePaths) {
      const verification = await verifyModelSignature({ modelPath: signedModelOf(signaturePath), signaturePath, trust: trust! });
      signatures.push(bomSignatureFrom(verification));
    }
    const input = await gatherBomInput({
      inputs: positionals,
      scan: result,
      ...(values.lockfile !== undefined ? { lockfile: { path: values.lockfile, content: readLockfile(values.lockfile) } } : {}),
      ...(signatures.length > 0 ? { signatures } : {}),
    });
    const bom = buildBom(input, { deterministic: values.deterministic ?? false, ...(sourceDateEpoch !== undefined ? { sourceDateEpoch } : {}) });
    writeOutput(JSON.stringify(bom, null, 2), values.output);
    return failOn !== undefined && result.findings.some((f) => atLeast(f.severity, failOn)) ? 1 : 0;
  },
};

/** SOURCE_DATE_EPOCH (reproducible-builds.org): whole seconds since 1970; anything else is a usage error. */
function parseSourceDateEpoch(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,12}$/.test(value)) throw new AntidoteError('USAGE', `SOURCE_DATE_EPOCH must be whole seconds since 1970 (got '${value}')`);
  return Number(value);
}

function parseTrust(values: Values): SignatureTrust | undefined {
  const identity = values['sigstore-identity'];
  const issuer = values['sigstore-issuer'];
  const sigstore = identity !== undefined || issuer !== undefined || values['trusted-root'] !== undefined;
  const kinds = [values['public-key'] !== undefined, (values['certificate-chain'] ?? []).length > 0, sigstore].filter(Boolean).length;
  if (kinds > 1) throw new AntidoteError('USAGE', 'give one kind of trust: --public-key, --certificate-chain, or --sigstore-identity/--sigstore-issuer/--trusted-root');
  if (values['public-key'] !== undefined) return { kind: 'public-key', publicKeyPath: values['public-key'] };
  if ((values['certificate-chain'] ?? []).length > 0) return { kind: 'certificate', certificateChainPaths: values['certificate-chain']! };
  if (!sigstore) return undefined;
  if (identity === undefined || issuer === undefined || values['trusted-root'] === undefined) {
    throw new AntidoteError('USAGE', 'Sigstore trust needs all of --sigstore-identity ID, --sigstore-issuer URL and --trusted-root FILE (antidote works offline)');
  }
  return { kind: 'sigstore', identity, issuer, trustedRootPath: values['trusted-root'] };
}

/**
 * The model a signature covers, where `antidote sign` (and model_signing) put signatures by default:
 * `model.onnx.sig` beside the file it signs, or a signature inside the folder it signs.
 */
function signedModelOf(signaturePath: string): string {
  if (!existsSync(signaturePath)) throw new AntidoteError('INPUT_NOT_FOUND', `${signaturePath}: no such signature file`);
  if (signaturePath.endsWith('.sig') && basename(signaturePath) !== 'model.sig') {
    const named = signaturePath.slice(0, -'.sig'.length);
    if (existsSync(named)) return named;
  }
  return dirname(signaturePath);
}
