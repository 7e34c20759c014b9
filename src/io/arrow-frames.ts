// Checks the framing of Arrow IPC bytes before apache-arrow decodes them. A corrupted message
// length (say a negative one) can send apache-arrow's reader into a loop that never ends, and
// it runs synchronously, so not even Ctrl-C stops it. Here every message length, body length
// and (in the file format) every footer block is checked against the size of the bytes, so a
// damaged file is refused in words, in microseconds.
//
// The layout (Arrow columnar format, "Serialization and Interprocess Communication"):
//   stream:  message* [end-of-stream]
//   message: [0xFFFFFFFF] int32 metadataLength, metadata (a flatbuffer Message), body
//            (older writers leave the 0xFFFFFFFF continuation marker out)
//   end:     a metadata length of 0
//   file:    "ARROW1" 2 padding bytes, stream, footer (a flatbuffer Footer), int32 footerLength, "ARROW1"
// Message.headerType and Message.bodyLength are fields 1 and 3 of the Message table; Footer.dictionaries and
// Footer.recordBatches are fields 2 and 3 of the Footer table, vectors of 24-byte Block
// structs {int64 offset, int32 metaDataLength, 4 padding bytes, int64 bodyLength}.

import { EmgpuInputError } from '../options.ts';

const MAGIC = 'ARROW1';
const CONTINUATION = 0xffffffff;
const BLOCK_BYTES = 24;
/** MessageHeader values of the Message table's header_type (field 1). */
const HEADER_TYPES = { dictionary: 2, 'record batch': 3 } as const;
const RECORD_BATCH = HEADER_TYPES['record batch'];
const SCHEMA = 1;

/** A damaged file: what is wrong, in words, and where (byte offsets from the start). */
class Damaged extends Error {}

/** Little-endian reads that refuse to go past the end of a region. */
class Region {
  constructor(
    private readonly view: DataView,
    readonly start: number,
    readonly end: number,
    readonly what: string,
  ) {}

  private check(at: number, bytes: number): number {
    const absolute = this.start + at;
    if (at < 0 || absolute + bytes > this.end)
      throw new Damaged(`its ${this.what} at byte ${this.start} points outside itself`);
    return absolute;
  }

  u8(at: number): number {
    return this.view.getUint8(this.check(at, 1));
  }
  u16(at: number): number {
    return this.view.getUint16(this.check(at, 2), true);
  }
  i32(at: number): number {
    return this.view.getInt32(this.check(at, 4), true);
  }
  u32(at: number): number {
    return this.view.getUint32(this.check(at, 4), true);
  }
  i64(at: number): number {
    return Number(this.view.getBigInt64(this.check(at, 8), true));
  }
}

/** The position (within the region) of field `index` of the flatbuffer table at `table`, or null when absent. */
function tableField(region: Region, table: number, index: number): number | null {
  const vtable = table - region.i32(table);
  const vtableBytes = region.u16(vtable);
  const slot = 4 + 2 * index;
  // flatbuffers' JavaScript reader takes these as signed 16-bit numbers: from 0x8000 on, it
  // sees other fields than these bytes hold.
  if (vtableBytes >= 0x8000) throw new Damaged(`its ${region.what} at byte ${region.start} is damaged`);
  if (slot + 2 > vtableBytes) return null;
  const offset = region.u16(vtable + slot);
  if (offset >= 0x8000) throw new Damaged(`its ${region.what} at byte ${region.start} is damaged`);
  return offset === 0 ? null : table + offset;
}

/** Field `index` of the root table. */
function rootField(region: Region, index: number): number | null {
  return tableField(region, region.u32(0), index);
}

/** Where the table or vector an offset field at `at` points to starts. */
function follow(region: Region, at: number): number {
  return at + region.u32(at);
}

/** A vector's element count at `at` (an offset field), refused when its elements cannot fit in the region. */
function vectorAt(region: Region, field: number, elementBytes: number, what: string): { start: number; count: number } {
  const start = follow(region, field);
  const count = region.u32(start);
  if (count * elementBytes > region.end - region.start)
    throw new Damaged(`its ${what} declares ${count} entries, more than its ${region.what} holds`);
  return { start: start + 4, count };
}

/** A string field: its length must fit in the region. */
function checkString(region: Region, table: number, index: number, what: string): void {
  const field = tableField(region, table, index);
  if (field !== null) vectorAt(region, field, 1, what);
}

/**
 * Checks a Schema table's fields (Schema field 1: a vector of Field tables; Field: 0 name,
 * 3 type, 4 dictionary, 5 children, 6 custom metadata) and its custom metadata (field 2), so
 * that no count or offset points outside the region: apache-arrow builds one object per
 * declared entry before anything else looks at them.
 */
function checkSchema(region: Region, schema: number): void {
  const checkMetadata = (table: number, index: number): void => {
    const field = tableField(region, table, index);
    if (field === null) return;
    const { start, count } = vectorAt(region, field, 4, 'custom metadata');
    for (let i = 0; i < count; i++) {
      const pair = follow(region, start + 4 * i);
      checkString(region, pair, 0, 'metadata key');
      checkString(region, pair, 1, 'metadata value');
    }
  };
  const checkFields = (table: number, index: number, depth: number): void => {
    const field = tableField(region, table, index);
    if (field === null) return;
    if (depth > 64) throw new Damaged(`its schema nests columns more than 64 deep`);
    const { start, count } = vectorAt(region, field, 4, 'schema');
    for (let i = 0; i < count; i++) {
      const child = follow(region, start + 4 * i);
      checkString(region, child, 0, 'column name');
      for (const sub of [3, 4]) {
        const at = tableField(region, child, sub);
        if (at !== null) tableField(region, follow(region, at), 0);
      }
      checkFields(child, 5, depth + 1);
      checkMetadata(child, 6);
    }
  };
  checkFields(schema, 1, 0);
  checkMetadata(schema, 2);
}

/**
 * Checks a RecordBatch header (Message field 2 when the header type is 3): its row count, and
 * each column's FieldNode {int64 length, int64 nullCount} and Buffer {int64 offset, int64 length}
 * (16-byte structs, fields 1 and 2), against the body. A damaged count makes apache-arrow
 * allocate for it (gigabytes) before anything else can notice.
 */
function checkRecordBatch(region: Region, at: number, body: number): void {
  const headerField = rootField(region, 2);
  if (headerField === null) throw new Damaged(`the record batch at byte ${at} has no header`);
  const header = follow(region, headerField);
  // At most a bit per row in the body (booleans, validity bitmaps), plus a byte's worth of rounding.
  const maxRows = 8 * body + 8;
  const lengthField = tableField(region, header, 0);
  const length = lengthField === null ? 0 : region.i64(lengthField);
  if (!Number.isSafeInteger(length) || length < 0 || length > maxRows)
    throw new Damaged(
      `the record batch at byte ${at} declares ${length} rows, which its ${body}-byte body cannot hold`,
    );
  const nodesField = tableField(region, header, 1);
  if (nodesField !== null) {
    const nodes = follow(region, nodesField);
    const count = region.u32(nodes);
    if (count > (region.end - region.start) / 16)
      throw new Damaged(`the record batch at byte ${at} declares ${count} columns, more than its metadata holds`);
    for (let i = 0; i < count; i++) {
      const rows = region.i64(nodes + 4 + 16 * i);
      const nulls = region.i64(nodes + 12 + 16 * i);
      if (
        !Number.isSafeInteger(rows) ||
        rows < 0 ||
        rows > maxRows ||
        !Number.isSafeInteger(nulls) ||
        nulls < 0 ||
        nulls > rows
      )
        throw new Damaged(
          `the record batch at byte ${at} declares ${rows} rows with ${nulls} nulls in column ${i + 1}, which its ${body}-byte body cannot hold`,
        );
    }
  }
  const buffersField = tableField(region, header, 2);
  if (buffersField !== null) {
    const buffers = follow(region, buffersField);
    const count = region.u32(buffers);
    if (count > (region.end - region.start) / 16)
      throw new Damaged(`the record batch at byte ${at} declares ${count} buffers, more than its metadata holds`);
    for (let i = 0; i < count; i++) {
      const offset = region.i64(buffers + 4 + 16 * i);
      const bytes = region.i64(buffers + 12 + 16 * i);
      if (
        !Number.isSafeInteger(offset) ||
        !Number.isSafeInteger(bytes) ||
        offset < 0 ||
        bytes < 0 ||
        offset + bytes > body
      )
        throw new Damaged(
          `the record batch at byte ${at} places buffer ${i + 1} at bytes ${offset}–${offset + bytes} of a ${body}-byte body`,
        );
    }
  }
}

function magicAt(bytes: Uint8Array, at: number): boolean {
  if (at < 0 || at + MAGIC.length > bytes.length) return false;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[at + i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

/** The message starting at byte `at` (which must end by `end`): where the next one starts, and its header type. */
function messageAt(view: DataView, at: number, end: number): { next: number; headerType: number } | null {
  if (at + 4 > end) throw new Damaged(`it ends inside the message header at byte ${at}`);
  let header = 4;
  let length = view.getInt32(at, true);
  if (view.getUint32(at, true) === CONTINUATION) {
    if (at + 8 > end) throw new Damaged(`it ends inside the message header at byte ${at}`);
    header = 8;
    length = view.getInt32(at + 4, true);
  }
  if (length === 0) return null; // end of stream
  const metadataStart = at + header;
  if (length < 0 || metadataStart + length > end) {
    throw new Damaged(
      `the message at byte ${at} declares ${length} bytes of metadata, but ${Math.max(0, end - metadataStart)} bytes remain`,
    );
  }
  const metadata = new Region(view, metadataStart, metadataStart + length, 'message metadata');
  const typeField = rootField(metadata, 1);
  const headerType = typeField === null ? 0 : metadata.u8(typeField);
  const bodyField = rootField(metadata, 3);
  const body = bodyField === null ? 0 : metadata.i64(bodyField);
  const bodyStart = metadataStart + length;
  if (!Number.isSafeInteger(body) || body < 0 || bodyStart + body > end) {
    throw new Damaged(
      `the message at byte ${at} declares a body of ${body} bytes, but ${Math.max(0, end - bodyStart)} bytes remain`,
    );
  }
  if (headerType === RECORD_BATCH) checkRecordBatch(metadata, at, body);
  if (headerType === SCHEMA) {
    const header = rootField(metadata, 2);
    if (header !== null) checkSchema(metadata, follow(metadata, header));
  }
  return { next: bodyStart + body, headerType };
}

/** Walks the messages in [start, end), up to an end-of-stream marker. */
function walkMessages(view: DataView, start: number, end: number): void {
  for (let at = start; at < end;) {
    const message = messageAt(view, at, end);
    if (message === null) return;
    at = message.next;
  }
}

/** Checks the footer's blocks (record batches and dictionaries) against the bytes before the footer. */
function checkBlocks(
  view: DataView,
  footer: Region,
  field: number | null,
  streamEnd: number,
  what: 'dictionary' | 'record batch',
): void {
  if (field === null) return;
  const vector = field + footer.u32(field);
  const count = footer.u32(vector);
  if (count > (footer.end - footer.start) / BLOCK_BYTES)
    throw new Damaged(`its footer declares ${count} ${what} blocks, more than it can hold`);
  for (let i = 0; i < count; i++) {
    const at = vector + 4 + i * BLOCK_BYTES;
    const offset = footer.i64(at);
    const metadataLength = footer.i32(at + 8);
    const body = footer.i64(at + 16);
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(body) ||
      offset < 8 ||
      metadataLength <= 0 ||
      body < 0 ||
      offset + metadataLength + body > streamEnd
    ) {
      throw new Damaged(
        `its footer places ${what} ${i + 1} at bytes ${offset}–${offset + metadataLength + body}, outside the ${streamEnd} bytes of data`,
      );
    }
    // A block that leads to another kind of message (the schema, say) sends apache-arrow's
    // file reader round the same block for ever.
    const message = messageAt(view, offset, offset + metadataLength + body);
    if (message?.headerType !== HEADER_TYPES[what])
      throw new Damaged(`its footer's ${what} ${i + 1} (at byte ${offset}) does not lead to a ${what}`);
  }
}

/**
 * Throws an EmgpuInputError (naming `label`) when the message lengths, body lengths or footer
 * blocks of Arrow IPC bytes (file or stream format) point outside the bytes.
 */
export function checkArrowFraming(bytes: Uint8Array, label: string, hint: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (!magicAt(bytes, 0)) {
      walkMessages(view, 0, bytes.length);
      return;
    }
    const size = bytes.length;
    if (size < 8 + 10 || !magicAt(bytes, size - MAGIC.length))
      throw new Damaged(`it starts as an Arrow IPC file but does not end with '${MAGIC}' (truncated?)`);
    const footerLength = view.getInt32(size - 10, true);
    const footerStart = size - 10 - footerLength;
    if (footerLength <= 0 || footerStart < 8)
      throw new Damaged(`its footer length (${footerLength} bytes) does not fit in its ${size} bytes`);
    walkMessages(view, 8, footerStart);
    const footer = new Region(view, footerStart, size - 10, 'footer');
    const schema = rootField(footer, 1);
    if (schema !== null) checkSchema(footer, follow(footer, schema));
    checkBlocks(view, footer, rootField(footer, 2), footerStart, 'dictionary');
    checkBlocks(view, footer, rootField(footer, 3), footerStart, 'record batch');
  } catch (error) {
    if (error instanceof Damaged) throw new EmgpuInputError(`${label} is damaged: ${error.message}; ${hint}`);
    throw error;
  }
}
