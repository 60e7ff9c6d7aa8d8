// Stand-in for `aurora-ts [--scheduler-url URL] job wizard ...` while the verb is not registered in
// src/cli/commands/job/index.ts: the same run() over the built dist/, with main()'s error and Ctrl-C handling.
// The e2e test uses the real binary as soon as `aurora-ts job wizard --help` works.
import { CliContext } from '../../dist/cli/context.js';
import { exitCodeFor, messageFor } from '../../dist/cli/errors.js';
import { IO } from '../../dist/cli/io.js';
import { run } from '../../dist/cli/commands/job/wizard.js';

const flags = { '--output': 'output', '-o': 'output', '--from': 'from', '--custom-executor-config': 'customExecutorConfig', '--cluster': 'cluster' };
const args = process.argv.slice(2);
const globals = {};
const options = {};
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--scheduler-url') globals.schedulerUrl = args[++i];
  else if (arg === 'job' || arg === 'wizard') continue;
  else if (flags[arg]) options[flags[arg]] = args[++i];
  else {
    process.stderr.write(`aurora-ts: unknown option '${arg}'\n`);
    process.exit(2);
  }
}
const io = new IO({});
const ctx = new CliContext({ io, globals });
process.once('SIGINT', () => {
  io.stopProgress();
  process.exit(130);
});
let code;
try {
  code = await run(ctx, options);
} catch (err) {
  io.stopProgress();
  io.error(messageFor(err));
  code = exitCodeFor(err);
} finally {
  ctx.close();
}
process.exit(code);
