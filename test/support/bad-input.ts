/**
 * A value the types forbid, passed on purpose to check that the code rejects it at run time (a job
 * file, a config or an argument as a JavaScript caller or a hand-written JSON file could give it).
 * The type it stands in for comes from where it is used: `c.container = badInput({})`.
 */
export const badInput = <T>(value: unknown): T => value as T;
