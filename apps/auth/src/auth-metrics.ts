import { Counter, type Registry } from 'prom-client';

/** What the auth service counts; scraped at GET /metrics. */
export function authMetrics(registry: Registry) {
  const registers = [registry];
  return {
    registrations: new Counter({ name: 'chat_auth_registrations_total', help: 'Users registered', registers }),
    logins: new Counter({
      name: 'chat_auth_logins_total',
      help: 'Login attempts, by outcome (success, failure, rate_limited)',
      labelNames: ['outcome'],
      registers,
    }),
    refreshes: new Counter({
      name: 'chat_auth_refreshes_total',
      help: 'Refresh-token exchanges, by outcome (success, refused)',
      labelNames: ['outcome'],
      registers,
    }),
  };
}

export type AuthMetrics = ReturnType<typeof authMetrics>;
