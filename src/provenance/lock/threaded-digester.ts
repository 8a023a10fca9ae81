import { Worker } from 'node:worker_threads';
import { AntidoteError } from '../../core/errors.js';
import type { DatasetEvent } from '../../readers/dataset/types.js';
import { LEAF_PREFIX_BYTES } from './lockfile.js';
import { forEachLeafInput, type LeafCounts } from './row-digester.js';

/*
 * Row digests on two cores: this thread reads and canonicalises rows (the reader's JSON.parse and the encoder
 * are JavaScript), a worker thread hashes them (two SHA-256 per row: the leaf and, on average, one Merkle node)
 * and returns the 8-byte leaf prefixes in order. Rows travel in batches of leaf inputs (0x00, kind, payload)
 * written straight into a transferred buffer, so nothing is copied twice. Used by `lock`, where every row of
 * every dataset is digested; verify digests only changed datasets and stays on one thread.
 * The worker's tree is the same RFC 6962 construction as MerkleBuilder; a test compares the two.
 */

/** Bytes of leaf input per batch: large enough to amortise a message, small enough to keep both threads busy. */
const BATCH_BYTES = 1024 * 1024;
/** Batches sent and not yet answered before the reader waits: bounds memory when hashing falls behind. */
const MAX_IN_FLIGHT = 4;

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const sha256 = typeof crypto.hash === 'function'
  ? (data) => crypto.hash('sha256', data, 'buffer')
  : (data) => crypto.createHash('sha256').update(data).digest();
const node = Buffer.alloc(65, 0x01);
let stack = [];
let size = 0;
function push(leaf) {
  let height = 0;
  let hash = leaf;
  size++;
  while (stack.length > 0 && stack[stack.length - 1].height === height) {
    const top = stack.pop();
    top.hash.copy(node, 1);
    hash.copy(node, 33);
    hash = sha256(node);
    height++;
  }
  stack.push({ height, hash });
}
function root() {
  if (stack.length === 0) return sha256(Buffer.alloc(0));
  let acc = stack[stack.length - 1].hash;
  for (let i = stack.length - 2; i >= 0; i--) {
    stack[i].hash.copy(node, 1);
    acc.copy(node, 33);
    acc = sha256(node);
  }
  return acc;
}
parentPort.on('message', (message) => {
  if (message.type === 'finish') {
    parentPort.postMessage({ type: 'root', root: root().toString('hex'), leaves: size });
    stack = [];
    size = 0;
    return;
  }
  const bytes = Buffer.from(message.bytes, message.offset);
  const ends = new Uint32Array(message.ends);
  const prefixes = Buffer.allocUnsafe(message.count * ${LEAF_PREFIX_BYTES});
  let start = 0;
  for (let i = 0; i < message.count; i++) {
    const leaf = sha256(bytes.subarray(start, ends[i]));
    leaf.copy(prefixes, i * ${LEAF_PREFIX_BYTES}, 0, ${LEAF_PREFIX_BYTES});
    push(leaf);
    start = ends[i];
  }
  parentPort.postMessage({ type: 'prefixes', prefixes: prefixes.buffer, offset: prefixes.byteOffset, length: prefixes.length }, [prefixes.buffer]);
});
`;

/** What the worker sends back. */
type Reply = { type: 'prefixes'; prefixes: ArrayBuffer; offset: number; length: number } | { type: 'root'; root: string; leaves: number };

/**
 * Digests the rows of one dataset after another on a worker thread. Call begin() per dataset, push() its events
 * (await the promise it sometimes returns: that is the backpressure), then finish() for its root.
 */
export class ThreadedDigester implements LeafCounts {
  rows = 0;
  badRows = 0;
  stopped = false;
  private worker: Worker | undefined;
  private bytes = Buffer.allocUnsafe(BATCH_BYTES);
  private ends = new Uint32Array(BATCH_BYTES / 16);
  private used = 0;
  private count = 0;
  private inFlight = 0;
  /** Set when the worker died: a tool error (it never reads the artifact), raised at the next push or finish. */
  private failure: Error | undefined;
  private onPrefixes: (prefixes: Buffer) => void = () => undefined;
  private waiting: (() => void)[] = [];
  private rootWaiter: ((reply: { root: string; leaves: number }) => void) | undefined;

  /** Start a dataset; `onPrefixes` receives its leaf prefixes in order, in batches. */
  begin(onPrefixes: (prefixes: Buffer) => void): void {
    this.rows = 0;
    this.badRows = 0;
    this.stopped = false;
    this.onPrefixes = onPrefixes;
  }

  /** Queue one event's leaves; returns a promise when the worker is behind (await it before the next push). */
  push(event: DatasetEvent): Promise<void> | undefined {
    forEachLeafInput(event, this, (kind, payload) => this.append(kind, payload));
    if (this.failure) throw this.failure;
    return this.inFlight > MAX_IN_FLIGHT ? new Promise<void>((resolve) => this.waiting.push(resolve)) : undefined;
  }

  /** Flush the dataset's last batch; its Merkle root (hex) and leaf count, once every prefix was delivered. */
  async finish(): Promise<{ root: string; leaves: number }> {
    this.flush();
    const worker = this.start();
    const reply = new Promise<{ root: string; leaves: number }>((resolve) => (this.rootWaiter = resolve));
    worker.postMessage({ type: 'finish' });
    return Promise.race([reply, this.failed()]);
  }

  /** Stop the worker. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private append(kind: number, payload: string | Uint8Array): void {
    // Worst case UTF-8 size of a string is 3 bytes per UTF-16 unit.
    const room = 2 + (typeof payload === 'string' ? payload.length * 3 : payload.length);
    if (this.used + room > this.bytes.length || this.count === this.ends.length) {
      this.flush();
      // A row larger than a batch gets a batch of its own.
      if (room > this.bytes.length) this.bytes = Buffer.allocUnsafe(room);
    }
    const at = this.used;
    this.bytes[at] = 0x00;
    this.bytes[at + 1] = kind;
    const n = typeof payload === 'string' ? this.bytes.write(payload, at + 2, 'utf8') : (this.bytes.set(payload, at + 2), payload.length);
    this.used = at + 2 + n;
    this.ends[this.count++] = this.used;
  }

  private flush(): void {
    if (this.count === 0) return;
    const worker = this.start();
    const { bytes, ends, count } = this;
    // The batch's buffers move to the worker (allocUnsafe of this size owns its ArrayBuffer); fresh ones here.
    const body = bytes.buffer as ArrayBuffer;
    worker.postMessage({ type: 'batch', bytes: body, offset: bytes.byteOffset, ends: ends.buffer, count }, [body, ends.buffer]);
    this.inFlight++;
    this.bytes = Buffer.allocUnsafe(BATCH_BYTES);
    this.ends = new Uint32Array(BATCH_BYTES / 16);
    this.used = 0;
    this.count = 0;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (reply: Reply) => {
      if (reply.type === 'prefixes') {
        this.inFlight--;
        this.onPrefixes(Buffer.from(reply.prefixes, reply.offset, reply.length));
        for (const resume of this.waiting.splice(0)) resume();
      } else {
        this.rootWaiter?.({ root: reply.root, leaves: reply.leaves });
        this.rootWaiter = undefined;
      }
    });
    worker.on('error', (error) => this.fail(new AntidoteError('INTERNAL', `row hashing thread failed: ${error.message}`)));
    worker.on('exit', (code) => {
      if (this.worker === worker && code !== 0) this.fail(new AntidoteError('INTERNAL', `row hashing thread exited with code ${code}`));
    });
    this.worker = worker;
    return worker;
  }

  private failureWaiters: ((error: Error) => void)[] = [];

  private fail(error: Error): void {
    this.failure = error;
    for (const resume of this.waiting.splice(0)) resume();
    for (const reject of this.failureWaiters.splice(0)) reject(error);
  }

  private failed(): Promise<never> {
    return new Promise<never>((_, reject) => {
      if (this.failure) reject(this.failure);
      else this.failureWaiters.push(reject);
    });
  }
}
