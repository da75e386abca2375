/**
 * Three kinds of failure, each with one meaning everywhere:
 * - UserError: the request or the data is wrong; retrying the same thing cannot help.
 *   HTTP 4xx; in Temporal a non-retryable ApplicationFailure.
 * - OperationalError: a dependency is down or slow; retrying later can help.
 *   HTTP 503; in Temporal a retryable ApplicationFailure.
 * - anything else is unexpected (a bug): HTTP 500 without details; Temporal retries it
 *   (the default), so a fix deployed to the worker lets the activity complete.
 */
export type ErrorKind = 'user' | 'operational' | 'unexpected';

export class UserError extends Error {
  readonly kind = 'user' as const;
  /** HTTP status for this user error: 400 unless a subclass says otherwise. */
  readonly status: number = 400;
  constructor(
    message: string,
    readonly code = 'BAD_REQUEST',
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends UserError {
  constructor(message: string, details?: unknown) {
    super(message, 'VALIDATION_FAILED', details);
  }
}

export class UnauthorizedError extends UserError {
  override readonly status = 401;
  constructor(message = 'A valid API token is required (Authorization: Bearer <token>)') {
    super(message, 'UNAUTHORIZED');
  }
}

export class ForbiddenError extends UserError {
  override readonly status = 403;
  constructor(message: string) {
    super(message, 'FORBIDDEN');
  }
}

export class NotFoundError extends UserError {
  override readonly status = 404;
  constructor(what: string) {
    super(`${what} not found`, 'NOT_FOUND');
  }
}

export class ConflictError extends UserError {
  override readonly status = 409;
  constructor(message: string, details?: unknown) {
    super(message, 'CONFLICT', details);
  }
}

export class OperationalError extends Error {
  readonly kind = 'operational' as const;
  constructor(
    message: string,
    /** The dependency that failed, e.g. 'postgresql' or 'temporal'. */
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OperationalError';
  }
}

export function errorKind(err: unknown): ErrorKind {
  if (err instanceof UserError) return 'user';
  if (err instanceof OperationalError) return 'operational';
  return 'unexpected';
}

export interface HttpErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: unknown;
}

/** The single mapping from an error to an HTTP response. */
export function toHttpError(err: unknown): HttpErrorBody {
  if (err instanceof UserError) {
    return { statusCode: err.status, error: err.code, message: err.message, details: err.details };
  }
  if (err instanceof OperationalError) {
    return { statusCode: 503, error: 'DEPENDENCY_UNAVAILABLE', message: err.message };
  }
  return { statusCode: 500, error: 'INTERNAL', message: 'Unexpected error; it has been logged' };
}
