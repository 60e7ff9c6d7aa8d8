import { AuroraValidationError, redact } from '../errors.js';

/**
 * A bad executor settings file. `field` is the path inside the file (`[1].executor.command.uris[0].extract`,
 * empty for the file as a whole); `detail` says what is allowed; `source` names the file when known.
 * With a source the message reads like Aurora's start-up failure:
 * `Failed to read executor settings: /etc/aurora/executors.json: [0].task_prefix: is required ...`.
 */
export class ExecutorConfigError extends AuroraValidationError {
  readonly detail: string;
  readonly source: string | undefined;

  constructor(field: string, detail: string, options: { source?: string; cause?: unknown } = {}) {
    super(field, detail, options.cause === undefined ? {} : { cause: options.cause });
    this.detail = detail;
    this.source = options.source;
    if (options.source !== undefined) {
      this.message = redact(`Failed to read executor settings: ${options.source}: ${this.message}`);
    }
  }

  /** The same error, now naming the file it came from. */
  withSource(source: string): ExecutorConfigError {
    return new ExecutorConfigError(this.field, this.detail, { source, cause: this.cause });
  }
}
