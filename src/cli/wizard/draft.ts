/**
 * The job file being built, and the one check every answer goes through: the answer is applied to
 * a copy of the draft, and the copy is checked exactly as `job create` / `cron schedule` would check
 * the file (job-file schema and cross-field rules, then the scheduler's own rules under the cluster's
 * policy). Only issues the answer introduced are reported, so each question owns its errors.
 */
import { checkJobFile, jobFileToConfig } from '../../job/file.js';
import { JOB_FILE_KEYS, type JobFile } from '../../job/file-schema.js';
import { checkCreateJob, checkCronJob, type ClusterPolicy } from '../../job/validate.js';

export type Draft = Partial<JobFile>;
export type JobKind = 'service' | 'batch' | 'cron';

export interface DraftIssue {
  /** Job-file field (`resources.cpus`), or JobConfiguration path for the scheduler's rules. */
  field: string;
  message: string;
  /** Raised by the scheduler's rules rather than the job file's. */
  scheduler: boolean;
}

export function kindOf(draft: Draft): JobKind {
  if (draft.cron !== undefined) return 'cron';
  return draft.service === true ? 'service' : 'batch';
}

/** Every issue of the draft as a job file for `policy`; empty when `job create` (or `cron schedule`) accepts it. */
export function draftIssues(draft: Draft, policy: ClusterPolicy): DraftIssue[] {
  const fileIssues = checkJobFile(draft);
  if (fileIssues.length > 0) return fileIssues.map((i) => ({ ...i, scheduler: false }));
  const config = jobFileToConfig(draft as JobFile);
  const issues = draft.cron !== undefined ? checkCronJob(config, policy) : checkCreateJob(config, policy);
  return issues.map((i) => ({ ...i, scheduler: true }));
}

export function formatIssue(issue: DraftIssue): string {
  if (issue.scheduler) return `the scheduler would reject this: ${issue.message}`;
  return issue.field === '' ? issue.message : `${issue.field}: ${issue.message}`;
}

const key = (i: DraftIssue) => `${i.field}\u0000${i.message}`;

/**
 * A validator for one answer: `apply` puts the answer into a copy of the draft; the first issue
 * that was not there before is the error shown under the prompt.
 */
export function answerCheck(draft: Draft, policy: ClusterPolicy, apply: (copy: Draft) => void): true | string {
  const before = new Set(draftIssues(draft, policy).map(key));
  const copy = cloneDraft(draft);
  apply(copy);
  const fresh = draftIssues(copy, policy).find((i) => !before.has(key(i)));
  return fresh === undefined ? true : formatIssue(fresh);
}

export function cloneDraft(draft: Draft): Draft {
  return structuredClone(draft);
}

/** The draft as the file to write: keys in schema order, undefined values dropped. */
export function orderedFile(draft: Draft): JobFile {
  const out: Record<string, unknown> = {};
  for (const k of JOB_FILE_KEYS) {
    if (draft[k] !== undefined) out[k] = draft[k];
  }
  return out as JobFile;
}
