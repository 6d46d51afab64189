import type { Logger } from '@chat/logger';
import closeWithGrace from 'close-with-grace';

/** What a started app hands back: its logger and how to stop it cleanly. */
export interface RunningApp {
  logger: Logger;
  /** Stops taking work, finishes or returns what is in flight, closes connections. */
  stop(): Promise<void>;
}

/** Longest a graceful stop may take before the process exits anyway. */
export const SHUTDOWN_TIMEOUT_MS = 15_000;

/**
 * Starts an app and owns its process lifecycle: SIGTERM/SIGINT stop it gracefully; an
 * uncaught error stops it and exits non-zero so a supervisor restarts it. A failure to
 * start (bad config, unreachable dependency) is printed plainly and exits 1.
 */
export function runApp(appName: string, start: () => Promise<RunningApp>): void {
  start().then(
    (app) => {
      closeWithGrace(
        {
          delay: SHUTDOWN_TIMEOUT_MS,
          logger: { error: (message: unknown) => app.logger.error({ detail: String(message) }, 'shutdown problem') },
        },
        async ({ signal, err }) => {
          if (err) app.logger.fatal({ err }, 'crashed, stopping');
          else app.logger.info({ signal }, 'stopping');
          await app.stop();
          app.logger.info('stopped');
        },
      );
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`${appName}: failed to start: ${message}\n`);
      process.exit(1);
    },
  );
}
