// One logger for every process. JSON lines by default (for log shippers);
// LOG_FORMAT=pretty gives short human lines, which the launcher asks for.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(value: string): value is LogLevel {
  return value in rank;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'json' | 'pretty';
  write?: (line: string) => void;
}

export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  const envLevel = process.env.LOG_LEVEL ?? 'info';
  const level = options.level ?? (isLogLevel(envLevel) ? envLevel : 'info');
  const format = options.format ?? (process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json');
  const write = options.write ?? ((line: string) => process.stdout.write(line + '\n'));
  return build({ service: name }, rank[level], format, write);
}

function build(
  bindings: LogFields,
  threshold: number,
  format: 'json' | 'pretty',
  write: (line: string) => void,
): Logger {
  const log = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields) => {
    if (rank[level] < threshold) return;
    const all = { ...bindings, ...fields };
    write(format === 'json' ? jsonLine(level, message, all) : prettyLine(level, message, all));
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (more) => build({ ...bindings, ...more }, threshold, format, write),
  };
}

function jsonLine(level: string, msg: string, fields: LogFields): string {
  return JSON.stringify({ level, time: new Date().toISOString(), msg, ...serialiseErrors(fields) });
}

function prettyLine(level: string, msg: string, fields: LogFields): string {
  const { service, ...rest } = serialiseErrors(fields);
  const extras = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const time = new Date().toISOString().slice(11, 19);
  return `${time} ${level.padEnd(5)} [${String(service)}] ${msg}${extras ? ' ' + extras : ''}`;
}

function serialiseErrors(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? { message: value.message, stack: value.stack } : value;
  }
  return out;
}
