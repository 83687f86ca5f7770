import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from '../../../test/database.js';
import { tablesOfTopics, topicOf, topics, topicTables } from './topics.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createMigratedDatabase();
});
afterAll(async () => {
  await database?.drop();
});

describe('stream topics', () => {
  it('cover every captured table, each in one topic, so no captured change is left unstreamable', async () => {
    const { rows } = await database.db.query<{ table_name: string }>('select table_name from change_capture_tables() order by 1');
    const streamed = Object.values(topicTables).flat();
    expect([...streamed].sort()).toEqual(rows.map((row) => row.table_name));
    expect(new Set(streamed).size).toBe(streamed.length);
    for (const table of streamed) expect(topicTables[topicOf(table)!]).toContain(table);
  });

  it('reads a topics list into tables, all topics when empty, and names unknown ones', () => {
    expect([...tablesOfTopics('rosters, sessions')].sort()).toEqual(['rosters', 'student_roster_members', 'training_sessions']);
    expect(tablesOfTopics(undefined).size).toBe(Object.values(topicTables).flat().length);
    expect(tablesOfTopics('').size).toBe(tablesOfTopics(topics.join(',')).size);
    expect(() => tablesOfTopics('sessions,weather')).toThrow(/unknown topic\(s\) weather/);
  });
});
