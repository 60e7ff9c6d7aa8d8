/** A small Thermos-compatible executor for `AuroraExecutor` tasks on the local scheduler. */
export {
  parseThermosPayload,
  bindCmdline,
  dependencies,
  type ThermosPayload,
  type ThermosTask,
  type ThermosProcess,
  type ThermosBindings,
} from './payload.js';
export {
  runThermosTask,
  type ThermosRunOptions,
  type ThermosResult,
  type ThermosEvent,
  type ThermosProcessReport,
  type ThermosProcessState,
  type ThermosTaskState,
} from './runner.js';
export { STATUS_MESSAGE_FILE, thermosCommand, thermosMainScript, type ThermosCommandOptions } from './command.js';
