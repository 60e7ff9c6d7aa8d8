/**
 * A Prompter that answers from a script instead of a terminal. Each step names the question it
 * expects (a substring of the prompt) and the answers a user would type in turn: an answer the
 * wizard's validator rejects is recorded with the error shown, and the next answer is tried, as
 * when a user corrects a typo. DEFAULT presses Enter; an Error is thrown (e.g. Ctrl-C).
 */
import type { ConfirmQuestion, InputQuestion, Prompter, SelectQuestion } from '../../src/cli/wizard/prompter.js';

export const DEFAULT = Symbol('default');
export type Answer = string | boolean | typeof DEFAULT | Error;
export type Step = [question: string, ...answers: Answer[]];

export interface Asked {
  message: string;
  answer: unknown;
  /** Errors the validator showed for rejected answers, in order. */
  errors: string[];
  /** For selects, the choice labels offered. */
  choices?: string[];
  /** For inputs with a live hint, the hint for the accepted answer. */
  hint?: string;
}

export class ScriptedPrompter implements Prompter {
  readonly asked: Asked[] = [];
  private readonly steps: Step[];

  constructor(steps: Step[]) {
    this.steps = [...steps];
  }

  get remaining(): number {
    return this.steps.length;
  }

  private next(message: string): Answer[] {
    const step = this.steps.shift();
    if (step === undefined) throw new Error(`script ended, but the wizard asked: ${message}`);
    const [question, ...answers] = step;
    if (!message.includes(question)) throw new Error(`script expected a question containing "${question}", the wizard asked: ${message}`);
    if (answers.length === 0) throw new Error(`no answer scripted for: ${message}`);
    return answers;
  }

  async input(q: InputQuestion): Promise<string> {
    const record: Asked = { message: q.message, answer: undefined, errors: [] };
    this.asked.push(record);
    for (const answer of this.next(q.message)) {
      if (answer instanceof Error) throw answer;
      // inquirer: Enter on an empty line takes the default.
      const value = answer === DEFAULT ? (q.default ?? '') : String(answer);
      const verdict = q.validate ? q.validate(value) : true;
      if (verdict === true) {
        record.answer = value;
        const hint = q.describe?.(value);
        if (hint !== undefined) record.hint = hint;
        return value;
      }
      record.errors.push(verdict);
    }
    throw new Error(`every scripted answer to "${q.message}" was rejected: ${record.errors.join(' | ')}`);
  }

  async select<T>(q: SelectQuestion<T>): Promise<T> {
    const record: Asked = { message: q.message, answer: undefined, errors: [], choices: q.choices.map((c) => c.name) };
    this.asked.push(record);
    const [answer] = this.next(q.message);
    if (answer instanceof Error) throw answer;
    const choice = answer === DEFAULT ? (q.choices.find((c) => c.value === q.default) ?? q.choices[0]) : q.choices.find((c) => c.value === answer);
    if (choice === undefined) throw new Error(`"${String(answer)}" is not a choice of "${q.message}": ${q.choices.map((c) => String(c.value)).join(', ')}`);
    record.answer = choice.value;
    return choice.value;
  }

  async confirm(q: ConfirmQuestion): Promise<boolean> {
    const record: Asked = { message: q.message, answer: undefined, errors: [] };
    this.asked.push(record);
    const [answer] = this.next(q.message);
    if (answer instanceof Error) throw answer;
    const value = answer === DEFAULT ? (q.default ?? false) : answer === true || answer === 'y' || answer === 'yes';
    record.answer = value;
    return value;
  }
}

/** The wizard's questions, in order, for a service on a custom executor (with an executor file). */
export const CUSTOM_SERVICE = ['Cluster', 'Role', 'Environment', 'Job name', 'Kind of job', 'Instances', 'Executor', 'Executor data', 'CPUs', 'RAM', 'Disk', 'Named ports', 'Constraints', 'Metadata', 'update settings', 'Tier'];
/** ... and for a Thermos job with one process (no update settings for batch jobs: drop that question). */
export const THERMOS_ONE_PROCESS = ['Cluster', 'Role', 'Environment', 'Job name', 'Kind of job', 'Instances', 'Executor', 'Process 1: name', 'Process 1: command line', 'Add another process', 'CPUs', 'RAM', 'Disk', 'Named ports', 'Constraints', 'Metadata', 'update settings', 'Tier'];

/** Steps answering `questions` in order: Enter for each, except where `answers` says otherwise. */
export function script(questions: readonly string[], answers: Readonly<Record<string, Answer>> = {}): Step[] {
  return questions.map((q) => [q, q in answers ? answers[q]! : DEFAULT]);
}
