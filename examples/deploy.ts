/**
 * A deployment script, the way Node tooling uses aurora-ts: build the job in code, create it if it
 * is not running or roll an update if it is, show progress, and report a rollback as a failure.
 *
 *   AURORA_SCHEDULER_URL=http://127.0.0.1:8081 node --import tsx examples/deploy.ts "hello v2"
 *
 * Exit status: 0 deployed, 1 the deploy failed (rolled back, or instances did not start).
 */
import {
  AuroraClient,
  AuroraError,
  Job,
  type JobKey,
  JobUpdate,
  JobUpdateStatus,
  ScheduleStatus,
  startJobUpdateSafely,
  waitForInstances,
  waitForUpdate,
} from 'aurora-ts';

const url = process.env.AURORA_SCHEDULER_URL ?? 'http://127.0.0.1:8081';
const greeting = process.argv[2] ?? 'hello';
const watchSecs = Number(process.env.DEPLOY_WATCH_SECS ?? 2);

const key: JobKey = { role: 'www-data', environment: 'devel', name: 'deploy-demo' };
const job = Job.create(key)
  .service()
  .instances(2)
  .executor('hello-executor', { greeting })
  .cpus(0.1)
  .ramMb(32)
  .diskMb(32)
  .ports('http')
  .metadata('deployed-by', 'examples/deploy.ts');

const client = new AuroraClient({ url });

async function deploy(): Promise<void> {
  // Replies' job keys, task ids and statuses are always there (checked as the reply is decoded).
  const { configs } = await client.getJobs(key.role);
  const running = configs.some((c) => c.key.environment === key.environment && c.key.name === key.name);

  if (!running) {
    console.log(`creating ${key.role}/${key.environment}/${key.name}`);
    await client.createJob(job);
    await waitForInstances(client, key, {
      timeoutMs: 60_000,
      onProgress: (p) => console.log(`  RUNNING ${p.ready}/${p.total}`),
    });
    console.log('created: all instances RUNNING');
    const { tasks } = await client.getTasksWithoutConfigs({ jobKeys: [key], statuses: [ScheduleStatus.RUNNING] });
    for (const t of tasks) console.log(`  instance ${t.assignedTask.instanceId}: ${t.assignedTask.taskId} ${ScheduleStatus[t.status]}`);
    return;
  }

  console.log(`updating ${key.role}/${key.environment}/${key.name} to greeting "${greeting}"`);
  const update = JobUpdate.for(job).batchSize(1).watchSecs(watchSecs).rollbackOnFailure(true);
  // Safe to retry: a lost reply never starts a second update.
  const started = await startJobUpdateSafely(client, update, `deploy ${greeting}`);
  // An unchanged job answers OK without starting an update ("Job is unchanged by proposed update.").
  if (started.key === undefined) {
    console.log('nothing to do: the job already runs this configuration');
    return;
  }
  const status = await waitForUpdate(client, started.key, {
    timeoutMs: 5 * 60_000,
    onProgress: (p) => console.log(`  ${p.statusName}: ${p.instancesDone}/${p.instancesTotal} instances`),
  });
  if (status !== JobUpdateStatus.ROLLED_FORWARD) {
    throw new AuroraError('response', `update ended ${JobUpdateStatus[status]}: rolled back to the previous configuration`);
  }
  console.log('updated: ROLLED_FORWARD');
}

try {
  await deploy();
} catch (error) {
  console.error(`deploy failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  client.close();
}
