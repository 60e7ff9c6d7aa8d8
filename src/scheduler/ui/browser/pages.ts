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

/** One agent as GET /agents reports it (src/scheduler/agents/http.ts AgentReport), read defensively: another version may answer. */
interface Agent {
  host: string;
  mode: string;
  tasks: number | undefined;
  /** Port ranges, or null: any free port. */
  ports: string | null;
  attributes: Array<[string, string]>;
  used: Amounts | undefined;
  total: Amounts | undefined;
}

interface Amounts {
  cpus: number | undefined;
  ramMb: number | undefined;
  /** null: unlimited. */
  diskMb: number | null | undefined;
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function amounts(v: unknown): Amounts | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  return { cpus: num(r.cpus), ramMb: num(r.ramMb), diskMb: r.diskMb === null ? null : num(r.diskMb) };
}

function readAgent(v: unknown): Agent | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  const host = typeof r.host === 'string' ? r.host : typeof r.hostname === 'string' ? r.hostname : undefined;
  if (host === undefined) return undefined;
  const attrs = r.attributes && typeof r.attributes === 'object' ? Object.entries(r.attributes as Record<string, unknown>).map(([k, value]): [string, string] => [k, String(value)]) : [];
  const resources = (r.resources && typeof r.resources === 'object' ? r.resources : {}) as Record<string, unknown>;
  return {
    host,
    mode: typeof r.mode === 'string' ? r.mode : '',
    tasks: num(r.tasks),
    ports: typeof r.ports === 'string' ? r.ports : null,
    attributes: attrs.sort(([a], [b]) => a.localeCompare(b)),
    used: amounts(resources.used),
    total: amounts(resources.total),
  };
}

/** Reads the agents (GET /agents) if this scheduler serves them; list undefined and a note saying why otherwise. */
async function agents(): Promise<{ list: Agent[] | undefined; note: string }> {
  let reply: Response;
  try {
    reply = await fetch('/agents', { headers: { Accept: 'application/json' } });
  } catch {
    return { list: undefined, note: 'The scheduler did not answer GET /agents: the hosts below are those its tasks ran on.' };
  }
  if (reply.status === 404) return { list: undefined, note: 'This scheduler has no agents endpoint (GET /agents answers 404): the hosts below are those its tasks ran on.' };
  if (!reply.ok) return { list: undefined, note: `GET /agents answered HTTP ${reply.status}: the hosts below are those its tasks ran on.` };
  let body: unknown;
  try {
    body = await reply.json();
  } catch {
    return { list: undefined, note: 'GET /agents did not answer JSON: the hosts below are those its tasks ran on.' };
  }
  const raw = Array.isArray(body) ? body : (body as { agents?: unknown } | null)?.agents;
  if (!Array.isArray(raw)) return { list: undefined, note: 'GET /agents answered without a list of agents: the hosts below are those its tasks ran on.' };
  const list = raw.map(readAgent).filter((a): a is Agent => a !== undefined);
  return { list: list.sort((a, b) => a.host.localeCompare(b.host)), note: '' };
}

/** Active tasks per host, from the tasks themselves (what an older scheduler without GET /agents offers). */
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

const hostPath = (host: string) => path('agents', host);

/** "0.5 of 2" with a meter; "16 MiB of unlimited" when there is no total. */
function usage(used: number | undefined, total: number | null | undefined, unit: string): Html {
  const fmt = (n: number) => `${Math.round(n * 1000) / 1000}${unit}`;
  if (used === undefined) return html`<span class="muted">?</span>`;
  if (total === null) return html`${fmt(used)} of unlimited`;
  if (total === undefined) return html`${fmt(used)}`;
  return html`<span class="use">${fmt(used)} of ${fmt(total)}</span> <meter min="0" max="${total}" value="${used}" high="${total * 0.9}" aria-label="${`${fmt(used)} of ${fmt(total)}`}"></meter>`;
}

function chips(attributes: Array<[string, string]>): Html {
  return attributes.length ? html`<ul class="chips" aria-label="Attributes">${attributes.map(([k, v]) => html`<li>${k}:${v}</li>`)}</ul>` : html`<span class="muted">none</span>`;
}

function agentRow(a: Agent): Html {
  return html`<tr><td class="host"><a href="${hostPath(a.host)}">${a.host}</a></td><td>${a.mode ? badge(a.mode) : ''}</td><td class="n">${a.tasks}</td><td>${usage(a.used?.cpus, a.total?.cpus, '')}</td><td>${usage(a.used?.ramMb, a.total?.ramMb, ' MiB')}</td><td>${usage(a.used?.diskMb ?? undefined, a.total?.diskMb, ' MiB')}</td><td class="ports">${a.ports ?? html`<span class="muted">any free port</span>`}</td><td>${chips(a.attributes)}</td></tr>`;
}

/** Hosts known from tasks only, for a scheduler without GET /agents. */
function hostsTable(hosts: Map<string, number>): Html {
  return hosts.size
    ? table(['Host', 'Active tasks'], [...hosts].sort(([a], [b]) => a.localeCompare(b)).map(([h, n]) => html`<tr><td><a href="${hostPath(h)}">${h}</a></td><td class="n">${n}</td></tr>`), 'Hosts')
    : empty('No task has been placed on any host yet.');
}

export async function agentsPage(): Promise<View> {
  const { list, note } = await agents();
  let body: Html;
  if (list) {
    body = list.length
      ? html`${table(['Host', 'Mode', 'Tasks', 'CPUs used', 'RAM used', 'Disk used', 'Ports', 'Attributes'], list.map(agentRow), 'Agents')}
<p class="muted">Tasks and used resources count the tasks that hold them (assigned, starting, running, draining, killing).</p>`
      : empty('The scheduler reports no agents.');
  } else {
    body = html`<p class="note">${note}</p>${hostsTable(await taskHosts())}`;
  }
  return { title: 'Agents', changing: (list ?? []).some((a) => stillDraining(a.mode, a.tasks)), body: html`<h1>Agents</h1>${body}` };
}

function hostTaskRow(t: ScheduledTask, now: number): Html {
  const a = t.assignedTask ?? {};
  const key = a.task?.job;
  return html`<tr><td>${key ? html`<a href="${jobPath(key)}">${key.role}/${key.environment}/${key.name}</a>` : ''}</td><td class="n">${a.instanceId}</td><td>${badge(status(t.status))}</td><td>${ports(a.assignedPorts)}</td><td>${age(lastEvent(t), now)}</td><td>${key ? html`<a href="${taskPath(key, t)}">${a.taskId}</a>` : a.taskId}</td></tr>`;
}

/** One host: the agent's facts and the tasks placed on it (TaskQuery.slaveHosts, as Aurora's API has it). */
export async function hostPage(host: string): Promise<View> {
  const [{ list, note }, tasks, maintenance] = await Promise.all([
    agents(),
    call<ScheduleStatusResult>('getTasksWithoutConfigs', { query: { slaveHosts: [host] } }),
    call<MaintenanceStatusResult>('maintenanceStatus', { hosts: { hostNames: [host] } }).catch((e: unknown) => e),
  ]);
  const agent = list?.find((a) => a.host === host);
  const answered = maintenance instanceof Error ? undefined : (maintenance as MaintenanceStatusResult).statuses?.find((s) => s.host === host);
  const mode = answered ? enumName('MaintenanceMode', answered.mode) : agent?.mode;
  const all = tasks.tasks ?? [];
  const byJob = (a: ScheduledTask, b: ScheduledTask) => jobPath(a.assignedTask?.task?.job ?? {}).localeCompare(jobPath(b.assignedTask?.task?.job ?? {})) || (a.assignedTask?.instanceId ?? 0) - (b.assignedTask?.instanceId ?? 0);
  const active = all.filter((t) => !TERMINAL.has(status(t.status))).sort(byJob);
  const finished = all.filter((t) => TERMINAL.has(status(t.status))).sort((a, b) => (lastEvent(b) ?? 0) - (lastEvent(a) ?? 0));
  const shown = finished.slice(0, 50);
  const now = Date.now();
  const head = ['Job', 'Instance', 'Status', 'Ports', 'Since', 'Task'];
  let facts: Html;
  if (agent) {
    facts = html`<p class="facts">${mode ? badge(mode) : ''} · CPUs ${usage(agent.used?.cpus, agent.total?.cpus, '')} · RAM ${usage(agent.used?.ramMb, agent.total?.ramMb, ' MiB')} · disk ${usage(agent.used?.diskMb ?? undefined, agent.total?.diskMb, ' MiB')} · ports ${agent.ports ?? 'any free port'}</p>${chips(agent.attributes)}`;
  } else if (list) {
    facts = html`${mode ? html`<p class="facts">${badge(mode)}</p>` : ''}${empty('No agent of this scheduler has this host name.', html`<a href="/agents">All agents</a>`)}`;
  } else {
    facts = html`${mode ? html`<p class="facts">${badge(mode)}</p>` : ''}<p class="note">${note}</p>`;
  }
  return {
    title: host,
    changing: mode === 'DRAINING' || active.some((t) => status(t.status) !== 'RUNNING'),
    body: html`${crumbs(['Agents', '/agents'], [host, undefined])}
<h1>Host ${host}</h1>
${facts}
<h2>Active tasks <span class="count">${active.length}</span></h2>
${active.length ? table(head, active.map((t) => hostTaskRow(t, now)), 'Active tasks') : empty('No active task on this host.')}
<h2>Finished tasks <span class="count">${finished.length}</span></h2>
${finished.length ? html`${finished.length > shown.length ? html`<p class="muted">The ${shown.length} most recent of ${finished.length}.</p>` : ''}${table(head, shown.map((t) => hostTaskRow(t, now)), 'Finished tasks')}` : empty('No finished task on this host.')}`,
  };
}

/** Every host with its maintenance mode (maintenanceStatus, the API's word), its tasks and what GET /agents adds. */
/** A drain still moving tasks: DRAINING, or DRAINED while the host still counts tasks being killed. */
function stillDraining(mode: string, tasks: number | undefined): boolean {
  return mode === 'DRAINING' || (mode === 'DRAINED' && (tasks ?? 0) > 0);
}

export async function maintenancePage(): Promise<View> {
  const [{ list, note }, hosts] = await Promise.all([agents(), taskHosts()]);
  // With agents, maintenance answers for their hosts only (as Aurora's); without, ask for every host a task ran on.
  const names = new Set(list ? list.map((a) => a.host) : hosts.keys());
  const noteHtml = list ? '' : html`<p class="note">${note}</p>`;
  if (!names.size) return { title: 'Maintenance', changing: false, body: html`<h1>Maintenance</h1>${noteHtml}${empty('No hosts known yet: no agent is listed and no task has been placed.')}` };
  const result = await call<MaintenanceStatusResult>('maintenanceStatus', { hosts: { hostNames: [...names] } });
  const modeOf = new Map((result.statuses ?? []).map((s) => [s.host ?? '', enumName('MaintenanceMode', s.mode)]));
  const agentOf = new Map((list ?? []).map((a) => [a.host, a]));
  const rows = [...names].sort().map((host) => ({ host, mode: modeOf.get(host) ?? agentOf.get(host)?.mode ?? '', agent: agentOf.get(host) }));
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.mode, (counts.get(r.mode) ?? 0) + 1);
  return {
    title: 'Maintenance',
    changing: rows.some((r) => stillDraining(r.mode, r.agent?.tasks)),
    body: html`<h1>Maintenance</h1>${noteHtml}
<p class="facts">${rows.length} hosts: ${[...counts].sort(([a], [b]) => a.localeCompare(b)).map(([m, n], i) => html`${i ? ' · ' : ''}${n} ${m ? badge(m) : 'unknown'}`)}</p>
${table(['Host', 'Mode', 'Tasks', 'Attributes'], rows.map((r) => html`<tr><td><a href="${hostPath(r.host)}">${r.host}</a></td><td>${r.mode ? badge(r.mode) : html`<span class="muted">not answered</span>`}</td><td class="n">${r.agent?.tasks ?? hosts.get(r.host) ?? 0}</td><td>${r.agent ? chips(r.agent.attributes) : ''}</td></tr>`), 'Hosts in maintenance')}
<p class="muted">Drain a host with <code>aurora-ts maintenance drain CLUSTER HOST</code>; this page is read-only.</p>`,
  };
}
