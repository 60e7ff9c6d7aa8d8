/**
 * The wizard asks through this seam, never through inquirer directly: the terminal implementation
 * (inquirer.ts) maps it to @inquirer/prompts, and tests answer it from a script without a terminal.
 */

export interface InputQuestion {
  message: string;
  default?: string;
  /** `true` when the answer is acceptable, else the one-line reason shown under the prompt. */
  validate?: (value: string) => true | string;
  /** A hint shown after the value while typing (e.g. a cron schedule in words); undefined for none. */
  describe?: (value: string) => string | undefined;
}

export interface Choice<T> {
  value: T;
  name: string;
  description?: string;
}

export interface SelectQuestion<T> {
  message: string;
  choices: readonly Choice<T>[];
  default?: T;
}

export interface ConfirmQuestion {
  message: string;
  default?: boolean;
}

export interface Prompter {
  input(question: InputQuestion): Promise<string>;
  select<T>(question: SelectQuestion<T>): Promise<T>;
  confirm(question: ConfirmQuestion): Promise<boolean>;
}

/**
 * Ctrl-C in a prompt: inquirer rejects with ExitPromptError (or AbortPromptError when its signal
 * fires). Matched by name, so the CLI does not depend on @inquirer/core's class identity.
 */
export function isPromptExit(err: unknown): boolean {
  return err instanceof Error && (err.name === 'ExitPromptError' || err.name === 'AbortPromptError');
}
