/** JSON Schemas shared by routes; the OpenAPI document is generated from these. */

export const errorResponse = {
  $id: 'ErrorResponse',
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    message: { type: 'string' },
    details: {},
  },
} as const;

export const errorRef = { $ref: 'ErrorResponse#' } as const;

/** The error responses every authenticated route can give. */
export const authErrors = { 401: errorRef, 403: errorRef } as const;

export const uuid = { type: 'string', format: 'uuid' } as const;
export const priority = { type: 'string', enum: ['P1', 'P2', 'P3', 'P4'] } as const;
export const dateTime = { type: 'string', format: 'date-time' } as const;
export const nullable = <T extends object>(schema: T) => ({ anyOf: [schema, { type: 'null' }] }) as const;
