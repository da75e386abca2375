import { notify, type NotifyDeps, type NotifyInput, type NotifyResult } from './notification-service';

export type SendNotificationInput = NotifyInput;

/**
 * Notification activities: thin wrappers over the notification service. `sendNotification` is
 * idempotent on input.dedupeKey (one delivery per route, ever), so Temporal may retry it freely.
 *
 * Suggested activity options for callers: startToCloseTimeout 1 minute (routes are sent in
 * parallel, each bounded by the HTTP timeout, 10 s by default, or the SMTP sender's timeouts);
 * retry with initialInterval 2-5 s, maximumInterval 5 minutes, and a maximumAttempts or
 * scheduleToCloseTimeout that bounds how late a notification is still worth sending. Misconfigured
 * routes fail non-retryably (after createActivities' withFailureMapping).
 */
export function createNotifyActivities(deps: NotifyDeps) {
  return {
    async sendNotification(input: SendNotificationInput): Promise<NotifyResult> {
      return notify(deps, input);
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
