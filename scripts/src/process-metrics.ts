/** What an app's `/metrics` says about its process (prom-client's default metrics). */
export interface ProcessMetrics {
  heapUsedBytes: number;
  residentBytes: number;
  eventLoopLagP99Seconds: number;
}

const NAMES = {
  heapUsedBytes: 'nodejs_heap_size_used_bytes',
  residentBytes: 'process_resident_memory_bytes',
  eventLoopLagP99Seconds: 'nodejs_eventloop_lag_p99_seconds',
} as const;

/** Reads one scrape of an app's metrics listener; a metric missing from it is an error, not a zero. */
export async function processMetrics(metricsUrl: string): Promise<ProcessMetrics> {
  const lines = (await (await fetch(`${metricsUrl}/metrics`)).text()).split('\n');
  const value = (name: string) => {
    const line = lines.find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    if (!line) throw new Error(`${metricsUrl}/metrics has no ${name}`);
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return {
    heapUsedBytes: value(NAMES.heapUsedBytes),
    residentBytes: value(NAMES.residentBytes),
    eventLoopLagP99Seconds: value(NAMES.eventLoopLagP99Seconds),
  };
}
