/**
 * How hard the fault scenarios push: `npm test` runs them small (CI-sized), `npm run test:faults`
 * sets FAULT_SCALE=full for the load the reliability report states.
 */
export const FULL = process.env.FAULT_SCALE === 'full';
export const STREAM_RATE_PER_S = FULL ? 200 : 60;
export const STREAM_SECONDS = FULL ? 20 : 6;
export const PAIRS = FULL ? 10 : 4;
export const LOAD = `${STREAM_RATE_PER_S} msg/s for ${STREAM_SECONDS} s over ${PAIRS} conversations`;
