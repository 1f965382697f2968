import pino from 'pino'

const store = globalThis as unknown as { __switchboardLogger?: pino.Logger }

/** One JSON line per event. Secrets are redacted by path as a second line of defence. */
export function logger(): pino.Logger {
  store.__switchboardLogger ??= pino({
    level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
    base: undefined,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'cookie', '*.cookie', 'headers.cookie', 'secret'],
      censor: '[redacted]',
    },
  })
  return store.__switchboardLogger
}

/** Paths that carry a secret token in a segment are logged with the token masked. */
export function loggablePath(path: string) {
  return path.replace(/^\/(invite|support\/t)\/[^/?]+/, '/$1/[token]')
}
