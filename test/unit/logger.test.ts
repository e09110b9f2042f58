import { describe, expect, it } from 'vitest';
import { createLogger, withFields } from '../../src/log/logger.js';
import { LeaseConflictError } from '../../src/lease/errors.js';

const capture = (options: Parameters<typeof createLogger>[0] = {}) => {
  const lines: string[] = [];
  return { lines, logger: createLogger({ now: () => Date.UTC(2026, 11, 1), write: (line) => lines.push(line), ...options }) };
};

describe('logger', () => {
  it('writes text lines with key=value fields, quoting values with spaces', () => {
    const { lines, logger } = capture();
    logger.info('took the lease', { lease: 'default/db', identity: 'pod 1', term: 3 });
    expect(lines).toEqual(['2026-12-01T00:00:00.000Z INFO took the lease lease=default/db identity="pod 1" term=3\n']);
  });

  it('writes one JSON object per line, errors as their kind and message', () => {
    const { lines, logger } = capture({ format: 'json' });
    logger.error('renew failed', { error: new LeaseConflictError('stale', { lease: 'default/db' }) });
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2026-12-01T00:00:00.000Z',
      level: 'error',
      msg: 'renew failed',
      error: 'Conflict: stale (lease default/db)',
    });
  });

  it('drops entries below its level', () => {
    const { lines, logger } = capture({ level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('WARN w');
  });

  it('adds bound fields to every entry', () => {
    const { lines, logger } = capture({ format: 'json' });
    withFields(logger, { lease: 'ns/l', identity: 'a' }).warn('x', { term: 2 });
    expect(JSON.parse(lines[0]!)).toMatchObject({ lease: 'ns/l', identity: 'a', term: 2 });
  });
});
