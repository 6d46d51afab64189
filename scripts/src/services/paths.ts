import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root (scripts/dist/services/.. /.. /..). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** Runtime files of local services this repository started: logs, data directories. */
export const RUN_DIR = join(REPO_ROOT, '.run');

/** Built tools shared by every checkout on this machine (the FerretDB binary). */
export const TOOL_CACHE_DIR = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'chat-pipeline');
