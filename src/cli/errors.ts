/**
 * CLI-level errors and the one place any error becomes an exit status and a one-line message.
 * Only src/errors.ts is imported here (no generated code), so `--help` stays light; scheduler
 * rejections are recognised by their `kind`.
 */
import { AuroraError, redact } from '../errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/** Bad usage or bad input caught by the CLI itself (exit 2). `hint` is appended to the same line. */
export class UsageError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UsageError';
    this.hint = hint;
  }
}

/** A failure with a chosen exit status and a message already worded for the user. */
export class CliFailure extends Error {
  readonly exitCode: ExitCodeValue;
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.FAILURE) {
    super(message);
    this.name = 'CliFailure';
    this.exitCode = exitCode;
  }
}

// ResponseCode.AUTH_FAILED in Aurora's IDL; compared by number so this file needs no generated code.
const AUTH_FAILED = 4;

export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (error instanceof CliFailure) return error.exitCode;
  if (error instanceof AuroraError) {
    switch (error.kind) {
      case 'validation':
        return ExitCode.USAGE;
      case 'response':
        return (error as AuroraError & { code?: number }).code === AUTH_FAILED ? ExitCode.AUTH : ExitCode.REJECTED;
      case 'auth':
        return ExitCode.AUTH;
      case 'timeout':
      case 'transport':
      case 'http':
      case 'discovery':
        return ExitCode.UNREACHABLE;
      case 'aborted':
        return ExitCode.INTERRUPTED;
      default:
        return ExitCode.FAILURE;
    }
  }
  // A file the user named that cannot be read is bad input, like a bad flag.
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') return ExitCode.USAGE;
  return ExitCode.FAILURE;
}

/** The single line printed for an error (without the `aurora-ts:` prefix). Never holds credentials. */
export function messageFor(error: unknown): string {
  if (error instanceof UsageError) return redact(error.hint ? `${error.message} (${error.hint})` : error.message);
  if (error instanceof Error) {
    const text = error.message.split('\n')[0] ?? '';
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      const path = (error as NodeJS.ErrnoException).path;
      return redact(path ? `${path}: ${describeErrno(code)}` : text);
    }
    // Job file errors name the field; say which file too, as in `job.json: resources.ramMb: ...`.
    const source = (error as { source?: unknown }).source;
    if (error instanceof AuroraError && error.kind === 'validation' && typeof source === 'string' && !text.includes(source)) {
      return redact(`${source}: ${text}`);
    }
    // A 401 without credentials: say where the CLI looks for them.
    if (error instanceof AuroraError && error.kind === 'auth' && text.includes('no credentials were sent')) {
      return redact(`${text} (set AURORA_USERNAME and AURORA_PASSWORD, or add the host to ~/.netrc)`);
    }
    return redact(text || error.name);
  }
  return redact(String(error));
}

function describeErrno(code: string): string {
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return 'is a directory';
}

/** Extra lines for --verbose: the stack and the chain of causes, redacted. */
export function detailFor(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      lines.push(redact(current.stack ?? `${current.name}: ${current.message}`));
      current = current.cause;
      if (current !== undefined) lines.push('caused by:');
    } else {
      lines.push(redact(String(current)));
      break;
    }
  }
  return lines.join('\n');
}
