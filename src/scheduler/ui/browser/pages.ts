/**
 * The pages, one function each: read from the API, return the markup and whether something is still
 * changing (the page then refreshes sooner). URLs follow Aurora's UI.
 */
import type {
  GetJobUpdateDetailsResult,
  GetJobUpdateSummariesResult,
  GetPendingReasonResult,
  GetQuotaResult,
  JobKey,
  JobSummary,
  JobSummaryResult,
  MaintenanceStatusResult,
  ResourceAggregate,
  RoleSummaryResult,
  ScheduledTask,
  ScheduleStatusResult,
} from '../../../gen/types.js';
import { call } from './api.js';
import { age, badge, clock, empty, failure, ports, resource, rowTable, status, table, TERMINAL, time } from './format.js';
import { html, path, type Html } from './html.js';
import { enumName } from './tjson.js';

export interface View {
  title: string;
  body: Html;
  /** Refresh soon: tasks moving, an update rolling. */
  changing: boolean;
  /** Contents of `<details data-lazy=KEY>`, filled in when opened (thousands of closed timelines cost layout). */
  lazy?: Map<string, Html>;
}

const ACTIVE_UPDATES = new Set(['ROLLING_FORWARD', 'ROLLING_BACK', 'ROLL_FORWARD_AWAITING_PULSE', 'ROLL_BACK_AWAITING_PULSE']);

function crumbs(...links: Array<[string, string | undefined]>): Html {
  return html`<nav class="crumbs" aria-label="Breadcrumb">${links.map(([text, href], i) => html`${i ? ' / ' : ''}${href ? html`<a href="${href}">${text}</a>` : html`<span aria-current="page">${text}</span>`}`)}</nav>`;
}

const jobPath = (k: JobKey) => path('scheduler', k.role ?? '', k.environment ?? '', k.name ?? '');

export async function rolesPage(): Promise<View> {
  const { summaries = [] } = await call<RoleSummaryResult>('getRoleSummary');
  const roles = [...summaries].sort((a, b) => String(a.role).localeCompare(String(b.role)));
  const jobs = await Promise.all(roles.map((r) => call<JobSummaryResult>('getJobSummary', { role: r.role }).then((j) => j.summaries ?? [])));
  const rows = roles.map((r, i) => {
    const total = (key: 'activeTaskCount' | 'pendingTaskCount' | 'finishedTaskCount' | 'failedTaskCount') => jobs[i]!.reduce((n, j) => n + (j.stats?.[key] ?? 0), 0);
    return html`<tr><td><a href="${path('scheduler', r.role ?? '')}">${r.role}</a></td><td class="n">${r.jobCount}</td><td class="n">${r.cronJobCount}</td><td class="n">${total('activeTaskCount')}</td><td class="n">${total('pendingTaskCount')}</td><td class="n">${total('finishedTaskCount')}</td><td class="n">${total('failedTaskCount')}</td></tr>`;
  });
  const changing = jobs.some((list) => list.some((j) => (j.stats?.pendingTaskCount ?? 0) > 0));
  return {
    title: 'Roles',
    changing,
    body: html`<h1>Roles</h1>${rows.length ? table(['Role', 'Jobs', 'Cron jobs', 'Active tasks', 'Pending', 'Finished', 'Failed'], rows, 'Roles') : empty('No jobs on this scheduler yet.', html`Create one with <code>aurora-ts job create job.json</code>.`)}`,
  };
}

function quotaTable(q: GetQuotaResult): Html {
  const columns: Array<[string, ResourceAggregate | undefined]> = [
    ['Quota', q.quota],
    ['Prod use', q.prodSharedConsumption],
    ['Non-prod use', q.nonProdSharedConsumption],
    ['Prod dedicated', q.prodDedicatedConsumption],
    ['Non-prod dedicated', q.nonProdDedicatedConsumption],
  ];
  const names = new Map<string, string[]>();
  columns.forEach(([, aggregate], c) => {
    for (const r of aggregate?.resources ?? []) {
      const [name, value] = resource(r);
      if (!names.has(name)) names.set(name, columns.map(() => '0'));
      names.get(name)![c] = value;
    }
  });
  if (names.size === 0) return empty('No quota and no production use for this role.');
  return table(['Resource', ...columns.map(([c]) => c)], [...names].map(([name, values]) => html`<tr><th scope="row">${name}</th>${values.map((v) => html`<td class="n">${v}</td>`)}</tr>`), 'Quota');
}

export async function rolePage(role: string, environment?: string): Promise<View> {
  const [summary, quota] = await Promise.all([call<JobSummaryResult>('getJobSummary', { role }), call<GetQuotaResult>('getQuota', { ownerRole: role }).catch((e: unknown) => e)]);
  const all = (summary.summaries ?? []).filter((s) => environment === undefined || s.job?.key?.environment === environment);
  const order = (a: JobSummary, b: JobSummary) => `${a.job?.key?.environment}/${a.job?.key?.name}`.localeCompare(`${b.job?.key?.environment}/${b.job?.key?.name}`);
  const services = all.filter((s) => !s.job?.cronSchedule).sort(order);
  const crons = all.filter((s) => s.job?.cronSchedule).sort(order);
  const jobRow = (s: JobSummary) => {
    const k = s.job!.key!;
    const t = s.job?.taskConfig;
    return html`<tr><td><a href="${jobPath(k)}">${k.name}</a></td><td>${k.environment}</td><td class="n">${s.job?.instanceCount}</td><td class="n">${s.stats?.activeTaskCount ?? 0}</td><td class="n">${s.stats?.pendingTaskCount ?? 0}</td><td class="n">${s.stats?.finishedTaskCount ?? 0}</td><td class="n">${s.stats?.failedTaskCount ?? 0}</td><td>${t?.tier ?? (t?.production ? 'prod' : '')}</td></tr>`;
  };
  const cronRow = (s: JobSummary) => {
    const k = s.job!.key!;
    return html`<tr><td><a href="${jobPath(k)}">${k.name}</a></td><td>${k.environment}</td><td><code>${s.job?.cronSchedule}</code></td><td>${enumName('CronCollisionPolicy', s.job?.cronCollisionPolicy)}</td><td>${time(s.nextCronRunMs)}</td><td class="n">${s.stats?.activeTaskCount ?? 0}</td></tr>`;
  };
  const title = environment === undefined ? role : `${role}/${environment}`;
  return {
    title,
    changing: all.some((s) => (s.stats?.pendingTaskCount ?? 0) > 0),
    body: html`${crumbs(['Roles', '/scheduler'], ...(environment === undefined ? [[role, undefined] as [string, undefined]] : [[role, path('scheduler', role)] as [string, string], [environment, undefined] as [string, undefined]]))}
<h1>Jobs of ${title}</h1>
${services.length ? table(['Job', 'Environment', 'Instances', 'Active', 'Pending', 'Finished', 'Failed', 'Tier'], services.map(jobRow), 'Jobs') : empty(`No service or ad-hoc jobs for ${title}.`)}
<h2>Cron jobs</h2>
${crons.length ? table(['Job', 'Environment', 'Schedule', 'Collision policy', 'Next run', 'Active'], crons.map(cronRow), 'Cron jobs') : empty(`No cron jobs for ${title}.`)}
<h2>Quota</h2>
${quota instanceof Error ? failure(quota) : quotaTable(quota as GetQuotaResult)}`,
  };
}

function events(task: ScheduledTask): Html {
  const list = task.taskEvents ?? [];
  if (!list.length) return empty('No events recorded.');
  return html`<ol class="timeline">${list.map((e) => html`<li>${clock(e.timestamp)} ${badge(status(e.status))}${e.message ? html` <span class="msg">${e.message}</span>` : ''}</li>`)}</ol>`;
}

function lastEvent(task: ScheduledTask): number | undefined {
  const list = task.taskEvents ?? [];
  return list[list.length - 1]?.timestamp;
}

function taskPath(key: JobKey, task: ScheduledTask): string {
  return `${jobPath(key)}/task/${encodeURIComponent(task.assignedTask?.taskId ?? '')}`;
}

export async function jobPage(role: string, environment: string, name: string): Promise<View> {
  const key: JobKey = { role, environment, name };
  const [tasks, summary, updates] = await Promise.all([
    call<ScheduleStatusResult>('getTasksWithoutConfigs', { query: { role, environment, jobName: name } }),
    call<JobSummaryResult>('getJobSummary', { role }),
    call<GetJobUpdateSummariesResult>('getJobUpdateSummaries', { jobUpdateQuery: { jobKey: key } }).catch((e: unknown) => e),
  ]);
  const all = tasks.tasks ?? [];
  const active = all.filter((t) => !TERMINAL.has(status(t.status))).sort((a, b) => (a.assignedTask?.instanceId ?? 0) - (b.assignedTask?.instanceId ?? 0));
  const finished = all.filter((t) => TERMINAL.has(status(t.status))).sort((a, b) => (lastEvent(b) ?? 0) - (lastEvent(a) ?? 0));
  const pending = active.some((t) => status(t.status) === 'PENDING');
  const reasons = pending ? await call<GetPendingReasonResult>('getPendingReason', { query: { role, environment, jobName: name } }).catch(() => undefined) : undefined;
  const reasonOf = new Map((reasons?.reasons ?? []).map((r) => [r.taskId, r.reason]));
  const config = (summary.summaries ?? []).find((s) => s.job?.key?.environment === environment && s.job?.key?.name === name)?.job;
  const now = Date.now();
  const lazy = new Map<string, Html>();
  const row = (t: ScheduledTask) => {
    const a = t.assignedTask ?? {};
    const reason = reasonOf.get(a.taskId ?? '');
    lazy.set(a.taskId ?? '', events(t));
    return [
      html`<span class="n">${a.instanceId}</span>`,
      html`${badge(status(t.status))}${reason ? html`<div class="msg">${reason}</div>` : ''}`,
      html`${a.slaveHost}`,
      html`${ports(a.assignedPorts)}`,
      html`${age(lastEvent(t), now)}`,
      html`<details data-lazy="${a.taskId}"><summary>${(t.taskEvents ?? []).length} events</summary></details>`,
      html`<a href="${taskPath(key, t)}">${a.taskId}</a>`,
    ];
  };
  const shownFinished = finished.slice(0, 200);
  const updateList = updates instanceof Error ? failure(updates) : [...((updates as GetJobUpdateSummariesResult).updateSummaries ?? [])].sort((a, b) => (b.state?.createdTimestampMs ?? 0) - (a.state?.createdTimestampMs ?? 0));
  const rolling = Array.isArray(updateList) && updateList.some((u) => ACTIVE_UPDATES.has(enumName('JobUpdateStatus', u.state?.status)));
  const head = ['Instance', 'Status', 'Host', 'Ports', 'Since', 'Events', 'Task'];
  return {
    title: `${role}/${environment}/${name}`,
    lazy,
    changing: rolling || active.some((t) => status(t.status) !== 'RUNNING'),
    body: html`${crumbs(['Roles', '/scheduler'], [role, path('scheduler', role)], [environment, path('scheduler', role, environment)], [name, undefined])}
<h1>Job ${role}/${environment}/${name}</h1>
${config ? html`<p class="facts">${config.instanceCount} instances${config.cronSchedule ? html` · cron <code>${config.cronSchedule}</code>` : ''} · ${config.taskConfig?.isService ? 'service' : 'ad-hoc'}${config.taskConfig?.tier ? ` · tier ${config.taskConfig.tier}` : ''} · executor ${config.taskConfig?.executorConfig?.name ?? 'none'}</p>` : !all.length ? empty('No such job on this scheduler.', html`<a href="${path('scheduler', role)}">Jobs of ${role}</a>`) : ''}
<h2>Active tasks <span class="count">${active.length}</span></h2>
${active.length ? rowTable(head, active.map(row), 'Active tasks') : empty('No active tasks.')}
<h2>Updates</h2>
${Array.isArray(updateList) ? (updateList.length ? table(['Update', 'Status', 'User', 'Started', 'Last change'], updateList.map((u) => html`<tr><td><a href="${`${jobPath(key)}/update/${encodeURIComponent(u.key?.id ?? '')}`}">${u.key?.id}</a></td><td>${badge(enumName('JobUpdateStatus', u.state?.status))}</td><td>${u.user}</td><td>${time(u.state?.createdTimestampMs)}</td><td>${time(u.state?.lastModifiedTimestampMs)}</td></tr>`), 'Updates') : empty('No updates of this job.')) : updateList}
<h2>Finished tasks <span class="count">${finished.length}</span></h2>
${finished.length ? html`${finished.length > shownFinished.length ? html`<p class="muted">The ${shownFinished.length} most recent of ${finished.length}.</p>` : ''}${rowTable(head, shownFinished.map(row), 'Finished tasks')}` : empty('No finished tasks.')}
<h2>Configuration</h2>
${config ? html`<details><summary>JobConfiguration as the scheduler holds it</summary><pre class="config">${JSON.stringify(config, null, 2)}</pre></details>` : empty('No configuration: the job is not on this scheduler.')}`,
  };
}

export async function updatePage(role: string, environment: string, name: string, id: string): Promise<View> {
  const job: JobKey = { role, environment, name };
  const result = await call<GetJobUpdateDetailsResult>('getJobUpdateDetails', { key: { job, id }, query: { key: { job, id } } });
  const details = result.details ?? result.detailsList?.[0];
  const head = crumbs(['Roles', '/scheduler'], [role, path('scheduler', role)], [environment, path('scheduler', role, environment)], [name, jobPath(job)], [`update ${id}`, undefined]);
  if (!details) return { title: `update ${id}`, changing: false, body: html`${head}<h1>Update ${id}</h1>${empty('No such update of this job.')}` };
  const summary = details.update?.summary;
  const state = enumName('JobUpdateStatus', summary?.state?.status);
  const instructions = details.update?.instructions;
  const desired = new Set<number>();
  for (const r of instructions?.desiredState?.instances ?? []) for (let i = r.first ?? 0; i <= (r.last ?? -1); i++) desired.add(i);
  for (const c of instructions?.initialState ?? []) for (const r of c.instances ?? []) for (let i = r.first ?? 0; i <= (r.last ?? -1); i++) desired.add(i);
  const last = new Map<number, { action: string; at: number | undefined; message?: string }>();
  for (const e of details.instanceEvents ?? []) last.set(e.instanceId ?? 0, { action: enumName('JobUpdateAction', e.action), at: e.timestampMs, message: e.message });
  const instances = [...desired].sort((a, b) => a - b);
  const done = instances.filter((i) => ['INSTANCE_UPDATED', 'INSTANCE_ROLLED_BACK'].includes(last.get(i)?.action ?? '')).length;
  const settings = instructions?.settings;
  return {
    title: `update ${id}`,
    changing: ACTIVE_UPDATES.has(state),
    body: html`${head}
<h1>Update ${id}</h1>
<p class="facts">${badge(state)} by ${summary?.user} · started ${time(summary?.state?.createdTimestampMs)} · last change ${time(summary?.state?.lastModifiedTimestampMs)}</p>
<p><label for="progress">Instances done: ${done} of ${instances.length}</label> <progress id="progress" max="${instances.length || 1}" value="${done}">${done}/${instances.length}</progress></p>
${settings ? html`<p class="facts">batch size ${settings.updateGroupSize} · max per-instance failures ${settings.maxPerInstanceFailures} · max failed instances ${settings.maxFailedInstances} · watch ${settings.minWaitInInstanceRunningMs} ms${settings.rollbackOnFailure ? ' · rolls back on failure' : ''}</p>` : ''}
${(summary?.metadata ?? []).length ? html`<p class="facts">metadata: ${(summary?.metadata ?? []).map((m) => html`<code>${m.key}=${m.value}</code> `)}</p>` : ''}
<h2>Instances</h2>
${instances.length ? html`<ol class="grid" aria-label="Instances">${instances.map((i) => {
      const e = last.get(i);
      return html`<li class="cell a-${e?.action ?? 'NONE'}" title="${e ? e.action : 'not started'}"><span>${i}</span> <small>${e ? e.action.replace('INSTANCE_', '').toLowerCase().replace(/_/g, ' ') : 'waiting'}</small></li>`;
    })}</ol>` : empty('This update names no instances.')}
<h2>Update events</h2>
${(details.updateEvents ?? []).length ? table(['Time', 'Status', 'User', 'Message'], (details.updateEvents ?? []).map((e) => html`<tr><td>${time(e.timestampMs)}</td><td>${badge(enumName('JobUpdateStatus', e.status))}</td><td>${e.user}</td><td class="msg">${e.message}</td></tr>`), 'Update events') : empty('No update events yet.')}
<h2>Instance events</h2>
${(details.instanceEvents ?? []).length ? table(['Time', 'Instance', 'Action', 'Message'], (details.instanceEvents ?? []).map((e) => html`<tr><td>${time(e.timestampMs)}</td><td class="n">${e.instanceId}</td><td>${enumName('JobUpdateAction', e.action)}</td><td class="msg">${e.message}</td></tr>`), 'Instance events') : empty('No instance has been touched yet.')}`,
  };
}

export async function taskPage(role: string, environment: string, name: string, taskId: string): Promise<View & { task?: ScheduledTask }> {
  const job: JobKey = { role, environment, name };
  const { tasks = [] } = await call<ScheduleStatusResult>('getTasksWithoutConfigs', { query: { taskIds: [taskId] } });
  const task = tasks[0];
  const head = crumbs(['Roles', '/scheduler'], [role, path('scheduler', role)], [environment, path('scheduler', role, environment)], [name, jobPath(job)], [taskId, undefined]);
  if (!task) return { title: taskId, changing: false, body: html`${head}<h1>Task</h1>${empty(`No task ${taskId} on this scheduler.`)}` };
  const a = task.assignedTask ?? {};
  const s = status(task.status);
  return {
    title: `task ${a.instanceId}`,
    changing: !TERMINAL.has(s) && s !== 'RUNNING',
    task,
    body: html`${head}
<h1>Instance ${a.instanceId} <small>${taskId}</small></h1>
<p class="facts">${badge(s)} on ${a.slaveHost || 'no host yet'}${ports(a.assignedPorts) ? ` · ports ${ports(a.assignedPorts)}` : ''} · failures ${task.failureCount ?? 0}${task.ancestorId ? html` · replaces <code>${task.ancestorId}</code>` : ''}</p>
<h2>Events</h2>
${events(task)}`,
  };
}

/** Reads the agents' JSON (GET /agents) if this scheduler serves it; the hosts its tasks ran on otherwise. */
async function agents(): Promise<{ list: unknown[] | undefined; note: string }> {
  let reply: Response;
  try {
    reply = await fetch('/agents', { headers: { Accept: 'application/json' } });
  } catch {
    return { list: undefined, note: 'The scheduler did not answer GET /agents.' };
  }
  if (reply.status === 404) return { list: undefined, note: 'This scheduler has no agents endpoint (GET /agents answers 404): the hosts below are those its tasks ran on.' };
  if (!reply.ok) return { list: undefined, note: `GET /agents answered HTTP ${reply.status}.` };
  try {
    const body = (await reply.json()) as unknown;
    const list = Array.isArray(body) ? body : Array.isArray((body as { agents?: unknown }).agents) ? (body as { agents: unknown[] }).agents : [body];
    return { list, note: '' };
  } catch {
    return { list: undefined, note: 'GET /agents did not answer JSON.' };
  }
}

async function taskHosts(): Promise<Map<string, number>> {
  const { tasks = [] } = await call<ScheduleStatusResult>('getTasksWithoutConfigs', { query: {} });
  const hosts = new Map<string, number>();
  for (const t of tasks) {
    const host = t.assignedTask?.slaveHost;
    if (!host) continue;
    hosts.set(host, (hosts.get(host) ?? 0) + (TERMINAL.has(status(t.status)) ? 0 : 1));
  }
  return hosts;
}

function cellText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

export async function agentsPage(): Promise<View> {
  const [{ list, note }, hosts] = await Promise.all([agents(), taskHosts()]);
  let body: Html;
  if (list) {
    const columns = [...new Set(list.flatMap((a) => (a && typeof a === 'object' ? Object.keys(a) : [])))];
    body = list.length
      ? table(columns, list.map((a) => html`<tr>${columns.map((c) => html`<td>${cellText((a as Record<string, unknown>)[c] ?? '')}</td>`)}</tr>`), 'Agents')
      : empty('The scheduler reports no agents.');
  } else {
    body = html`<p class="note">${note}</p>${hosts.size ? table(['Host', 'Active tasks'], [...hosts].sort().map(([h, n]) => html`<tr><td>${h}</td><td class="n">${n}</td></tr>`), 'Hosts') : empty('No task has been placed on any host yet.')}`;
  }
  return { title: 'Agents', changing: false, body: html`<h1>Agents</h1>${body}` };
}

export async function maintenancePage(): Promise<View> {
  const [{ list }, hosts] = await Promise.all([agents(), taskHosts()]);
  const names = new Set(hosts.keys());
  for (const a of list ?? []) {
    const host = (a as { host?: unknown; hostname?: unknown } | null)?.host ?? (a as { hostname?: unknown } | null)?.hostname;
    if (typeof host === 'string') names.add(host);
  }
  if (!names.size) return { title: 'Maintenance', changing: false, body: html`<h1>Maintenance</h1>${empty('No hosts known yet: no agent is listed and no task has been placed.')}` };
  const result = await call<MaintenanceStatusResult>('maintenanceStatus', { hosts: { hostNames: [...names] } });
  const statuses = [...(result.statuses ?? [])].sort((a, b) => String(a.host).localeCompare(String(b.host)));
  const modes = statuses.map((s) => enumName('MaintenanceMode', s.mode));
  return {
    title: 'Maintenance',
    changing: modes.includes('DRAINING'),
    body: html`<h1>Maintenance</h1>${table(['Host', 'Mode', 'Active tasks'], statuses.map((s, i) => html`<tr><td>${s.host}</td><td>${badge(modes[i]!)}</td><td class="n">${hosts.get(s.host ?? '') ?? 0}</td></tr>`), 'Hosts in maintenance')}
<p class="muted">Drain a host with <code>aurora-ts host drain HOST</code>; this page is read-only.</p>`,
  };
}
