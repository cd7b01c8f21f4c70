import { expect } from 'chai';
import { loadEnvironment } from '../../src/config/env.js';
import { removeTempProjects, tempProject } from '../support/temp-project.js';

describe('loadEnvironment', () => {
  const NAME = 'TM_ENV_TEST_VARIABLE';
  after(removeTempProjects);
  afterEach(() => delete process.env[NAME]);

  it('reads .env from the project directory', () => {
    const dir = tempProject({ '.env': `# a comment\n${NAME}="postgresql://localhost/from-file"\nOTHER_TM_TEST=1\n` }, { example: false });
    const env = loadEnvironment(dir);
    expect(env[NAME]).to.equal('postgresql://localhost/from-file');
    expect(env.OTHER_TM_TEST).to.equal('1');
    expect(process.env.OTHER_TM_TEST, 'process.env is left alone').to.equal(undefined);
  });

  it('lets the process environment win over .env', () => {
    process.env[NAME] = 'from-process';
    const dir = tempProject({ '.env': `${NAME}=from-file\n` }, { example: false });
    expect(loadEnvironment(dir)[NAME]).to.equal('from-process');
  });

  it('works without a .env file', () => {
    process.env[NAME] = 'only-process';
    expect(loadEnvironment(tempProject({}, { example: false }))[NAME]).to.equal('only-process');
  });
});
