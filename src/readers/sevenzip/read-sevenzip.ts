import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SevenZipModule, SevenZipModuleFactory, SevenZipModuleOptions } from '7z-wasm';
import { AntidoteError } from '../../core/errors.js';
import type { Limits } from '../../core/limits.js';
import { fail, ok, type ReadResult } from '../../core/read-result.js';

/*
 * A 7z reader built on 7z-wasm (7-Zip 24.09 compiled to WebAssembly). Attackers wrap pickle payloads in 7z
 * because most model scanners skip the format. Everything happens inside the WASM module's in-memory file
 * system: the archive is written there, listed, and only when every declared size is within the limits
 * extracted there; nothing touches the real disk (no NODEFS mount) and links are never followed (the tree
 * is walked with lstat and only regular files are read).
 *
 * The module factory is async (the WASM is compiled at start-up), so the reader is made once by
 * `initSevenZip()`; after that `reader.read()` is synchronous, as the engine's scanObject needs.
 */

/**
 * Output below which the compression ratio is not judged (Limits.maxCompressionRatio: "applied past 1 MiB of
 * output"); the same number as RATIO_GRACE_BYTES in readers/compression, which a reader may not import.
 */
const RATIO_GRACE_BYTES = 1024 * 1024;

/** The run-wide decompression budget (structurally the same as readers/compression's DecompressionBudget, so the engine passes its own). */
export interface SevenZipBudget {
  remaining: number;
}

/** Signature of every 7z archive: '7z' BC AF 27 1C. */
export const SEVENZIP_MAGIC = Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]);
/** Size of the fixed signature header that precedes the packed streams. */
const SIGNATURE_HEADER = 32;
/** 7z coder id of AES-256 + SHA-256 (7zAES); found in an encoded header when the headers are encrypted. */
const AES_CODER_ID = Buffer.from([0x06, 0xf1, 0x07, 0x01]);
/** Dummy password passed on every call: without one 7-Zip would prompt on stdin; any real password is unknown. */
const DUMMY_PASSWORD = '-pantidote-no-password';
/** Error lines kept per archive as `corrupt` anomalies; a damaged solid block can print one per member. */
export const MAX_REPORTED_ERRORS = 32;
/** Lines of 7-Zip output kept per call when no entry filter bounds them (extraction prints a few per member). */
const MAX_OUTPUT_LINES = 10_000;
/** Longest line of 7-Zip output kept, so that a hostile name cannot fill memory through the listing. */
const MAX_OUTPUT_LINE = 64 * 1024;
/** Work folder inside the WASM file system; removed after every read. */
const WORK = '/antidote-7z';
/** Symlink members whose target is read for evidence; each costs one more 7-Zip run. */
export const MAX_SYMLINK_TARGETS = 32;
/** Longest symlink target read (PATH_MAX on Linux); longer ones are not read. */
export const MAX_SYMLINK_TARGET_BYTES = 4096;

/** One member as the archive's headers list it (7-Zip `l -slt`). */
export interface SevenZipEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  /** Declared unpacked size (for a symlink: the length of its target). */
  size: number;
  encrypted: boolean;
  /** 7-Zip's attribute text, e.g. `A -rw-r--r--` or `A lrwxrwxrwx`, for evidence. */
  attributes: string;
  method: string;
  /** For a symlink: the path it points to, as stored (read, never followed); absent when not read. */
  linkTarget?: string;
}

/** One extracted regular file: its path as 7-Zip wrote it (sanitised: no `..`, no leading `/`) and its bytes. */
export interface SevenZipMember {
  name: string;
  data: Buffer;
}

/** Structural surprises and reasons a member could not be scanned. */
export type SevenZipAnomalyKind = 'path-traversal' | 'symlink' | 'encrypted' | 'over-limit' | 'corrupt' | 'duplicate-name' | 'trailing-data';

export interface SevenZipAnomaly {
  kind: SevenZipAnomalyKind;
  entry?: string;
  /** For `symlink`: the link's target, when it was read. */
  target?: string;
  /** For `over-limit`: the name of the limit. */
  limit?: string;
  message: string;
}

/** A 7z archive: what its headers list, what was extracted, and what went wrong. */
export interface SevenZipArchive {
  entries: SevenZipEntry[];
  members: SevenZipMember[];
  anomalies: SevenZipAnomaly[];
  /** Set when some listed content was not extracted (a limit, encryption, damage): never a clean result. */
  incomplete?: { reason: string; limit?: string };
}

/** A ready 7-Zip: `read` is synchronous and never throws. */
export interface SevenZipReader {
  read(bytes: Buffer, limits: Limits, budget?: SevenZipBudget): ReadResult<SevenZipArchive>;
}

/** Content test: the 6-byte 7z signature. */
export function sniffSevenZip(head: Buffer): boolean {
  return head.length >= SEVENZIP_MAGIC.length && head.subarray(0, SEVENZIP_MAGIC.length).equals(SEVENZIP_MAGIC);
}

/** Path problems an extraction would act on: `..` segments, absolute paths, drive letters. */
function traversal(name: string): boolean {
  return name.startsWith('/') || name.startsWith('\\') || /^[a-zA-Z]:/.test(name) || name.split(/[\\/]/).includes('..');
}

/** Stack helpers the 7zz.wasm exports; the JS glue keeps them private, so they are taken at instantiation. */
interface StackExports {
  emscripten_stack_get_current(): number;
  _emscripten_stack_restore(pointer: number): void;
}

interface Output {
  lines: string[];
  errors: string[];
}

/** Wraps one module instance: captures its output per call and notices when it can no longer be used. */
class Engine implements SevenZipReader {
  private out: Output = { lines: [], errors: [] };
  private accept: ((line: string) => boolean) | undefined;
  private broken: string | undefined;
  private module: SevenZipModule | undefined;
  private stack: StackExports | undefined;

  attach(module: SevenZipModule, stack: StackExports): void {
    this.module = module;
    this.stack = stack;
  }

  print(line: string, error: boolean): void {
    const clipped = line.length > MAX_OUTPUT_LINE ? line.slice(0, MAX_OUTPUT_LINE) : line;
    if (error) {
      if (this.out.errors.length < MAX_OUTPUT_LINES) this.out.errors.push(clipped);
    } else if (this.accept ? this.accept(clipped) : this.out.lines.length < MAX_OUTPUT_LINES) {
      this.out.lines.push(clipped);
    }
  }

  /** Run one 7-Zip command; `threw` is set when 7-Zip raised a C++ exception (it does on encrypted headers). */
  private run(args: string[], onLine?: (line: string) => boolean): { code: number; threw: boolean; output: Output } {
    this.out = { lines: [], errors: [] };
    // Keep only what the caller accepts (a bounded listing of headers that claim millions of entries).
    this.accept = onLine;
    let code = 2;
    let threw = false;
    // Emscripten's callMain puts argv on the WASM stack and never pops it, and a C++ exception that escapes
    // main skips the epilogues: without this restore the stack leaks on every call and the instance dies
    // with "memory access out of bounds" after a few hundred archives.
    const stackPointer = this.stack!.emscripten_stack_get_current();
    // The glue sets process.exitCode to 7-Zip's exit code on every call (1 on a C++ exception) and this build
    // offers no `quit` override: the host's exit status must not depend on what was scanned.
    const exitCode = process.exitCode;
    try {
      const returned = (this.module!.callMain as (a: string[]) => unknown)(args);
      code = typeof returned === 'number' ? returned : 2;
    } catch (error) {
      threw = true;
      // A number is a C++ exception pointer: 7-Zip unwound cleanly. Anything else (abort, out of memory,
      // RuntimeError) leaves the WASM instance in an unknown state; stop using it.
      if (typeof error !== 'number') this.broken = error instanceof Error ? error.message : String(error);
    } finally {
      this.stack!._emscripten_stack_restore(stackPointer);
      this.accept = undefined;
      process.exitCode = exitCode;
    }
    return { code, threw, output: this.out };
  }

  read(bytes: Buffer, limits: Limits, budget?: SevenZipBudget): ReadResult<SevenZipArchive> {
    if (!sniffSevenZip(bytes)) return fail({ kind: 'malformed', message: 'no 7z signature', offset: 0 });
    if (this.broken !== undefined || !this.module) return fail({ kind: 'io', message: `7-Zip engine unavailable: ${this.broken ?? 'not initialised'}` });
    const fs = this.module.FS;
    try {
      removeTree(this.module, WORK);
      fs.mkdir(WORK);
      fs.writeFile(`${WORK}/in.7z`, bytes);
      return this.listAndExtract(bytes, limits, budget);
    } catch (error) {
      return fail({ kind: 'io', message: `7-Zip in-memory file system: ${error instanceof Error ? error.message : String(error)}` });
    } finally {
      try {
        removeTree(this.module, WORK);
      } catch {
        this.broken ??= 'could not clean the in-memory work folder';
      }
    }
  }

  /**
   * A 7z symlink stores its target as the member's data. 7-Zip extracting to a folder would make a link
   * (rewriting absolute targets) or refuse a dangerous one, so the data is written to stdout instead (`-so`)
   * and taken from the output: the target as stored, never resolved or followed. `--` ends the switches and
   * `-spd` turns wildcards off, so a link named `-x` or `*` names only itself.
   */
  private readLinkTargets(entries: SevenZipEntry[], anomalies: SevenZipAnomaly[]): void {
    const links = entries.filter((e) => e.type === 'symlink' && !e.encrypted && e.size > 0 && e.size <= MAX_SYMLINK_TARGET_BYTES).slice(0, MAX_SYMLINK_TARGETS);
    for (const entry of links) {
      const result = this.run(['x', '-so', '-t7z', '-spd', '-sccUTF-8', DUMMY_PASSWORD, '--', `${WORK}/in.7z`, entry.name]);
      // Emscripten's stdout keeps a last line without a newline until it is flushed: flush it into `lines`.
      const stdout = (this.module!.FS as unknown as { getStream(fd: number): { stream_ops?: { fsync?(stream: unknown): void } } | null }).getStream(1);
      stdout?.stream_ops?.fsync?.(stdout);
      if (result.threw || this.broken !== undefined) return;
      const target = this.out.lines.join('\n');
      if (target.length === 0) continue;
      entry.linkTarget = target;
      for (const anomaly of anomalies) {
        if (anomaly.kind !== 'symlink' || anomaly.entry !== entry.name || anomaly.target !== undefined) continue;
        anomaly.target = target;
        anomaly.message = `symlink member ${JSON.stringify(entry.name)} points to ${JSON.stringify(target)} (${entry.attributes}); not followed or scanned`;
      }
    }
  }

  private listAndExtract(bytes: Buffer, limits: Limits, budget?: SevenZipBudget): ReadResult<SevenZipArchive> {
    if (headersEncrypted(bytes)) {
      // Checked before 7-Zip sees the archive: opening it would run the password key derivation (up to
      // 2^24 SHA-256 rounds, the archive's choice) with a password nobody has, for nothing.
      const anomaly: SevenZipAnomaly = { kind: 'encrypted', message: 'archive headers are encrypted (7z -mhe): member names and contents cannot be read or scanned' };
      return ok({ entries: [], members: [], anomalies: [anomaly], incomplete: { reason: 'encrypted archive headers' } });
    }
    let paths = 0;
    const list = this.run(['l', '-slt', '-t7z', '-sccUTF-8', DUMMY_PASSWORD, `${WORK}/in.7z`], (line) => {
      if (line.startsWith('Path = ')) paths += 1;
      return paths <= limits.maxZipEntries + 2; // the archive itself is the first Path block
    });
    if (list.threw) {
      return fail({ kind: 'malformed', message: `7-Zip could not read the archive headers${this.broken ? `: ${this.broken}` : ''}`, offset: 0 });
    }
    const parsed = parseListing(list.output.lines);
    // 7-Zip counts the archive itself as the first Path block; members follow the `----------` line.
    if (!parsed.opened) {
      const text = list.output.errors.join(' ');
      const kind = /Unexpected end|truncated/i.test(text) ? 'truncated' : 'malformed';
      return fail({ kind, message: `not a readable 7z archive: ${summarise(list.output.errors) || 'cannot open'}`, offset: 0 });
    }
    if (parsed.entries.length > limits.maxZipEntries) {
      return fail({ kind: 'limit', message: `more than ${limits.maxZipEntries} archive entries`, limit: 'maxZipEntries' });
    }
    const { entries } = parsed;
    const anomalies: SevenZipAnomaly[] = [];
    const names = new Set<string>();
    for (const entry of entries) {
      if (traversal(entry.name)) anomalies.push({ kind: 'path-traversal', entry: entry.name, message: `member name ${JSON.stringify(entry.name)} escapes the extraction folder` });
      if (entry.type === 'symlink') anomalies.push({ kind: 'symlink', entry: entry.name, message: `symlink member ${JSON.stringify(entry.name)} (${entry.attributes}); not followed or scanned` });
      if (entry.encrypted) anomalies.push({ kind: 'encrypted', entry: entry.name, message: `member ${JSON.stringify(entry.name)} is encrypted (${entry.method}) and cannot be scanned` });
      if (names.has(entry.name)) anomalies.push({ kind: 'duplicate-name', entry: entry.name, message: `member ${JSON.stringify(entry.name)} appears twice; extraction keeps the last` });
      names.add(entry.name);
    }
    if (parsed.physicalSize !== undefined && parsed.physicalSize < bytes.length) {
      anomalies.push({ kind: 'trailing-data', message: `${bytes.length - parsed.physicalSize} bytes after the end of the 7z archive` });
    }
    for (const line of listErrors(list.output)) anomalies.push({ kind: 'corrupt', message: line });

    // Limits on the declared sizes, before anything is decoded. 7-Zip's decoders stop at the declared
    // unpack size of each folder, so these numbers bound what extraction can write.
    const overLimit = (limit: string, message: string): ReadResult<SevenZipArchive> => {
      anomalies.push({ kind: 'over-limit', limit, message });
      return ok({ entries, members: [], anomalies, incomplete: { reason: message, limit } });
    };
    let total = 0;
    for (const entry of entries) {
      if (entry.size > limits.maxMemberBytes) return overLimit('maxMemberBytes', `member ${JSON.stringify(entry.name)} declares ${entry.size} bytes, over maxMemberBytes (${limits.maxMemberBytes})`);
      total += entry.size;
    }
    if (total > RATIO_GRACE_BYTES && total > bytes.length * limits.maxCompressionRatio) {
      return overLimit('maxCompressionRatio', `members declare ${total} bytes from a ${bytes.length}-byte archive, a ratio above maxCompressionRatio (${limits.maxCompressionRatio}): a decompression bomb`);
    }
    const remaining = Math.min(limits.maxTotalUncompressed, budget?.remaining ?? Infinity);
    if (total > remaining) return overLimit('maxTotalUncompressed', `members declare ${total} bytes, over what is left of maxTotalUncompressed (${remaining})`);

    // Within the limits: read where the links point, for the evidence (the declared sizes bound the decoding).
    this.readLinkTargets(entries, anomalies);

    const scannable = entries.filter((e) => e.type === 'file' && !e.encrypted);
    if (scannable.length === 0) {
      const incomplete = entries.some((e) => e.encrypted) ? { reason: 'every member is encrypted' } : undefined;
      return ok(incomplete ? { entries, members: [], anomalies, incomplete } : { entries, members: [], anomalies });
    }
    if (budget) budget.remaining -= total;
    // Encrypted members are left out of extraction (a list file, not arguments: argv lives on the small WASM
    // stack): decoding them would only run the key derivation with a wrong password, once per salt.
    const encrypted = new Set(entries.filter((e) => e.encrypted).map((e) => e.name));
    const exclude: string[] = [];
    if (encrypted.size > 0) {
      this.module!.FS.writeFile(`${WORK}/exclude.txt`, [...encrypted].join('\n'));
      exclude.push('-spd', '-scsUTF-8', `-x@${WORK}/exclude.txt`);
    }
    const extract = this.run(['x', '-t7z', '-y', '-sccUTF-8', DUMMY_PASSWORD, ...exclude, `-o${WORK}/out`, `${WORK}/in.7z`]);
    if (this.broken !== undefined) {
      anomalies.push({ kind: 'corrupt', message: `7-Zip failed while extracting: ${this.broken}` });
      return ok({ entries, members: [], anomalies, incomplete: { reason: 'extraction failed' } });
    }
    const extractErrors = extractionErrors(extract.output.errors);
    for (const line of extractErrors) anomalies.push({ kind: 'corrupt', message: line });
    const members = collectFiles(this.module!, `${WORK}/out`).filter((m) => !encrypted.has(m.name));
    let incomplete: SevenZipArchive['incomplete'];
    if (encrypted.size > 0) incomplete = { reason: `${encrypted.size} encrypted member(s) not scanned` };
    else if (extract.threw || extractErrors.length > 0) incomplete = { reason: 'archive is damaged: some members may be missing or cut short' };
    return ok(incomplete ? { entries, members, anomalies, incomplete } : { entries, members, anomalies });
  }
}

/** Parse `7zz l -slt` output: the archive block (before `----------`), then one block per member. */
function parseListing(lines: string[]): { opened: boolean; physicalSize?: number; entries: SevenZipEntry[] } {
  const separator = lines.indexOf('----------');
  if (separator < 0) return { opened: false, entries: [] };
  let physicalSize: number | undefined;
  for (const line of lines.slice(0, separator)) {
    const m = /^Physical Size = (\d+)$/.exec(line);
    if (m) physicalSize = Number(m[1]);
  }
  const entries: SevenZipEntry[] = [];
  let block: Map<string, string> | undefined;
  const flush = (): void => {
    if (!block?.has('Path')) return;
    const attributes = block.get('Attributes') ?? '';
    // Attributes are "<windows flags> <unix mode>", e.g. "A lrwxrwxrwx"; a Windows reparse point flag also counts.
    const unix = /\s([dlcbps-])[rwxsStT-]{9}/.exec(` ${attributes}`)?.[1];
    const windows = attributes.split(' ')[0] ?? '';
    const isDir = unix === 'd' || windows.includes('D');
    const isLink = unix === 'l';
    const size = Number(block.get('Size') ?? '0');
    entries.push({
      name: block.get('Path') ?? '',
      type: isLink ? 'symlink' : isDir ? 'directory' : 'file',
      size: Number.isSafeInteger(size) && size >= 0 ? size : Number.MAX_SAFE_INTEGER,
      encrypted: block.get('Encrypted') === '+',
      attributes,
      method: block.get('Method') ?? '',
    });
  };
  for (const line of lines.slice(separator + 1)) {
    if (line.startsWith('Path = ')) {
      flush();
      block = new Map();
    }
    const eq = line.indexOf(' = ');
    if (block && eq > 0) {
      const key = line.slice(0, eq);
      if (!block.has(key)) block.set(key, line.slice(eq + 3));
    }
  }
  flush();
  return { opened: true, ...(physicalSize !== undefined ? { physicalSize } : {}), entries };
}

/** ERROR / WARNING lines of a listing that still opened (headers error, unexpected end, unsupported method). */
function listErrors(output: Output): string[] {
  const lines = [...output.lines, ...output.errors].filter((l) => /^(ERROR|WARNING|Open (ERROR|WARNING)|Unexpected end|Headers Error|Unsupported|There are data after)/i.test(l.trim()));
  return [...new Set(lines.map((l) => l.trim()))].filter((l) => !/data after the end/i.test(l)).slice(0, MAX_REPORTED_ERRORS);
}

/** Extraction errors worth a finding; wrong-password and refused-link lines are already anomalies of their own. */
function extractionErrors(errors: string[]): string[] {
  const lines = errors.map((l) => l.trim()).filter((l) => /ERROR|WARNING|Unexpected end|CRC Failed|Data Error|Unsupported/i.test(l));
  return [...new Set(lines)].filter((l) => !/Wrong password|Dangerous link|^Sub items Errors|^Archives with Errors/i.test(l)).slice(0, MAX_REPORTED_ERRORS);
}

function summarise(errors: string[]): string {
  return errors.map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('ERROR: /')).slice(0, 4).join('; ');
}

/** Encrypted headers: the next header is an encoded header (0x17) whose coder list holds 7zAES. */
function headersEncrypted(bytes: Buffer): boolean {
  if (bytes.length < SIGNATURE_HEADER) return false;
  const offset = bytes.readBigUInt64LE(12);
  const size = bytes.readBigUInt64LE(20);
  const start = BigInt(SIGNATURE_HEADER) + offset;
  if (start + size > BigInt(bytes.length) || size === 0n) return false;
  const header = bytes.subarray(Number(start), Number(start + size));
  return header[0] === 0x17 && header.includes(AES_CODER_ID);
}

/** Every regular file under `root`, found with lstat: links and devices are neither followed nor read. */
function collectFiles(module: SevenZipModule, root: string): SevenZipMember[] {
  const fs = module.FS;
  const members: SevenZipMember[] = [];
  const walk = (dir: string, prefix: string): void => {
    let names: string[];
    try {
      names = fs.readdir(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (name === '.' || name === '..') continue;
      const full = `${dir}/${name}`;
      const stat = fs.lstat(full);
      if (fs.isDir(stat.mode)) walk(full, `${prefix}${name}/`);
      else if (fs.isFile(stat.mode)) members.push({ name: `${prefix}${name}`, data: Buffer.from(fs.readFile(full)) });
    }
  };
  walk(root, '');
  return members;
}

/** Remove `path` and everything under it without following links. */
function removeTree(module: SevenZipModule, path: string): void {
  const fs = module.FS;
  let stat;
  try {
    stat = fs.lstat(path);
  } catch {
    return;
  }
  if (fs.isDir(stat.mode)) {
    for (const name of fs.readdir(path)) if (name !== '.' && name !== '..') removeTree(module, `${path}/${name}`);
    fs.rmdir(path);
  } else {
    fs.unlink(path);
  }
}

/** The parts of the WebAssembly global used here (the project's lib settings do not declare it). */
interface WasmInstance {
  exports: Record<string, unknown>;
}
function wasmApi(): { instantiate(bytes: Uint8Array, imports: unknown): Promise<{ instance: WasmInstance; module: unknown }> } {
  return (globalThis as unknown as { WebAssembly: ReturnType<typeof wasmApi> }).WebAssembly;
}

let ready: Promise<SevenZipReader> | undefined;
let current: SevenZipReader | undefined;

/**
 * Load 7-Zip once (compiles the bundled WASM from node_modules; no network) and return a synchronous reader.
 * Later calls return the same reader. Rejects only if the WASM cannot be loaded at all.
 */
export function initSevenZip(): Promise<SevenZipReader> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const factory = require('7z-wasm') as SevenZipModuleFactory;
    const wasmBinary = readFileSync(require.resolve('7z-wasm/7zz.wasm'));
    // The glue waits for `receive` forever if instantiation fails: surface that failure as a rejection.
    let rejectInstantiation: (error: unknown) => void = () => {};
    const instantiationFailed = new Promise<never>((_resolve, reject) => {
      rejectInstantiation = reject;
    });
    const engine = new Engine();
    let stack: StackExports | undefined;
    const options = {
      // Instantiate from the bundled file ourselves: no fetch, and access to the stack exports.
      instantiateWasm(imports: unknown, receive: (instance: WasmInstance, module: unknown) => void) {
        void wasmApi().instantiate(wasmBinary, imports).then(
          ({ instance, module: compiled }) => {
            stack = instance.exports as unknown as StackExports;
            receive(instance, compiled);
          },
          (error: unknown) => rejectInstantiation(error),
        );
        return {};
      },
      print: (line: string) => engine.print(line, false),
      printErr: (line: string) => engine.print(line, true),
      // EOF on stdin: 7-Zip must never wait for a password or a confirmation.
      stdin: () => null as unknown as number,
    };
    const module = await Promise.race([factory(options as unknown as Partial<SevenZipModuleOptions>), instantiationFailed]);
    if (!stack) throw new AntidoteError('INTERNAL', '7z-wasm did not instantiate');
    engine.attach(module, stack);
    current = engine;
    return engine;
  })();
  ready.catch(() => {
    ready = undefined;
  });
  return ready;
}

/** The reader if `initSevenZip()` has already resolved, for synchronous callers; undefined before that. */
export function sevenZipReader(): SevenZipReader | undefined {
  return current;
}

/** Convenience for async callers: initialise if needed, then read. */
export async function readSevenZip(bytes: Buffer, limits: Limits, budget?: SevenZipBudget): Promise<ReadResult<SevenZipArchive>> {
  const reader = await initSevenZip();
  return reader.read(bytes, limits, budget);
}
