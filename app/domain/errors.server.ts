/** Thrown to end a request with a status; the ErrorBoundary renders it kindly. */
export function notFound(message = 'Not found') {
  return new Response(message, { status: 404, statusText: 'Not Found' })
}

export function forbidden(message = 'You do not have permission to do that') {
  return new Response(message, { status: 403, statusText: 'Forbidden' })
}

export function isUniqueViolation(error: unknown, constraint?: string) {
  const e = (error as { cause?: unknown })?.cause ?? error
  const pgError = e as { code?: string; constraint?: string }
  return pgError?.code === '23505' && (!constraint || pgError.constraint === constraint)
}
