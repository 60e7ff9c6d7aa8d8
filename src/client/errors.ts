import { AuroraError, type AuroraErrorOptions } from '../errors.js';
import { ResponseCode, type Response, type Result, type ServerInfo } from '../gen/types.js';

/** What every reply carries besides its payload. */
export interface ResponseInfo {
  readonly code: ResponseCode;
  /** `ResponseCode[code]`, e.g. `WARNING`. */
  readonly codeName: string;
  /** The `details[].message` strings, in order. */
  readonly details: readonly string[];
  readonly serverInfo: ServerInfo | undefined;
}

export function responseInfo(response: Response): ResponseInfo {
  const code = response.responseCode ?? ResponseCode.ERROR;
  return {
    code,
    codeName: ResponseCode[code] ?? `UNKNOWN(${code})`,
    details: (response.details ?? []).map((d) => d.message ?? '').filter((m) => m !== ''),
    serverInfo: response.serverInfo,
  };
}

/**
 * The scheduler answered, with a ResponseCode other than OK or WARNING. `result` keeps whatever payload
 * came with it: startJobUpdate's INVALID_REQUEST carries the active update's key and summary there.
 */
export class AuroraResponseError extends AuroraError {
  readonly code: ResponseCode;
  readonly codeName: string;
  readonly details: readonly string[];
  readonly serverInfo: ServerInfo | undefined;
  readonly result: Result | undefined;

  constructor(method: string, response: Response, options: AuroraErrorOptions = {}) {
    const info = responseInfo(response);
    const why = info.details.length > 0 ? info.details.join('; ') : 'no details given';
    super('response', `${method}: ${info.codeName}: ${why}`, {
      method,
      retryable: info.code === ResponseCode.ERROR_TRANSIENT,
      ...options,
    });
    this.code = info.code;
    this.codeName = info.codeName;
    this.details = info.details;
    this.serverInfo = info.serverInfo;
    this.result = response.result;
  }
}
