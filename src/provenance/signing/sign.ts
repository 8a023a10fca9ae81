import type { KeyObject } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AntidoteError, errorMessage } from '../../core/errors.js';
import { IN_TOTO_PAYLOAD_TYPE, preAuthEncoding } from '../../readers/sigstore/index.js';
import { describeCertificate, loadCertificate, pemCertificates, type Certificate } from './certificate-chain.js';
import { MANIFEST_HASHES } from './file-digest.js';
import { GIT_IGNORE_PATHS } from './ignore-paths.js';
import { loadPrivateKey, publicKeyHint, readKeyFile, samePublicKey, signWithKey } from './keys.js';
import { comparePaths, hashItems, ModelTreeError, walkModel } from './model-manifest.js';
import { buildStatementPayload, rootDigestOf, type StatementResource } from './statement.js';

/*
 * Signing in the OpenSSF model_signing 1.1 format with a local EC key (model_signing's "key" and
 * "certificate" methods): hash the model, write the in-toto statement, sign PAE(statement) with the key's
 * curve hash, and write the bundle exactly as model_signing does (compact JSON, bundle v0.3, a public-key
 * hint or the certificate chain, an empty tlogEntries list). Keyless Sigstore signing needs an OIDC login,
 * Fulcio and Rekor over the network: out of scope for an offline tool.
 */

/** The media type model_signing 1.x writes. */
export const SIGNING_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** Options of `signModel`. */
export interface SignModelOptions {
  /** The model: a directory, or a single file. */
  modelPath: string;
  /** PEM private key (EC P-256, P-384 or P-521). */
  privateKeyPath: string;
  privateKeyPassphrase?: string;
  /** Where to write the bundle; default `<model dir>/model.sig`, or `<file>.sig` for a single-file model. */
  signaturePath?: string;
  /** Paths to leave out (relative to the working directory, like model_signing's --ignore-paths). */
  ignorePaths?: string[];
  /** Leave out .git, .gitattributes, .github, .gitignore (default true, as model_signing). */
  ignoreGitPaths?: boolean;
  /** PEM files: the signing certificate first, then the chain to embed. Without it the bundle holds a key hint. */
  certificateChainPaths?: string[];
  /** Per-file hash; default sha256. */
  hashType?: 'sha256' | 'blake2';
  /** Hash symlinked files as their target instead of refusing the model (default false). */
  allowSymlinks?: boolean;
}

/** What was signed. */
export interface SignModelResult {
  signaturePath: string;
  /** The bundle as written. */
  bundle: string;
  modelName: string;
  rootDigest: string;
  /** Files (resources) in the signature. */
  resources: number;
  /** Ignore paths recorded in the statement (relative to the model). */
  ignorePaths: string[];
  /** Entries left out, relative to the model. */
  ignored: string[];
  keyHint: string;
  curve: string;
}

/** Sign a model directory or file; writes the bundle and returns what it covers. */
export async function signModel(options: SignModelOptions): Promise<SignModelResult> {
  let modelStat;
  try {
    modelStat = statSync(options.modelPath);
  } catch (error) {
    throw new AntidoteError('INPUT_NOT_FOUND', `${options.modelPath}: no such model file or directory (${errorMessage(error)})`, { cause: error });
  }
  const modelRoot = resolve(options.modelPath);
  const signaturePath = options.signaturePath ?? (modelStat.isDirectory() ? join(options.modelPath, 'model.sig') : `${options.modelPath}.sig`);
  const { key, publicKey } = loadPrivateKey(options.privateKeyPath, options.privateKeyPassphrase);
  const chain = options.certificateChainPaths?.length ? loadSigningChain(options.certificateChainPaths, publicKey.key) : undefined;
  const hash = MANIFEST_HASHES[options.hashType ?? 'sha256'];

  // What to leave out: as model_signing, the user's paths, the signature itself and (by default) git metadata.
  const ignoreAbsolute = [...(options.ignorePaths ?? []).map((p) => resolve(p)), resolve(signaturePath)];
  if (options.ignoreGitPaths ?? true) ignoreAbsolute.push(...GIT_IGNORE_PATHS.map((p) => join(modelRoot, p)));
  const recorded = [...new Set(ignoreAbsolute.map((p) => relative(modelRoot, p)).filter((p) => p !== '' && p !== '..' && !p.startsWith(`..${sep}`) && !isAbsolute(p)).map((p) => p.split(sep).join('/')))].sort(comparePaths);

  let tree;
  try {
    tree = await walkModel(options.modelPath, { allowSymlinks: options.allowSymlinks ?? false, ignore: modelStat.isDirectory() ? ignoreAbsolute : [] });
  } catch (error) {
    if (error instanceof ModelTreeError) throw new AntidoteError('MODEL_UNSIGNABLE', `${options.modelPath}: ${error.message}`, { cause: error });
    throw new AntidoteError('INPUT_UNREADABLE', `${options.modelPath}: cannot read the model (${errorMessage(error)})`, { cause: error });
  }
  if (tree.items.length === 0) throw new AntidoteError('MODEL_UNSIGNABLE', `${options.modelPath}: no files to sign after leaving out the ignored paths`);
  let digests: Map<string, string>;
  try {
    digests = await hashItems(tree, hash, { noFollow: !(options.allowSymlinks ?? false) });
  } catch (error) {
    if (error instanceof ModelTreeError) throw new AntidoteError('MODEL_UNSIGNABLE', `${options.modelPath}: ${error.message}`, { cause: error });
    throw new AntidoteError('INPUT_UNREADABLE', `${options.modelPath}: cannot read a model file (${errorMessage(error)})`, { cause: error });
  }
  const resources: StatementResource[] = tree.items.map((item) => ({ name: item.name, algorithm: hash.algorithm, digest: digests.get(item.name) ?? '' }));
  const payload = buildStatementPayload(tree.modelName, resources, {
    method: 'files',
    hashType: hash.hashType,
    allowSymlinks: options.allowSymlinks ?? false,
    ignorePaths: modelStat.isDirectory() ? recorded : [],
  });
  const signature = signWithKey(key, publicKey.hash, preAuthEncoding(IN_TOTO_PAYLOAD_TYPE, payload));
  const keyHint = publicKeyHint(publicKey.key);
  const material = chain
    ? { x509CertificateChain: { certificates: chain.map((c) => ({ rawBytes: c.parsed.der.toString('base64') })) }, tlogEntries: [] }
    : { publicKey: { hint: keyHint }, tlogEntries: [] };
  const bundle = JSON.stringify({
    mediaType: SIGNING_BUNDLE_MEDIA_TYPE,
    verificationMaterial: material,
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: IN_TOTO_PAYLOAD_TYPE,
      signatures: [{ sig: signature.toString('base64'), keyid: '' }],
    },
  });
  try {
    writeFileSync(signaturePath, bundle);
  } catch (error) {
    throw new AntidoteError('OUTPUT_UNWRITABLE', `${signaturePath}: cannot write the signature (${errorMessage(error)})`, { cause: error });
  }
  return {
    signaturePath,
    bundle,
    modelName: tree.modelName,
    rootDigest: rootDigestOf(resources),
    resources: resources.length,
    ignorePaths: modelStat.isDirectory() ? recorded : [],
    ignored: tree.ignored,
    keyHint,
    curve: publicKey.curve,
  };
}

/** The signing certificate (which must hold the signing key) followed by the rest of the chain. */
function loadSigningChain(paths: string[], signingKey: KeyObject): Certificate[] {
  const certificates: Certificate[] = [];
  for (const path of paths) {
    const ders = pemCertificates(readKeyFile(path, 'certificate').toString('utf8'));
    if (ders.length === 0) throw new AntidoteError('KEY_INVALID', `${path}: no PEM certificate (-----BEGIN CERTIFICATE-----) found`);
    for (const der of ders) {
      const loaded = loadCertificate(der);
      if (!loaded.ok) throw new AntidoteError('KEY_INVALID', `${path}: ${loaded.message}`);
      certificates.push(loaded.value);
    }
  }
  const leaf = certificates[0]!;
  if (!samePublicKey(leaf.x509.publicKey, signingKey)) {
    throw new AntidoteError('KEY_INVALID', `${paths[0]}: the first certificate (${describeCertificate(leaf)}) does not hold the public half of the private key; put the signing certificate first`);
  }
  return certificates;
}
