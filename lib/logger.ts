import pino, { type Logger } from 'pino';
import type { Config } from './config';

export type { Logger };

/** pino, pretty on a terminal and JSON otherwise (LOG_FORMAT overrides). */
export function createLogger(config: Pick<Config, 'log'>, name = 'mspflow'): Logger {
  const pretty = config.log.format === 'pretty' || (config.log.format === 'auto' && process.stdout.isTTY === true);
  return pino({
    name,
    level: config.log.level,
    redact: { paths: ['req.headers.authorization', '*.password', '*.token', '*.apiKey'], censor: '[redacted]' },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  });
}
