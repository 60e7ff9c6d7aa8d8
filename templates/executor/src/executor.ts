// {{name}}: an Apache Aurora custom executor written with aurora-ts/executor. It runs the command of
// its job's executor data, e.g. {"command": "echo hi; sleep 60"}, in the task's sandbox and reports
// its fate: RUNNING once started, FINISHED or FAILED from its exit, KILLED when Aurora kills it.
// The same program runs under `aurora-ts scheduler start` and under a real Mesos agent.
import { runExecutor } from 'aurora-ts/executor';

/** The job's executor data (`executor.data` in job.json). */
interface ExecutorData {
  command: string;
}

runExecutor({
  launch(task, ctx) {
    const { command } = task.executorJson<ExecutorData>();
    if (typeof command !== 'string' || command === '') {
      void ctx.failed('executor data: "command" must be a non-empty string');
      return;
    }
    // Output goes to the sandbox's stdout and stderr files (`aurora-ts task logs`).
    ctx.run(command, { env: { AURORA_INSTANCE: String(task.assignedTask().instanceId ?? 0) } });
  },
}).then((exit) => {
  process.exitCode = exit.code;
});
