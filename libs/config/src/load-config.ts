import type { z } from 'zod';

/** Thrown at start when the environment does not satisfy an app's schema; lists every problem at once. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * Validates the environment against an app's schema. Empty strings count as unset, so
 * `FOO=` in a compose file falls back to the default instead of failing as a bad value.
 */
export function loadConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: NodeJS.ProcessEnv = process.env,
): z.output<Schema> {
  const present: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') present[key] = value;
  }
  const result = schema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        const value = typeof issue.path[0] === 'string' ? present[issue.path[0]] : undefined;
        const shown = value === undefined ? 'unset' : isSecretName(name) ? 'set (hidden)' : JSON.stringify(value);
        return `${name}: ${issue.message} (${shown})`;
      }),
    );
  }
  return result.data;
}

function isSecretName(name: string): boolean {
  return /SECRET|PASSWORD|PRIVATE|KEY|TOKEN|URL/.test(name);
}
