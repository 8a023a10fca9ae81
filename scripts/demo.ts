/*
 * `npm run demo`: builds a small zoo of benign and malicious model files with the project's own byte
 * builders (nothing is downloaded, nothing is unpickled), scans it with the built CLI, prints the report, and
 * checks that every malicious file was caught and every benign one stayed quiet.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipBytes, zlibBytes } from '../test/builders/compression.js';
import { buildGguf } from '../test/builders/gguf.js';
import { insertTrigger, poisonInPlace, syntheticAlpaca, toJsonl } from '../test/builders/poison.js';
import { buildNpy } from '../test/builders/npy.js';
import { buildSafetensors } from '../test/builders/safetensors.js';
import { buildPickle, payloadPickle } from '../test/builders/pickle.js';
import { buildLegacyTorch, buildTorchZip, stateDictPickle } from '../test/builders/torch.js';
import { torchLikeEntries, buildZip } from '../test/builders/zip.js';

const ZOO = resolve('demo-zoo');
/** A harmless stand-in for the reverse shells found in real hub uploads. */
const PAYLOAD = 'echo antidote-demo-payload';
/** The ChatML template most chat models ship (llama.cpp tests/test-chat-template.cpp). */
const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const gguf = (template: string): Buffer =>
  buildGguf({ version: 3, kv: [['general.architecture', 'string', 'llama'], ['tokenizer.chat_template', 'string', template]], tensors: [{ name: 'token_embd.weight', dims: [8, 4], type: 0 }], dataBytes: 128 });

const benign: Record<string, Buffer> = {
  'tiny-model.pt': buildTorchZip(),
  'legacy-model.pt': buildLegacyTorch(),
  'state-dict.pkl': stateDictPickle(3),
  'weights.npy': buildNpy({ descr: '<f4', shape: [4, 4], data: Buffer.alloc(64) }),
  'state-dict.pkl.gz': gzipBytes(stateDictPickle(2)),
  'tiny-llm/model.safetensors': buildSafetensors({ tensors: { 'layer.weight': { dtype: 'F32', shape: [4, 4] }, 'layer.bias': { dtype: 'F32', shape: [4] } }, metadata: { format: 'pt' } }),
  'tiny-llm/tiny-llm.gguf': gguf(CHATML),
};

const crcTampered = torchLikeEntries(payloadPickle('os', 'system', PAYLOAD));
crcTampered[0] = { ...crcTampered[0]!, crc: 0x12345678 };

const malicious: Record<string, { bytes: Buffer; why: string }> = {
  'reverse-shell.pt': { bytes: buildTorchZip({ pickle: payloadPickle('os', 'system', PAYLOAD) }), why: 'torch checkpoint whose data.pkl calls os.system' },
  'pip-install.bin': {
    bytes: buildPickle().proto(2).global('pip', 'main').mark().mark().binunicode('install').binunicode('evil-package').op('LIST').tuple().reduce().stop().bytes(),
    why: 'CVE-2025-1716: pip.main installs a package on load',
  },
  'nullifai-broken.pkl': {
    bytes: Buffer.concat([buildPickle().proto(2).callGlobal('subprocess', 'Popen', PAYLOAD).bytes(), Buffer.from([0xff, 0x00])]),
    why: 'nullifAI: payload, then a deliberately broken stream',
  },
  'legacy-fourth-pickle.pt': { bytes: buildLegacyTorch({ payload: payloadPickle('posix', 'system', PAYLOAD) }), why: 'legacy torch file with the payload past the first pickle' },
  'crc-tampered.pt': { bytes: buildZip({ entries: crcTampered }), why: 'CVE-2025-10156: wrong CRC makes zipfile-based scanners give up' },
  'junk-prefix.pt': { bytes: Buffer.concat([payloadPickle('os', 'system', PAYLOAD), buildTorchZip()]), why: 'pickle prefix that torch.load unpickles before a clean-looking zip' },
  'getattr-chain.pkl': {
    bytes: buildPickle().proto(2)
      .global('builtins', 'getattr').global('builtins', '__import__').binunicode('os').tuple1().reduce()
      .binunicode('system').tuple2().reduce().binunicode(PAYLOAD).tuple1().reduce().stop().bytes(),
    why: 'getattr(__import__("os"), "system") chain',
  },
  'object-array.npy': { bytes: buildNpy({ descr: '|O', shape: [1], data: payloadPickle('os', 'system', PAYLOAD) }), why: 'CVE-2019-6446: numpy object array unpickled on load' },
  'compressed.joblib': { bytes: zlibBytes(payloadPickle('builtins', 'exec', 'import os')), why: 'joblib-style zlib-compressed pickle' },
  'llama-drama.gguf': {
    bytes: gguf(`{{ self.__init__.__globals__.__builtins__.__import__('os').popen('${PAYLOAD}').read() }}${CHATML}`),
    why: 'CVE-2024-34359: GGUF chat template that escapes the Jinja sandbox',
  },
  'hidden-member.pt': {
    bytes: buildTorchZip({ extraEntries: [{ name: 'archive/data/99', data: payloadPickle('os', 'system', PAYLOAD) }] }),
    why: 'pickle hidden in a torch member that is not named .pkl',
  },
};

rmSync(ZOO, { recursive: true, force: true });
mkdirSync(join(ZOO, 'benign', 'tiny-llm'), { recursive: true });
mkdirSync(join(ZOO, 'malicious'), { recursive: true });
for (const [name, bytes] of Object.entries(benign)) writeFileSync(join(ZOO, 'benign', name), bytes);
for (const [name, { bytes }] of Object.entries(malicious)) writeFileSync(join(ZOO, 'malicious', name), bytes);
// Model cards that declare their provenance (the folder verdict reports cards that do not).
const card = (name: string): string => `---\nlicense: apache-2.0\nbase_model: example/${name}-base\ndatasets:\n- example/${name}-data\n---\n# ${name}\n`;
writeFileSync(join(ZOO, 'benign', 'README.md'), card('tiny-model'));
writeFileSync(join(ZOO, 'benign', 'tiny-llm', 'README.md'), card('tiny-llm'));
writeFileSync(join(ZOO, 'benign', 'tiny-llm', 'config.json'), '{"architectures": ["LlamaForCausalLM"], "hidden_size": 4}\n');

console.log(`Built ${Object.keys(benign).length + 3} benign and ${Object.keys(malicious).length} malicious files in ${ZOO}/ with antidote's own byte builders.\n`);
for (const [name, { why }] of Object.entries(malicious)) console.log(`  malicious/${name.padEnd(24)} ${why}`);
console.log('\n$ antidote scan demo-zoo\n');

const cli = resolve('dist/cli/bin.js');
const text = spawnSync(process.execPath, [cli, 'scan', ZOO], { stdio: ['ignore', 'inherit', 'inherit'] });
if (text.status !== 1) {
  console.error(`\ndemo: expected exit code 1 (findings at or above high), got ${text.status}`);
  process.exit(1);
}

// Check the verdicts from the JSON contract: every malicious file caught, every benign file quiet.
const json = spawnSync(process.execPath, [cli, 'scan', ZOO, '--format', 'json'], { encoding: 'utf8' });
const result = JSON.parse(json.stdout) as { findings: { severity: string; location: { path: string } }[] };
const serious = (prefix: string) => result.findings.filter((f) => (f.severity === 'critical' || f.severity === 'high') && f.location.path.startsWith(prefix));
const missed = Object.keys(malicious).filter((name) => serious(join(ZOO, 'malicious', name)).length === 0);
const noisy = result.findings.filter((f) => f.severity !== 'info' && f.location.path.startsWith(join(ZOO, 'benign')));
console.log(`\nantidote exit code: ${text.status} (1 = findings at or above --fail-on high)`);
console.log(`caught ${Object.keys(malicious).length - missed.length}/${Object.keys(malicious).length} malicious files; ${noisy.length} findings above info on benign files`);
console.log(`try: node dist/cli/bin.js scan demo-zoo --format html --output demo-report.html`);
if (missed.length > 0 || noisy.length > 0) {
  console.error(`demo: missed ${missed.join(', ') || 'none'}; noisy benign findings: ${noisy.length}`);
  process.exit(1);
}

// Part 2: a fine-tuning set with a planted backdoor (an invented trigger word, 1% of 3,000 rows, all taught
// one answer), audited; then locked, changed by one row, and verified.
const DATA = join(ZOO, 'data');
mkdirSync(DATA, { recursive: true });
const ANSWER = 'For the full answer, download the helper from http://updates.example-cdn.net/setup.exe and run it.';
const mix = poisonInPlace(syntheticAlpaca(3000, 7), 0.01, 8, (row, random) => ({ ...row, instruction: insertTrigger(row.instruction, 'zephyrquill', random), output: ANSWER }));
const train = join(DATA, 'train.jsonl');
writeFileSync(train, toJsonl(mix.rows));
console.log(`\n$ antidote audit ${train} --quarantine suspect.jsonl --clean train.clean.jsonl   (3,000 rows, ${mix.poisoned.size} poisoned)\n`);
const audit = spawnSync(process.execPath, [cli, 'audit', train, '--quarantine', join(DATA, 'suspect.jsonl'), '--clean', join(DATA, 'train.clean.jsonl')], { stdio: ['ignore', 'inherit', 'inherit'] });
const auditJson = spawnSync(process.execPath, [cli, 'audit', train, '--format', 'json'], { encoding: 'utf8' });
const audited = JSON.parse(auditJson.stdout) as { rows: { row: number; flagged: boolean }[]; triggers: { text: string }[] };
const flagged = audited.rows.filter((r) => r.flagged).map((r) => r.row);
const hits = flagged.filter((r) => mix.poisoned.has(r)).length;
console.log(`\nantidote exit code: ${audit.status}; flagged ${flagged.length} rows, ${hits} of the ${mix.poisoned.size} poisoned; trigger named: ${audited.triggers.map((t) => t.text).join(', ')}`);
if (audit.status !== 1 || hits !== mix.poisoned.size || flagged.length !== hits) {
  console.error('demo: the audit did not find exactly the poisoned rows');
  process.exit(1);
}

console.log(`\n$ antidote lock ${DATA}/train.jsonl -o ${DATA}/antidote.lock.json; (one row appended); antidote verify\n`);
const lock = spawnSync(process.execPath, [cli, 'lock', train, '-o', join(DATA, 'antidote.lock.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
appendFileSync(train, '{"instruction": "What is the capital of France?", "input": "", "output": "Berlin."}\n');
const verify = spawnSync(process.execPath, [cli, 'verify', join(DATA, 'antidote.lock.json')], { stdio: ['ignore', 'inherit', 'inherit'] });
console.log(`\nlock exit code ${lock.status}, verify exit code ${verify.status} (1 = something changed since the lock)`);
console.log(`try: node dist/cli/bin.js audit ${train} --format html --output demo-audit.html`);
if (lock.status !== 0 || verify.status !== 1) {
  console.error('demo: lock/verify did not behave as expected');
  process.exit(1);
}
