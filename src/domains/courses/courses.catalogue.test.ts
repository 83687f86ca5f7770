import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, testAuthSettings } from '../../../test/auth.js';
import { useTestApp } from '../../../test/test-app.js';
import { courseCallers, createCoursesWorld, type CoursesWorld } from '../../../test/world.js';

// The public catalogue through the real API: readable signed out, the same for every caller, and
// made of published snapshots only.
const context = useTestApp();
let world: CoursesWorld;
/** A prefix no other test's courses have, so searches and totals are exact. */
const tag = `K${randomUUID().slice(0, 6)}`;

interface CatalogueEntry {
  id: string;
  code: string;
  title: string;
  version: number;
  [field: string]: unknown;
}
interface CataloguePage {
  items: CatalogueEntry[];
  next_cursor: string | null;
  total: number;
}

beforeAll(async () => {
  world = await createCoursesWorld(context.db, () => context.app);
});

const catalogue = async (query = '', caller: (typeof courseCallers)[number] = 'anon') => {
  const response = await world.call(caller, 'GET', `/v1/catalogue${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<CataloguePage>();
};

async function everyPage(query: string): Promise<string[]> {
  const codes: string[] = [];
  let cursor: string | null = null;
  do {
    const page: CataloguePage = await catalogue(`${query}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    codes.push(...page.items.map((item) => item.code));
    cursor = page.next_cursor;
  } while (cursor);
  return codes;
}

describe('GET /v1/catalogue', () => {
  it('lists the published courses only, with their catalogue fields, for anyone signed in or not', async () => {
    const published = await world.transition(
      await world.draft({ code: `${tag}-PUB`, title: `${tag} Published`, description: 'Open to all.', duration_minutes: 240, certifies: true, certificate_validity_months: 24 }),
      'publish',
    );
    await world.draft({ code: `${tag}-DRAFT`, title: `${tag} Draft` });
    await world.transition(await world.transition(await world.draft({ code: `${tag}-ARCH`, title: `${tag} Archived` }), 'publish'), 'archive');
    await world.transition(await world.transition(await world.draft({ code: `${tag}-UNPUB`, title: `${tag} Unpublished` }), 'publish'), 'unpublish');
    for (const caller of courseCallers) {
      const page = await catalogue(`?q=${tag}`, caller);
      expect(page, caller).toEqual({
        items: [{
          id: published.id, code: `${tag}-PUB`, title: `${tag} Published`, description: 'Open to all.', duration_minutes: 240, certifies: true,
          certificate_validity_months: 24, published_at: published['published_at'], version: 1,
        }],
        next_cursor: null,
        total: 1,
      });
    }
  });

  it('stays as published while the working copy changes, and changes when it is published again', async () => {
    const course = await world.transition(await world.draft({ code: `${tag}-EDIT`, title: `${tag} Before` }), 'publish');
    await world.edit(course, { code: `${tag}-RENAMED`, title: `${tag} After`, duration_minutes: 30 });
    const before = await catalogue(`?q=${tag}-EDIT`);
    expect(before.items).toMatchObject([{ code: `${tag}-EDIT`, title: `${tag} Before`, duration_minutes: 240, version: 1 }]);
    expect((await world.call('anon', 'GET', `/v1/catalogue/${tag}-EDIT`)).json()).toMatchObject({ title: `${tag} Before`, version: 1 });
    expect((await world.call('anon', 'GET', `/v1/catalogue/${tag}-RENAMED`)).statusCode).toBe(404);

    await world.transition(course, 'publish');
    expect((await catalogue(`?q=${tag}-EDIT`)).total).toBe(0);
    expect((await world.call('anon', 'GET', `/v1/catalogue/${tag}-RENAMED`)).json()).toMatchObject({ title: `${tag} After`, duration_minutes: 30, version: 2 });
    expect((await world.call('anon', 'GET', `/v1/catalogue/${tag}-EDIT`)).statusCode).toBe(404);
  });

  it('searches title and code in any case, filters on certifies, sorts and pages with cursors', async () => {
    const sub = `${tag}S`;
    const titles = ['Water Safety', 'Wilderness First Aid', 'AED Refresher', 'Manual Handling', 'CPR and AED'];
    for (const [index, title] of titles.entries()) {
      await world.transition(await world.draft({ code: `${sub}-${index}`, title: `${title} ${sub}`, certifies: index % 2 === 0 }), 'publish');
    }
    expect(await everyPage(`?q=${sub.toLowerCase()}`)).toEqual(titles.map((_, index) => `${sub}-${index}`));
    expect(await everyPage(`?q=${sub}&sort=title&direction=desc`)).toEqual([`${sub}-1`, `${sub}-0`, `${sub}-3`, `${sub}-4`, `${sub}-2`]);
    expect(await everyPage(`?q=${sub}&certifies=true`)).toEqual([`${sub}-0`, `${sub}-2`, `${sub}-4`]);
    expect((await catalogue(`?q=${encodeURIComponent(`aed ${sub.toLowerCase()}`)}`)).items.map((item) => item.code)).toEqual([`${sub}-4`]);
    expect((await catalogue(`?q=${sub.toLowerCase()}-3`)).items.map((item) => item.title)).toEqual([`Manual Handling ${sub}`]);
  });

  it('takes % and _ in a search literally', async () => {
    await world.transition(await world.draft({ code: `${tag}-PCT`, title: `${tag} 100% practical` }), 'publish');
    await world.transition(await world.draft({ code: `${tag}-UND`, title: `${tag} 1000 practical` }), 'publish');
    expect((await catalogue(`?q=${encodeURIComponent('100%')}`)).items.map((item) => item.code)).toEqual([`${tag}-PCT`]);
    expect((await catalogue(`?q=${encodeURIComponent(`${tag}_`)}`)).total).toBe(0);
  });

  it('refuses bad queries with the field named', async () => {
    const cases: [string, string][] = [
      ['?q=', 'querystring.q'],
      [`?q=${'x'.repeat(101)}`, 'querystring.q'],
      ['?sort=published_at', 'querystring.sort'],
      ['?direction=up', 'querystring.direction'],
      ['?limit=0', 'querystring.limit'],
      ['?certifies=perhaps', 'querystring.certifies'],
      ['?cursor=abc', 'querystring.cursor'],
      ['?status=DRAFT', 'querystring.status'],
    ];
    for (const [query, field] of cases) {
      const response = await world.call('anon', 'GET', `/v1/catalogue${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toMatchObject({ error: { code: 'VALIDATION_FAILED', details: { field } } });
    }
    // A cursor of one sort order is refused under another.
    const sorted = await catalogue('?sort=code&limit=1');
    if (sorted.next_cursor) {
      expect((await world.call('anon', 'GET', `/v1/catalogue?sort=title&cursor=${sorted.next_cursor}`)).statusCode).toBe(400);
    }
  });
});

describe('GET /v1/catalogue/:code', () => {
  it('reads one published course by code for anyone, and 404 for drafts, archived and unknown codes', async () => {
    const course = await world.transition(await world.draft({ code: `${tag}-ONE`, title: `${tag} One` }), 'publish');
    await world.draft({ code: `${tag}-HIDDEN` });
    await world.transition(await world.transition(await world.draft({ code: `${tag}-GONE` }), 'publish'), 'archive');
    for (const caller of courseCallers) {
      expect((await world.call(caller, 'GET', `/v1/catalogue/${tag}-ONE`)).json(), caller).toMatchObject({ id: course.id, code: `${tag}-ONE`, version: 1 });
      for (const code of [`${tag}-HIDDEN`, `${tag}-GONE`, `${tag}-NONE`]) {
        const response = await world.call(caller, 'GET', `/v1/catalogue/${code}`);
        expect(response.statusCode, `${caller} ${code}`).toBe(404);
        expect(response.json(), `${caller} ${code}`).toMatchObject({ error: { code: 'NOT_FOUND', details: { field: 'params.code' } } });
      }
    }
    expect((await world.call('anon', 'GET', `/v1/catalogue/${encodeURIComponent('has blank')}`)).statusCode).toBe(400);
  });

  it('is rate limited per client and route, as a public route', async () => {
    const limited = await buildTestApp(context.db, { auth: { ...testAuthSettings, publicRateLimitPerMinute: 2 } });
    try {
      for (const url of ['/v1/catalogue', `/v1/catalogue/${tag}-ONE`]) {
        const responses = [];
        for (let i = 0; i < 3; i++) responses.push(await limited.inject({ method: 'GET', url }));
        expect(responses.map((response) => response.statusCode), url).toEqual([200, 200, 429]);
        expect(responses[2]?.json(), url).toMatchObject({ error: { code: 'RATE_LIMITED' } });
        expect(responses[2]?.headers['retry-after'], url).toMatch(/^\d+$/);
      }
    } finally {
      await limited.close();
    }
  });
});
