import { buildPickle, type PickleBuilder } from './pickle.js';
import { buildZip, torchLikeEntries, type BuildZipOptions, type ZipEntrySpec } from './zip.js';

/**
 * Builders for PyTorch checkpoints in both formats, written opcode by opcode the way torch.save (protocol 2)
 * writes them, so hostile variants differ from benign ones by exactly the attack under test.
 */

/** Append the opcodes of one tensor: `_rebuild_tensor_v2(persistent storage, 0, (n,), (1,), False, OrderedDict())`. */
function tensor(b: PickleBuilder, key: string, numel: number): PickleBuilder {
  b.global('torch._utils', '_rebuild_tensor_v2').mark();
  // The storage is a persistent id tuple ('storage', storage type, key, location, numel): torch.load looks
  // the key up among the archive's data/ members instead of unpickling anything.
  b.mark().binunicode('storage').global('torch', 'FloatStorage').binunicode(key).binunicode('cpu').int(numel).tuple().binpersid();
  b.int(0).int(numel).tuple1().int(1).tuple1().op('NEWFALSE');
  b.global('collections', 'OrderedDict').emptyTuple().reduce();
  return b.tuple().reduce();
}

/** The data.pkl of a benign state dict with `count` float tensors of `numel` elements each. */
export function stateDictPickle(count = 2, numel = 4): Buffer {
  const b = buildPickle().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce();
  for (let i = 0; i < count; i++) {
    b.binunicode(`layer${i}.weight`);
    tensor(b, String(i), numel);
    b.setitem();
  }
  return b.stop().bytes();
}

/** A torch zip checkpoint: `data.pkl` plus raw storages, zip64 and 64-byte aligned like torch.save. */
export function buildTorchZip(
  options: { pickle?: Buffer; storages?: Buffer[]; extraEntries?: ZipEntrySpec[]; zip?: Omit<BuildZipOptions, 'entries'> } = {},
): Buffer {
  const storages = options.storages ?? [Buffer.alloc(16, 0x3f), Buffer.alloc(16, 0x40)];
  const entries = [...torchLikeEntries(options.pickle ?? stateDictPickle(storages.length), storages), ...(options.extraEntries ?? [])];
  return buildZip({ zip64: true, alignData: 64, ...options.zip, entries });
}

/** Python's pickle of torch's legacy magic number 0x1950a86a20f9469cfc6c (protocol 2, LONG1). */
export const LEGACY_MAGIC_PICKLE = Buffer.from('80028a0a6cfc9c46f9206aa850192e', 'hex');

/**
 * A legacy (pre-1.6, `_use_new_zipfile_serialization=False`) torch file: magic, protocol version, sys_info,
 * the object pickle, the storage-key list, then each storage as an int64 element count and raw bytes.
 */
export function buildLegacyTorch(options: { payload?: Buffer; storages?: Buffer[]; sysInfo?: Buffer } = {}): Buffer {
  const storages = options.storages ?? [Buffer.alloc(16, 0x3f)];
  const protocolVersion = buildPickle().proto(2).int(1001).stop().bytes();
  const sysInfo =
    options.sysInfo ??
    buildPickle().proto(2).emptyDict().mark()
      .binunicode('protocol_version').int(1001)
      .binunicode('little_endian').op('NEWTRUE')
      .binunicode('type_sizes').emptyDict().mark().binunicode('short').int(2).binunicode('int').int(4).binunicode('long').int(4).setitems()
      .setitems().stop().bytes();
  const payload = options.payload ?? stateDictPickle(storages.length);
  const keys = buildPickle().proto(2).emptyList().mark();
  storages.forEach((_, i) => keys.binunicode(String(i)));
  const parts = [LEGACY_MAGIC_PICKLE, protocolVersion, sysInfo, payload, keys.appends().stop().bytes()];
  for (const storage of storages) {
    const count = Buffer.alloc(8);
    count.writeBigInt64LE(BigInt(storage.length / 4));
    parts.push(count, storage);
  }
  return Buffer.concat(parts);
}
