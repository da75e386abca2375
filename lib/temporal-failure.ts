import { ApplicationFailure } from '@temporalio/common';
import { errorKind } from './errors';

/**
 * The single mapping from an error to a Temporal failure, used by every activity: user errors
 * must not be retried (same input, same outcome); operational and unexpected ones are.
 */
export function toTemporalFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  switch (errorKind(err)) {
    case 'user':
      return ApplicationFailure.create({
        message: e.message,
        type: e.name,
        nonRetryable: true,
        details: [{ code: (err as { code?: string }).code }],
      });
    case 'operational':
      return ApplicationFailure.create({ message: e.message, type: 'OperationalError', nonRetryable: false, cause: e });
    default:
      return ApplicationFailure.create({ message: e.message, type: e.name || 'Error', nonRetryable: false, cause: e });
  }
}

/** Wraps each activity so whatever it throws reaches Temporal through toTemporalFailure. */
export function withFailureMapping<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw toTemporalFailure(err);
      }
    };
  }
  return wrapped as T;
}
