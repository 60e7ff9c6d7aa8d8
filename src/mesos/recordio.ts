/**
 * RecordIO, the framing of Mesos' streaming responses: each record is its length in bytes as
 * decimal ASCII, a newline, then the record (docs/scheduler-http-api.md "RecordIO response format").
 */

export function encodeRecord(record: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${record.length}\n`, 'ascii'), record]);
}

/** Splits a byte stream arriving in arbitrary chunks back into records. */
export class RecordIODecoder {
  private buffered = Buffer.alloc(0);

  /** Feeds a chunk; returns the records it completes. Throws on a malformed length. */
  push(chunk: Uint8Array): Buffer[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const records: Buffer[] = [];
    for (;;) {
      const newline = this.buffered.indexOf(0x0a);
      if (newline < 0) {
        if (this.buffered.length > 20) throw new Error('RecordIO: record length longer than 20 digits');
        return records;
      }
      const header = this.buffered.subarray(0, newline).toString('ascii');
      if (!/^[0-9]{1,20}$/.test(header)) throw new Error(`RecordIO: bad record length "${header.slice(0, 20)}"`);
      const length = Number(header);
      if (this.buffered.length < newline + 1 + length) return records;
      records.push(Buffer.from(this.buffered.subarray(newline + 1, newline + 1 + length)));
      this.buffered = this.buffered.subarray(newline + 1 + length);
    }
  }
}
