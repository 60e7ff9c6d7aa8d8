import { ResponseCode, type Response, type Result, type ServerInfo } from '../../gen/types.js';

/** Builds Responses the way Aurora's Responses helper does, each carrying the cluster's ServerInfo. */
export class Responses {
  constructor(private readonly serverInfo: ServerInfo) {}

  ok(result?: Result, message?: string): Response {
    return this.make(ResponseCode.OK, message, result);
  }

  invalid(message: string, result?: Result): Response {
    return this.make(ResponseCode.INVALID_REQUEST, message, result);
  }

  error(message: string): Response {
    return this.make(ResponseCode.ERROR, message);
  }

  updating(message: string): Response {
    return this.make(ResponseCode.JOB_UPDATING_ERROR, message);
  }

  make(code: ResponseCode, message?: string, result?: Result): Response {
    return { responseCode: code, serverInfo: this.serverInfo, result, details: message === undefined ? [] : [{ message }] };
  }
}
