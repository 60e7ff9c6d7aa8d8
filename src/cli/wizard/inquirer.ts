/** The terminal Prompter: @inquirer/prompts, loaded only when the wizard runs. */
import type { ConfirmQuestion, InputQuestion, Prompter, SelectQuestion } from './prompter.js';

export interface InquirerPrompterOptions {
  /** Styles the live hint after an input (dim on a colour terminal, plain otherwise). */
  hintStyle?: (text: string) => string;
}

export async function inquirerPrompter(options: InquirerPrompterOptions = {}): Promise<Prompter> {
  const { input, select, confirm } = await import('@inquirer/prompts');
  const hint = options.hintStyle ?? ((t: string) => t);
  return {
    input(q: InputQuestion) {
      const describe = q.describe;
      return input({
        message: q.message,
        ...(q.default !== undefined ? { default: q.default } : {}),
        ...(q.validate ? { validate: q.validate } : {}),
        ...(describe
          ? {
              transformer: (value: string, { isFinal }: { isFinal: boolean }) => {
                const text = isFinal ? undefined : describe(value);
                return text === undefined ? value : `${value}  ${hint(text)}`;
              },
            }
          : {}),
      });
    },
    select<T>(q: SelectQuestion<T>) {
      return select<T>({
        message: q.message,
        choices: q.choices.map((c) => ({ value: c.value, name: c.name, ...(c.description !== undefined ? { description: c.description } : {}) })),
        ...(q.default !== undefined ? { default: q.default } : {}),
        pageSize: 12,
      });
    },
    confirm(q: ConfirmQuestion) {
      return confirm({ message: q.message, ...(q.default !== undefined ? { default: q.default } : {}) });
    },
  };
}
