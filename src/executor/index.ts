/**
 * aurora-ts/executor: write a Mesos v1 (HTTP API) executor for Aurora in TypeScript.
 *
 *   import { runExecutor } from 'aurora-ts/executor';
 *   runExecutor({ launch: (task, ctx) => void ctx.run(task.executorJson<{ cmd: string }>().cmd) })
 *     .then((exit) => { process.exitCode = exit.code; });
 *
 * Loads none of the CLI, the scheduler or their dependencies: Mesos' wire formats (src/mesos), the
 * Thrift codec for the AssignedTask, and Node.
 */
import { APPLICATION_JSON, APPLICATION_PROTOBUF } from '../mesos/proto.js';
import { ExecutorEnvironmentError, readEnvironment } from './env.js';
import { Executor, mediaOf } from './executor.js';
import type { ExecutorExit, ExecutorHandler, RunExecutorOptions } from './types.js';

export { parseMesosDuration } from './env.js';
export type {
  AssignedTask,
  Command,
  ContentType,
  ExecutorExit,
  ExecutorHandler,
  LaunchedTask,
  MesosJson,
  RunExecutorOptions,
  RunningCommand,
  RunOptions,
  TaskContext,
  TaskInfo,
  TaskState,
  UpdateOptions,
} from './types.js';

/**
 * Runs an executor until it is done: every task it was given has ended (code 0), the agent shut it
 * down (0), or it lost the agent for good or was never under one (1, with the reason logged).
 */
export async function runExecutor(handler: ExecutorHandler, options: RunExecutorOptions = {}): Promise<ExecutorExit> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`executor: ${line}\n`));
  const env = options.env ?? process.env;
  let settings;
  try {
    if (options.contentType !== undefined && options.contentType !== APPLICATION_JSON && options.contentType !== APPLICATION_PROTOBUF) {
      throw new ExecutorEnvironmentError(`contentType must be ${APPLICATION_PROTOBUF} or ${APPLICATION_JSON}, not ${JSON.stringify(options.contentType)}`);
    }
    settings = readEnvironment(env);
  } catch (error) {
    if (!(error instanceof ExecutorEnvironmentError)) throw error;
    const reason = `aurora-ts/executor: ${error.message}`;
    // The one line a user sees when starting the executor by hand.
    if (options.log) options.log(reason);
    else process.stderr.write(`${reason}\n`);
    return { code: 1, reason };
  }
  return new Executor(settings, handler, mediaOf(options.contentType), env, log).run();
}
