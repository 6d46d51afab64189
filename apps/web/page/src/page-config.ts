/** What the server tells the page at /config.json: auth and the edges, as this browser reaches them. */
export interface PageConfig {
  authUrl: string;
  edgeUrls: string[];
}

export async function loadPageConfig(search: string): Promise<PageConfig> {
  const response = await fetch('/config.json'); // answered with Cache-Control: no-store
  if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
  const config = (await response.json()) as PageConfig;
  return { authUrl: config.authUrl, edgeUrls: edgeOrder(config.edgeUrls, new URLSearchParams(search).get('edge')) };
}

/**
 * `?edge=N` (counted from 1) starts on edge N and goes on to the others in turn when it fails, so
 * two pages can be put on two edges; without it, the configured order.
 */
export function edgeOrder(edgeUrls: readonly string[], edge: string | null): string[] {
  const start = Number(edge) - 1;
  if (edge === null || !Number.isInteger(start) || start < 0 || start >= edgeUrls.length) return [...edgeUrls];
  return [...edgeUrls.slice(start), ...edgeUrls.slice(0, start)];
}
