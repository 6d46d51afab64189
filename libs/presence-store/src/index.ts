export {
  type LiveSession,
  type PresenceStatus,
  PresenceStore,
  type PresenceTransition,
  type UserPresence,
} from './presence-store.js';
