/**
 * The JSON pre-scan (one pass over a JSON text before JSON.parse builds it), shared by the Thrift codec
 * (src/protocol) and the Mesos executor API (src/mesos), in a module of its own so that the executor
 * kit, which reads Mesos messages, does not load the Thrift runtime.
 */
/** Bytes the pre-scan stops at: 1 quote, 2 opening bracket, 3 closing bracket, 4 comma (outside strings); 1 quote, 2 backslash (inside). */
const SCAN_OUTSIDE = new Uint8Array(256);
SCAN_OUTSIDE[0x22] = 1;
SCAN_OUTSIDE[0x5b] = SCAN_OUTSIDE[0x7b] = 2;
SCAN_OUTSIDE[0x5d] = SCAN_OUTSIDE[0x7d] = 3;
SCAN_OUTSIDE[0x2c] = 4;
const SCAN_INSIDE = new Uint8Array(256);
SCAN_INSIDE[0x22] = 1;
SCAN_INSIDE[0x5c] = 2;

/** The pre-scan's verdicts. */
export const JSON_SCAN_OK = 0;
export const JSON_SCAN_TOO_DEEP = 1;
export const JSON_SCAN_TOO_MANY = 2;

/**
 * One pass over the JSON text in `bytes`, skipping strings, before JSON.parse builds anything:
 * TOO_DEEP when brackets (`[`, `{`) nest deeper than `depthLimit`, TOO_MANY when it holds more than
 * `valueLimit` JSON values, counted as opening brackets and commas (every value after a container's
 * first follows a comma). JSON.parse's tree for 16 MiB of `[` costs seconds and ~700 MB, and for
 * 16 MiB of `{},` 1.8 s and 540 MB; a refusal here stops at the first byte past the limit. UTF-8
 * continuation bytes are >= 0x80, so they never look like `"`, `\`, a bracket or a comma.
 * (A table lookup per byte: about a sixth of JSON.parse's time on the same bytes.)
 */
export function jsonPreScan(bytes: Uint8Array, depthLimit: number, valueLimit: number): number {
  let depth = 0;
  let values = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const kind = SCAN_OUTSIDE[bytes[i]!]!;
    if (kind === 0) continue;
    if (kind === 1) {
      // Inside a string: only an unescaped quote ends it.
      for (i++; i < n; i++) {
        const inside = SCAN_INSIDE[bytes[i]!]!;
        if (inside === 0) continue;
        if (inside === 2) i++;
        else break;
      }
    } else if (kind === 2) {
      if (++depth > depthLimit) return JSON_SCAN_TOO_DEEP;
      if (++values > valueLimit) return JSON_SCAN_TOO_MANY;
    } else if (kind === 3) {
      depth--;
    } else if (++values > valueLimit) {
      return JSON_SCAN_TOO_MANY;
    }
  }
  return JSON_SCAN_OK;
}
