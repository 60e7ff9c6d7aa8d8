/** The scheduler's own Thrift API over TJSON, as Aurora's UI calls it: POST /api. */
import { decodeReply, encodeCall, enumName, resultField } from './tjson.js';

let seqid = 0;

export class ApiError extends Error {}

/** Calls `method` and returns its Result payload (e.g. getQuotaResult); a non-OK Response throws its details. */
export async function call<T>(method: string, args: Record<string, unknown> = {}): Promise<T> {
  let reply: Response;
  try {
    reply = await fetch('/api', {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.apache.thrift.json', Accept: 'application/vnd.apache.thrift.json' },
      body: encodeCall(method, ++seqid, args),
    });
  } catch {
    throw new ApiError(`the scheduler did not answer ${method} (is it still running?)`);
  }
  const text = await reply.text();
  if (!reply.ok) throw new ApiError(`${method}: HTTP ${reply.status} ${text.trim()}`);
  const response = decodeReply(text) as { responseCode?: number; details?: Array<{ message?: string }>; result?: Record<string, unknown> };
  if (response.responseCode !== 1) {
    const details = (response.details ?? []).map((d) => d.message).join('; ');
    throw new ApiError(`${method}: ${enumName('ResponseCode', response.responseCode)}${details ? `: ${details}` : ''}`);
  }
  const field = resultField(method);
  return (field ? response.result?.[field] : undefined) as T;
}
