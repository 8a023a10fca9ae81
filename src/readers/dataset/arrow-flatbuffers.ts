/*
 * A bounds check of Arrow's flatbuffer headers (format/Message.fbs, Schema.fbs, File.fbs) before apache-arrow
 * decodes them. flatbuffers' JavaScript runtime trusts every offset and length: a vector whose length field
 * says 2^31 makes apache-arrow loop and allocate until the process dies (found by the fuzz tests: a 216-byte
 * schema message with one flipped byte exhausts the heap). This walks the same tables apache-arrow will read,
 * checking that every table, vtable, string and vector lies inside the buffer and that the walk stays bounded,
 * and says what is wrong instead of decoding.
 *
 * Limits: MAX_FLATBUFFER_TABLES and MAX_FLATBUFFER_DEPTH below (CWE-770, CWE-674).
 */

/** Tables visited in one header (CWE-770): a schema of 10,000 columns with metadata stays far below. */
export const MAX_FLATBUFFER_TABLES = 1_000_000;
/** Nesting of tables (CWE-674): Field children nest as deep as the data types do. */
export const MAX_FLATBUFFER_DEPTH = 256;

type FieldSpec =
  | { kind: 'string' }
  | { kind: 'table'; spec: () => TableSpec }
  | { kind: 'tables'; spec: () => TableSpec }
  | { kind: 'vector'; elementSize: number }
  | { kind: 'union'; typeField: number; specs: () => Record<number, TableSpec> };

/** Offset fields of a table, by field id (scalars need no check: the table's own bounds cover them). */
type TableSpec = Record<number, FieldSpec>;

const KEY_VALUE: TableSpec = { 0: { kind: 'string' }, 1: { kind: 'string' } };
/** Type tables hold scalars, except Timestamp (timezone string) and Union (typeIds vector). */
const TYPE_SPECS: Record<number, TableSpec> = { 10: { 1: { kind: 'string' } }, 14: { 1: { kind: 'vector', elementSize: 4 } } };
const INT_TYPE: TableSpec = {};
const DICTIONARY_ENCODING: TableSpec = { 1: { kind: 'table', spec: () => INT_TYPE } };
const FIELD: TableSpec = {
  0: { kind: 'string' },
  3: { kind: 'union', typeField: 2, specs: () => typeSpecs() },
  4: { kind: 'table', spec: () => DICTIONARY_ENCODING },
  5: { kind: 'tables', spec: () => FIELD },
  6: { kind: 'tables', spec: () => KEY_VALUE },
};
const SCHEMA: TableSpec = {
  1: { kind: 'tables', spec: () => FIELD },
  2: { kind: 'tables', spec: () => KEY_VALUE },
  3: { kind: 'vector', elementSize: 8 },
};
const BODY_COMPRESSION: TableSpec = {};
const RECORD_BATCH: TableSpec = {
  1: { kind: 'vector', elementSize: 16 },
  2: { kind: 'vector', elementSize: 16 },
  3: { kind: 'table', spec: () => BODY_COMPRESSION },
  4: { kind: 'vector', elementSize: 8 },
};
const DICTIONARY_BATCH: TableSpec = { 1: { kind: 'table', spec: () => RECORD_BATCH } };
const MESSAGE: TableSpec = {
  2: { kind: 'union', typeField: 1, specs: () => ({ 1: SCHEMA, 2: DICTIONARY_BATCH, 3: RECORD_BATCH }) },
  4: { kind: 'tables', spec: () => KEY_VALUE },
};
const FOOTER: TableSpec = {
  1: { kind: 'table', spec: () => SCHEMA },
  2: { kind: 'vector', elementSize: 24 },
  3: { kind: 'vector', elementSize: 24 },
  4: { kind: 'tables', spec: () => KEY_VALUE },
};

function typeSpecs(): Record<number, TableSpec> {
  const specs: Record<number, TableSpec> = {};
  // Every type code up to the newest (26, LargeListView) is a table; those with offsets get their spec.
  for (let code = 1; code <= 26; code++) specs[code] = TYPE_SPECS[code] ?? {};
  return specs;
}

/** Thrown while walking a header and caught by check(): never leaves this module. */
class HeaderBoundsError extends RangeError {}

class Walk {
  private tables = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private u32(at: number): number {
    if (at < 0 || at + 4 > this.bytes.length) throw new HeaderBoundsError(`offset ${at} is outside the ${this.bytes.length}-byte header`);
    return this.view.getUint32(at, true);
  }

  private u16(at: number): number {
    if (at < 0 || at + 2 > this.bytes.length) throw new HeaderBoundsError(`offset ${at} is outside the ${this.bytes.length}-byte header`);
    return this.view.getUint16(at, true);
  }

  private vector(at: number, elementSize: number): { start: number; length: number } {
    const start = at + this.u32(at);
    const length = this.u32(start);
    if (start + 4 + length * elementSize > this.bytes.length) throw new HeaderBoundsError(`a vector of ${length} elements at ${start} runs past the header`);
    return { start: start + 4, length };
  }

  table(at: number, spec: TableSpec, depth: number): void {
    if (++this.tables > MAX_FLATBUFFER_TABLES) throw new HeaderBoundsError(`more than ${MAX_FLATBUFFER_TABLES} tables`);
    if (depth > MAX_FLATBUFFER_DEPTH) throw new HeaderBoundsError(`tables nest deeper than ${MAX_FLATBUFFER_DEPTH}`);
    this.u32(at);
    const vtable = at - this.view.getInt32(at, true);
    const vtableSize = this.u16(vtable);
    const tableSize = this.u16(vtable + 2);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > this.bytes.length) throw new HeaderBoundsError(`bad vtable at ${vtable}`);
    if (at + tableSize > this.bytes.length) throw new HeaderBoundsError(`table at ${at} runs past the header`);
    for (const [id, field] of Object.entries(spec)) {
      const slot = 4 + 2 * Number(id);
      if (slot + 2 > vtableSize) continue;
      const fieldOffset = this.u16(vtable + slot);
      if (fieldOffset === 0) continue;
      if (fieldOffset + 4 > tableSize) throw new HeaderBoundsError(`field ${id} of the table at ${at} lies outside it`);
      const position = at + fieldOffset;
      switch (field.kind) {
        case 'string':
          this.vector(position, 1);
          break;
        case 'vector':
          this.vector(position, field.elementSize);
          break;
        case 'table':
          this.table(position + this.u32(position), field.spec(), depth + 1);
          break;
        case 'tables': {
          const { start, length } = this.vector(position, 4);
          const spec = field.spec();
          for (let i = 0; i < length; i++) {
            const element = start + 4 * i;
            this.table(element + this.u32(element), spec, depth + 1);
          }
          break;
        }
        case 'union': {
          const typeSlot = 4 + 2 * field.typeField;
          const typeOffset = typeSlot + 2 <= vtableSize ? this.u16(vtable + typeSlot) : 0;
          const type = typeOffset === 0 ? 0 : this.bytes[at + typeOffset] ?? 0;
          const spec = field.specs()[type];
          if (spec === undefined) throw new HeaderBoundsError(`union type ${type} of the table at ${at} is unknown`);
          this.table(position + this.u32(position), spec, depth + 1);
          break;
        }
      }
    }
  }

  root(spec: TableSpec): void {
    this.table(this.u32(0), spec, 0);
  }
}

function check(bytes: Uint8Array, spec: TableSpec): string | undefined {
  try {
    new Walk(bytes).root(spec);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Why an Arrow IPC message header (the flatbuffer after the length prefix) is unsafe to decode, if it is. */
export function checkArrowMessage(bytes: Uint8Array): string | undefined {
  return check(bytes, MESSAGE);
}

/** Why an Arrow file footer is unsafe to decode, if it is. */
export function checkArrowFooter(bytes: Uint8Array): string | undefined {
  return check(bytes, FOOTER);
}
