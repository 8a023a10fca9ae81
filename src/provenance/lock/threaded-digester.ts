import { Worker } from 'node:worker_threads';
import { AntidoteError } from '../../core/errors.js';
import type { DatasetEvent } from '../../readers/dataset/types.js';
import { LEAF_PREFIX_BYTES } from './lockfile.js';
import { forEachLeafInput, type LeafCounts } from './row-digester.js';

/*
 * Row digests on two cores: this thread reads and canonicalises rows (the reader's JSON.parse and the encoder
 * are JavaScript), a worker thread hashes them (two SHA-256 per row: the leaf and, on average, one Merkle node)
 * and returns the 8-byte leaf prefixes in order. Rows travel in batches of canonical texts: the copy the
 * structured clone makes is cheaper for this thread than encoding them to UTF-8, which the worker then does.
 * Used by `lock`, where every row of every dataset is digested; verify digests only changed datasets and
 * stays on one thread.
 * The worker's tree is the same RFC 6962 construction as MerkleBuilder; a test compares the two.
 */

/** UTF-16 units of leaf input per batch: large enough to amortise a message, small enough to keep both threads busy. */
const BATCH_UNITS = 1024 * 1024;
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
  const { items, kinds } = message;
  const prefixes = Buffer.allocUnsafe(items.length * ${LEAF_PREFIX_BYTES});
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    // 0x00 and the kind byte as text: code points below 0x80 are one UTF-8 byte each.
    const leaf = typeof item === 'string'
      ? sha256(String.fromCharCode(0, kinds[i]) + item)
      : sha256(Buffer.concat([Buffer.from([0, kinds[i]]), item]));
    leaf.copy(prefixes, i * ${LEAF_PREFIX_BYTES}, 0, ${LEAF_PREFIX_BYTES});
    push(leaf);
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
  private items: (string | Uint8Array)[] = [];
  private kinds: number[] = [];
  /** UTF-16 units (or bytes) queued in the current batch. */
  private queued = 0;
  /** Bound once: push() runs per row and must not allocate a closure each time. */
  private readonly emit = (kind: number, payload: string | Uint8Array): void => this.append(kind, payload);
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
    forEachLeafInput(event, this, this.emit);
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
    // A view into the reader's buffer would clone the whole buffer: copy just its bytes.
    this.items.push(typeof payload === 'string' ? payload : new Uint8Array(payload));
    this.kinds.push(kind);
    this.queued += payload.length;
    if (this.queued >= BATCH_UNITS) this.flush();
  }

  private flush(): void {
    if (this.items.length === 0) return;
    const worker = this.start();
    // Strings are copied by the structured clone; their UTF-8 encoding then happens on the worker's core.
    worker.postMessage({ type: 'batch', items: this.items, kinds: this.kinds });
    this.inFlight++;
    this.items = [];
    this.kinds = [];
    this.queued = 0;
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
