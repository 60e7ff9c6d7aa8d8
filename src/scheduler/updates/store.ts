/**
 * Every job update the scheduler has seen, with its events (Aurora's JobUpdateStore): a summary's
 * state is derived from its events, and queries filter by role, key, job, user and status, newest
 * change first.
 */
import { JobUpdateStatus, type GetJobUpdateSummariesResult, type JobInstanceUpdateEvent, type JobKey, type JobUpdate, type JobUpdateDetails, type JobUpdateSummary, type JobUpdateEvent, type JobUpdateInstructions, type JobUpdateKey, type JobUpdateQuery } from '../../gen/types.js';
import { canonicalJson, jobKeyString } from '../tasks.js';
import { encodedOnce, KeptAnswers } from '../kept.js';
import { isActiveUpdateStatus } from './states.js';

export function updateKeyString(key: JobUpdateKey | undefined): string {
  return `${jobKeyString(key?.job)}/${key?.id ?? ''}`;
}

/** The key as Aurora's messages print it (Thrift's toString). */
export function describeUpdateKey(key: JobUpdateKey | undefined): string {
  const job = key?.job;
  return `JobUpdateKey(job:JobKey(role:${job?.role ?? 'null'}, environment:${job?.environment ?? 'null'}, name:${job?.name ?? 'null'}), id:${key?.id ?? 'null'})`;
}


/** An update as startJobUpdate builds it: the store gives it its state. */
export type NewUpdate = Omit<JobUpdate, 'summary'> & { summary: Omit<JobUpdateSummary, 'state'> };
export class JobUpdateStore {
  private readonly updates = new Map<string, JobUpdateDetails>();
  /** Hears the key (updateKeyString) of every update that changed, for the state directory. */
  onChange: ((key: string) => void) | undefined;

  /** Moved by every change to any update: getJobUpdateSummaries answers hold while it has not. */
  private changes = 0;
  private readonly summaries = new KeptAnswers<GetJobUpdateSummariesResult>();

  /** Puts back updates read from the state directory (their state is stored with them). */
  restore(updates: Iterable<JobUpdateDetails>): void {
    for (const details of updates) this.updates.set(updateKeyString(details.update!.summary!.key), details);
    this.changes++;
  }

  byKeyString(key: string): JobUpdateDetails | undefined {
    return this.updates.get(key);
  }

  /** Every update, oldest first. */
  all(): JobUpdateDetails[] {
    return [...this.updates.values()];
  }

  /** Stores a new update; its state fills in as events are added. */
  save(newUpdate: NewUpdate): JobUpdateDetails {
    // The state is a placeholder until the first event, which the controller records right away.
    (newUpdate.summary as JobUpdateSummary).state = { status: JobUpdateStatus.ROLLING_FORWARD, createdTimestampMs: 0, lastModifiedTimestampMs: 0 };
    const update = newUpdate as JobUpdate;
    const details: JobUpdateDetails = { update, updateEvents: [], instanceEvents: [] };
    this.updates.set(updateKeyString(update.summary!.key), details);
    this.changed(updateKeyString(update.summary!.key));
    return details;
  }

  private changed(key: string): void {
    this.changes++;
    this.onChange?.(key);
  }

  /**
   * The getJobUpdateSummaries result for `query` (its updates as `query` orders them) for a reply: the
   * same one, encoded once per protocol, until any update changes (pollers repeat a query).
   */
  summariesForReply(query: JobUpdateQuery): GetJobUpdateSummariesResult {
    return this.summaries.get(canonicalJson('JobUpdateQuery', query), this.changes, () =>
      encodedOnce<GetJobUpdateSummariesResult>('GetJobUpdateSummariesResult', { updateSummaries: this.query(query).map((d) => d.update!.summary!) }),
    );
  }

  get(key: JobUpdateKey | undefined): JobUpdateDetails | undefined {
    return this.updates.get(updateKeyString(key));
  }

  addEvent(details: JobUpdateDetails, event: JobUpdateEvent): void {
    details.updateEvents!.push(event);
    this.refreshState(details);
  }

  addInstanceEvent(details: JobUpdateDetails, event: JobInstanceUpdateEvent): void {
    details.instanceEvents!.push(event);
    this.refreshState(details);
  }

  /** Updates of a job that are still in progress (at most one, by construction). */
  active(job: JobKey): JobUpdateDetails[] {
    const wanted = jobKeyString(job);
    return [...this.updates.values()].filter(
      (d) => jobKeyString(d.update!.summary!.key!.job) === wanted && isActiveUpdateStatus(d.update!.summary!.state!.status),
    );
  }

  /** The instructions of the role's updates in progress, by job key string. */
  activeInstructions(role: string): Map<string, JobUpdateInstructions> {
    const out = new Map<string, JobUpdateInstructions>();
    for (const d of this.updates.values()) {
      const summary = d.update!.summary!;
      if (summary.key!.job!.role === role && isActiveUpdateStatus(summary.state!.status)) out.set(jobKeyString(summary.key!.job), d.update!.instructions!);
    }
    return out;
  }

  query(query: JobUpdateQuery = {}): JobUpdateDetails[] {
    const statuses = query.updateStatuses ? new Set(query.updateStatuses) : undefined;
    const matches = [...this.updates.values()].filter((d) => {
      const summary = d.update!.summary!;
      const key = summary.key!;
      if (query.role != null && key.job!.role !== query.role) return false;
      if (query.key != null && updateKeyString(query.key) !== updateKeyString(key)) return false;
      if (query.jobKey != null && jobKeyString(query.jobKey) !== jobKeyString(key.job)) return false;
      if (query.user != null && summary.user !== query.user) return false;
      if (statuses && statuses.size > 0 && !statuses.has(summary.state!.status!)) return false;
      return true;
    });
    // Stable sort: ties keep insertion order.
    matches.sort((a, b) => (b.update!.summary!.state!.lastModifiedTimestampMs ?? 0) - (a.update!.summary!.state!.lastModifiedTimestampMs ?? 0));
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 0;
    return matches.slice(offset, limit > 0 ? offset + limit : undefined);
  }

  private refreshState(details: JobUpdateDetails): void {
    this.changed(updateKeyString(details.update!.summary!.key));
    const events = details.updateEvents!;
    const instanceEvents = details.instanceEvents!;
    const state = details.update!.summary!.state!;
    state.createdTimestampMs = events[0]?.timestampMs ?? state.createdTimestampMs;
    state.status = events.at(-1)?.status ?? state.status;
    state.lastModifiedTimestampMs = Math.max(events.at(-1)?.timestampMs ?? 0, instanceEvents.at(-1)?.timestampMs ?? 0);
  }
}
