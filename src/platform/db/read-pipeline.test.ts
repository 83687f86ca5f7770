import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { testEngine } from '../../../test/engine.js';
import { createReadPipeline } from './read-pipeline.js';

describe.runIf(testEngine === 'postgres')('the read pipeline once closed', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createMigratedDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('fails a read after close with a clear error, rather than open a connection nothing would close', async () => {
    const pipeline = createReadPipeline({ connectionString: database.url! }, 2);
    const [answer] = await pipeline.lane().run([{ text: 'select 1 as one', values: [] }]);
    expect(answer!.rows).toEqual([{ one: 1 }]);
    await pipeline.close();

    await expect(pipeline.lane().run([{ text: 'select 1 as one', values: [] }])).rejects.toThrow('the read pipeline is closed');
  });
});
