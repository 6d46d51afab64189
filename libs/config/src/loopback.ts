/** The names of this machine that no other host can reach it by (IPv6 without brackets). */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

export function isLoopbackHost(host: string): boolean {
  return (LOOPBACK_HOSTS as readonly string[]).includes(host);
}

/** A loopback name as a `Host` header carries it: an IPv6 address in brackets. */
export function hostHeaderName(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
