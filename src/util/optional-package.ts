/**
 * Packages only some features of the local scheduler need (better-sqlite3 for --state-dir, tar and
 * yauzl for archive URIs) are optional peer dependencies: `npm install aurora-ts` does not install
 * them, so an SDK user gets no native build (see the README's install section). They load here, on
 * first use, or the caller gets one line saying what to install.
 */
import { createRequire } from 'node:module';
import { AuroraValidationError } from '../errors.js';

const requireHere = createRequire(import.meta.url);

/** `field` names the option that needs the package, e.g. `stateDir`. */
export function optionalPackage<T>(name: string, field: string, neededFor: string): T {
  try {
    return requireHere(name) as T;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' || !(error as Error).message.includes(`'${name}'`)) throw error;
    throw new AuroraValidationError(
      field,
      `${neededFor} needs the optional package ${name}, which is not installed: run \`npm install ${name}\` where aurora-ts is installed (\`npm install -g ${name}\` for a global aurora-ts)`,
      { cause: error },
    );
  }
}
