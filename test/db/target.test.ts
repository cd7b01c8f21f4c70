/**
 * A tenants.yaml database as tm reaches it (src/db/target.ts): a server from
 * the variable tenants.yaml names, or, with the variable unset, the project's
 * embedded database, which apply and plan use one connection at a time.
 */
import { expect } from 'chai';
import os from 'node:os';
import type { DatabaseConfig } from '../../src/config/tenants.js';
import { databaseTarget, resolveDatabaseUrl } from '../../src/db/target.js';
import { TmError } from '../../src/errors.js';

describe('database targets', () => {
  const db: DatabaseConfig = { name: 'main', urlEnv: 'MAIN_DATABASE_URL', tenants: [], discover: [], extensionSchema: 'public' };
  const projectDir = os.tmpdir();

  it('come from the environment', () => {
    expect(resolveDatabaseUrl(db, { MAIN_DATABASE_URL: 'postgresql://localhost/app' })).to.equal('postgresql://localhost/app');
    const target = databaseTarget(db, { projectDir, env: { MAIN_DATABASE_URL: 'postgresql://localhost/app' } });
    expect(target).to.include({ url: 'postgresql://localhost/app', kind: 'server' });
    expect(target.capabilities).to.deep.equal({ concurrentSessions: true, sharedSnapshotReads: true, quickPath: true });
  });

  it('give a clear error naming the variable and the database when unset', () => {
    expect(() => resolveDatabaseUrl(db, {})).to.throw(TmError, 'environment variable MAIN_DATABASE_URL is not set (database "main"');
    expect(() => resolveDatabaseUrl(db, { MAIN_DATABASE_URL: '' })).to.throw(TmError, 'environment variable MAIN_DATABASE_URL is set but empty (database "main"');
  });

  it('are the embedded database when the variable is not set at all, one session at a time; not when it is empty or TM_EMBEDDED=0', () => {
    const target = databaseTarget(db, { projectDir, env: {} });
    expect(target.kind).to.equal('embedded');
    expect(target.capabilities).to.deep.equal({ concurrentSessions: false, sharedSnapshotReads: false, quickPath: false });
    expect(databaseTarget(db, { projectDir, env: {} }).url, 'the same database, the same URL').to.equal(target.url);
    expect(() => databaseTarget(db, { projectDir, env: { MAIN_DATABASE_URL: '' } })).to.throw(TmError, 'MAIN_DATABASE_URL is set but empty');
    expect(() => databaseTarget(db, { projectDir, env: { TM_EMBEDDED: '0' } })).to.throw(TmError, 'MAIN_DATABASE_URL is not set (database "main"');
  });
});
