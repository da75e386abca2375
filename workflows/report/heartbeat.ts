/**
 * The report activities' liveness contract, shared by the workflow (which sets the timeout) and
 * the activities (which beat). A worker killed during a report step stops beating, so Temporal
 * gives up on that attempt after HEARTBEAT_TIMEOUT_MS and retries it on another worker, instead
 * of waiting for the step's whole start-to-close timeout.
 *
 * The worker forwards beats to the server at most every 0.8 x the timeout (SDK throttling), so
 * the local interval only needs to be well under that; the timeout leaves room for a busy
 * event loop without declaring a live worker dead.
 */
export const REPORT_HEARTBEAT_TIMEOUT_MS = 30_000;
export const REPORT_HEARTBEAT_INTERVAL_MS = 5_000;
