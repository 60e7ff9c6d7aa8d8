/** The terminal Prompter: @inquirer/prompts, loaded only when the wizard runs. */
import type { ConfirmQuestion, InputQuestion, Prompter, SelectQuestion } from './prompter.js';

export interface InquirerPrompterOptions {
  /** Styles the live hint after an input (dim on a colour terminal, plain otherwise). */
  hintStyle?: (text: string) => string;
  /** Where answers are read and questions drawn (default the process's stdin and stdout). */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/** What @inquirer/prompts' `input` is given for a question. */
export interface InquirerInputConfig {
  message: string;
  default?: string;
  validate?: (value: string) => true | string;
  transformer?: (value: string, state: { isFinal: boolean }) => string;
}

/**
 * A question as inquirer's `input` takes it. The live hint (e.g. a bad role's reason) is left out
 * for the value Enter just rejected: inquirer prints that reason under the prompt, and the same
 * reason after the value too read as two errors. Typing again brings the hint back.
 */
export function inputConfig(q: InputQuestion, hint: (text: string) => string = (t) => t): InquirerInputConfig {
  let rejected: string | undefined;
  const validate = q.validate;
  const describe = q.describe;
  return {
    message: q.message,
    ...(q.default !== undefined ? { default: q.default } : {}),
    ...(validate
      ? {
          validate: (value: string) => {
            const verdict = validate(value);
            rejected = verdict === true ? undefined : value;
            return verdict;
          },
        }
      : {}),
    ...(describe
      ? {
          transformer: (value: string, { isFinal }: { isFinal: boolean }) => {
            const text = isFinal || value === rejected ? undefined : describe(value);
            return text === undefined ? value : `${value}  ${hint(text)}`;
          },
        }
      : {}),
  };
}

export async function inquirerPrompter(options: InquirerPrompterOptions = {}): Promise<Prompter> {
  const { input, select, confirm } = await import('@inquirer/prompts');
  const hint = options.hintStyle ?? ((t: string) => t);
  const context = { ...(options.input ? { input: options.input } : {}), ...(options.output ? { output: options.output } : {}) };
  return {
    input(q: InputQuestion) {
      return input(inputConfig(q, hint), context);
    },
    select<T>(q: SelectQuestion<T>) {
      return select<T>({
        message: q.message,
        choices: q.choices.map((c) => ({ value: c.value, name: c.name, ...(c.description !== undefined ? { description: c.description } : {}) })),
        ...(q.default !== undefined ? { default: q.default } : {}),
        pageSize: 12,
      }, context);
    },
    confirm(q: ConfirmQuestion) {
      return confirm({ message: q.message, ...(q.default !== undefined ? { default: q.default } : {}) }, context);
    },
  };
}
