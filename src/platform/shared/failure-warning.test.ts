import { describe, expect, it } from 'vitest';
import { createFailureWarning } from './failure-warning.js';
import { createLogger } from './logger.js';

describe('a warning for a failure every request meets', () => {
  it('is logged when the failure begins, and again only after a success and a new failure', () => {
    const lines: Array<{ msg: string; err?: { message: string } }> = [];
    const warning = createFailureWarning(createLogger({ logLevel: 'warn', logFormat: 'json' }, { write: (line: string) => void lines.push(JSON.parse(line)) }), 'it could not start');
    for (let attempt = 1; attempt <= 3; attempt += 1) warning.failed(new Error(`attempt ${attempt}`));
    expect(lines.map((line) => [line.msg, line.err?.message])).toEqual([['it could not start', 'attempt 1']]);
    warning.recovered();
    warning.recovered();
    warning.failed(new Error('down again'));
    warning.failed(new Error('still down'));
    expect(lines.map((line) => line.err?.message)).toEqual(['attempt 1', 'down again']);
  });
});
