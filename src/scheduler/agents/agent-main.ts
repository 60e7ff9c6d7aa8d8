/** The agent process's entry point (agent-process.ts): `node agent-main.js <agent directory>`. */
import { runAgent } from './agent-process.js';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: agent-main.js <agent directory>\n');
  process.exit(2);
}
runAgent(dir).catch((error: unknown) => {
  process.stderr.write(`aurora-ts agent: ${(error as Error).message}\n`);
  process.exit(1);
});
