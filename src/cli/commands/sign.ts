import { parseArgs } from 'node:util';
import { AntidoteError } from '../../core/errors.js';
import { signModel, type SignModelOptions } from '../../provenance/signing/index.js';
import { parseCommandArgs, type CliCommand } from '../command.js';
import { writeOutput } from '../output.js';
import { printHelp } from './scan.js';

const OPTIONS = {
  key: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'certificate-chain': { type: 'string', multiple: true },
  'ignore-paths': { type: 'string', multiple: true },
  'no-ignore-git-paths': { type: 'boolean' },
  hash: { type: 'string' },
  'allow-symlinks': { type: 'boolean' },
  format: { type: 'string', short: 'f' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** `antidote sign`: sign a model or dataset folder in the OpenSSF model-signing format with a local key. */
export const signCommand: CliCommand = {
  name: 'sign',
  synopsis: 'sign MODEL --key KEY.pem [options]',
  summary: 'sign a model or dataset (OpenSSF model-signing format)',
  help: `Usage: antidote sign MODEL --key KEY.pem [options]

Signs a model or dataset (a folder, or one file) in the OpenSSF model-signing format, as model_signing 1.x
writes it: the sha256 of every file in an in-toto statement, signed with DSSE, in a Sigstore bundle.
'antidote verify-signature' and model_signing's 'verify key' / 'verify certificate' both check it.

Options:
      --key FILE                 PEM private key, EC P-256, P-384 or P-521 (encrypted keys: set ANTIDOTE_KEY_PASSWORD)
  -o, --output FILE              where to write the signature (default: MODEL/model.sig, or MODEL.sig for a file)
      --certificate-chain FILE   embed the signing certificate (first) and its chain instead of a key hint (repeatable)
      --ignore-paths PATH        leave PATH out of the signature, relative to the working directory (repeatable)
      --no-ignore-git-paths      also sign .git, .gitattributes, .github and .gitignore
      --hash sha256|blake2       per-file hash (default: sha256)
      --allow-symlinks           hash symlinked files as their target instead of refusing the model
  -f, --format text|json         what to print (default: text)

Keyless signing (Sigstore OIDC + Fulcio + Rekor) needs the network and is not offered: use model_signing
for it, and 'antidote verify-signature --sigstore-identity ...' to verify offline.

Exit codes: 0 signed, 2 usage or tool error.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('sign', () => parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
    if (values.help) return printHelp(this.help);
    if (positionals.length !== 1) throw new AntidoteError('USAGE', 'sign needs exactly one MODEL (a folder or a file). Example: antidote sign ./my-model --key signing-key.pem');
    if (values.key === undefined) throw new AntidoteError('USAGE', 'sign needs --key FILE, a PEM EC private key (e.g. from: openssl ecparam -name secp384r1 -genkey -noout -out key.pem)');
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new AntidoteError('USAGE', `--format must be text or json (got '${format}')`);
    const hash = values.hash ?? 'sha256';
    if (hash !== 'sha256' && hash !== 'blake2') throw new AntidoteError('USAGE', `--hash must be sha256 or blake2 (got '${hash}')`);
    const options: SignModelOptions = {
      modelPath: positionals[0]!,
      privateKeyPath: values.key,
      ignorePaths: values['ignore-paths'] ?? [],
      ignoreGitPaths: !values['no-ignore-git-paths'],
      hashType: hash,
      allowSymlinks: values['allow-symlinks'] ?? false,
    };
    if (values.output !== undefined) options.signaturePath = values.output;
    if (values['certificate-chain']?.length) options.certificateChainPaths = values['certificate-chain'];
    const password = process.env.ANTIDOTE_KEY_PASSWORD;
    if (password) options.privateKeyPassphrase = password;
    const result = await signModel(options);
    if (format === 'json') {
      const { bundle: _bundle, ...summary } = result;
      writeOutput(JSON.stringify(summary, null, 2), undefined);
    } else {
      const ignored = result.ignored.length ? `\n  ignored      ${result.ignored.join(', ')}` : '';
      writeOutput(
        `signed ${result.modelName}: ${result.resources} file(s) -> ${result.signaturePath}\n  root digest  ${result.rootDigest}\n  key          ${result.curve}, hint ${result.keyHint}${ignored}`,
        undefined,
      );
    }
    return 0;
  },
};
