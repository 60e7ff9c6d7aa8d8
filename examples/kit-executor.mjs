// kit-executor: an Aurora custom executor written with aurora-ts/executor, a real Mesos v1 executor
// (it subscribes to the agent, here the local scheduler, and reports its task's states), unlike
// hello-executor in executors.json, whose process simply is the task. It runs the command of its
// job's executor data, {"command": "..."} (see kit-service.json), in the task's sandbox:
// RUNNING once started, FINISHED or FAILED from its exit, KILLED when Aurora kills the task.
// `npm run demo` runs it next to hello-executor; `aurora-ts executors new NAME` writes a TypeScript
// project for one like it.
import { runExecutor } from 'aurora-ts/executor';

runExecutor({
  launch(task, ctx) {
    const { command } = task.executorJson();
    if (typeof command !== 'string' || command === '') {
      void ctx.failed('executor data: "command" must be a non-empty string');
      return;
    }
    console.error(`executor: ${task.name} instance ${task.assignedTask().instanceId ?? 0} runs: ${command}`);
    ctx.run(command);
  },
  shutdown() {
    console.error('executor: shutting down');
  },
}).then((exit) => {
  process.exitCode = exit.code;
});
