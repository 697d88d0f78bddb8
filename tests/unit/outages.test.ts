/**
 * Which errors are outages (503, retry later) and which are bugs (500): the classification behind the
 * fault handling, over the errors pg, Node's sockets, better-sqlite3 and the framework's stores raise.
 */
import { describe, expect, it } from 'vitest';
import { BackendUnavailable, outageOf } from '../../src/outages.ts';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('outageOf', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a killed backend (57P01)', withCode('terminating connection due to administrator command', '57P01')],
    ['a connection failure (08006)', withCode('connection failure', '08006')],
    ['a statement timeout (57014)', withCode('canceling statement due to statement timeout', '57014')],
    ['too many connections (53300)', withCode('sorry, too many clients already', '53300')],
    ['a deadlock (40P01)', withCode('deadlock detected', '40P01')],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    ['pg: pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['SQLite: database is locked', withCode('database is locked', 'SQLITE_BUSY')],
    ['SQLite: disk I/O error', withCode('disk I/O error', 'SQLITE_IOERR_WRITE')],
    ['every address refused', new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'connect failed')],
    ['a wrapped socket error', new Error('query failed', { cause: withCode('read ECONNRESET', 'ECONNRESET') })],
  ])('%s is a database outage', (_name, error) => {
    expect(outageOf(error)).toBe('database');
  });

  it('a store failure names its backend', () => {
    expect(outageOf(new BackendUnavailable('redis', new Error('Command timed out')))).toBe('redis');
  });

  it.each([
    ['a syntax error (42601)', withCode('syntax error at or near "SELEC"', '42601')],
    ['a unique violation (23505)', withCode('duplicate key value violates unique constraint', '23505')],
    ['SQLite: a constraint failure', withCode('UNIQUE constraint failed: auth_user.username', 'SQLITE_CONSTRAINT_UNIQUE')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a thrown string', 'boom'],
    ['null', null],
  ])('%s is not an outage (it is a bug: 500)', (_name, error) => {
    expect(outageOf(error)).toBeNull();
  });
});
