import type { People, SeedContext } from './seed.people.generator.js';
import { utcTimestamp } from './seed.calendar.js';
import { Random, seededFaker } from './seed.random.js';
import { type Row, textArray } from './seed.tables.js';

/** Who takes a course: the public (students without accounts) or instructors in training (accounts). */
export type Audience = 'public' | 'learners';

export interface CourseInfo {
  id: string;
  code: string;
  title: string;
  audience: Audience;
  certifies: boolean;
  validityMonths: number | null;
  durationMinutes: number;
  published: boolean;
}

export interface Catalogue {
  courses: Row<'courses'>[];
  courseVersions: Row<'course_versions'>[];
  /** The published courses, which are the only ones sessions are given for. */
  offered: CourseInfo[];
  templates: Row<'certificate_templates'>[];
  defaultTemplateId: string;
  /** Per provider index: its own certificate template. */
  providerTemplateIds: string[];
  requirements: Row<'compliance_requirements'>[];
}

const topics = [
  { code: 'FA', title: 'First Aid', audience: 'public', certifies: true, validity: 36, minutes: 480 },
  { code: 'CPR', title: 'CPR and AED', audience: 'public', certifies: true, validity: 24, minutes: 240 },
  { code: 'BLS', title: 'Basic Life Support', audience: 'public', certifies: true, validity: 24, minutes: 300 },
  { code: 'PFA', title: 'Paediatric First Aid', audience: 'public', certifies: true, validity: 36, minutes: 360 },
  { code: 'MHFA', title: 'Mental Health First Aid', audience: 'public', certifies: true, validity: 36, minutes: 420 },
  { code: 'WFA', title: 'Wilderness First Aid', audience: 'public', certifies: true, validity: 24, minutes: 480 },
  { code: 'FIRE', title: 'Fire Safety Awareness', audience: 'public', certifies: false, validity: null, minutes: 120 },
  { code: 'MH', title: 'Manual Handling', audience: 'public', certifies: false, validity: null, minutes: 180 },
  // A quarterly skills check: its certificates are the ones that expire within the year of sessions.
  { code: 'AED', title: 'AED Refresher', audience: 'public', certifies: true, validity: 3, minutes: 90 },
  { code: 'WS', title: 'Water Safety', audience: 'public', certifies: true, validity: 12, minutes: 240 },
  { code: 'INST', title: 'Instructor Foundations', audience: 'learners', certifies: true, validity: null, minutes: 480 },
  { code: 'INSU', title: 'Instructor Update', audience: 'learners', certifies: true, validity: 24, minutes: 240 },
  { code: 'ASSR', title: 'Assessor Skills', audience: 'learners', certifies: false, validity: null, minutes: 360 },
] as const;
const editions = [
  '', 'Refresher', 'Advanced', 'Essentials', 'Workplace', 'Community', 'Blended', 'Level 2', 'Level 3', 'Intensive',
  'for Educators', 'for Healthcare', 'for Sport', 'Weekend',
];
const modules = ['Scene safety', 'Primary survey', 'Practical skills', 'Scenarios', 'Written assessment', 'Practical assessment', 'Case studies', 'Review'];

export function generateCatalogue(ctx: SeedContext, people: People): Catalogue {
  const { today } = ctx;
  const random = Random.of(ctx.seed, 'catalogue');
  const faker = seededFaker(ctx.seed, 'catalogue', new Date(utcTimestamp(today)));
  const admins = people.administrators;
  const courses: Row<'courses'>[] = [];
  const courseVersions: Row<'course_versions'>[] = [];
  const offered: CourseInfo[] = [];

  for (let i = 0; i < ctx.plan.courses; i++) {
    const topic = topics[i % topics.length] as (typeof topics)[number];
    const edition = editions[Math.floor(i / topics.length) % editions.length] as string;
    const round = Math.floor(i / (topics.length * editions.length));
    const refresher = edition === 'Refresher';
    const code = `${topic.code}-${101 + Math.floor(i / topics.length)}`;
    const title = `${topic.title}${edition ? ` ${edition.startsWith('for') ? edition : `(${edition})`}` : ''}${round > 0 ? ` ${round + 1}` : ''}`;
    const minutes = refresher ? Math.max(60, topic.minutes / 2) : topic.minutes;
    // One course in ten is a draft and one an archived offer; the rest are published.
    const status = i % 10 === 8 ? 'DRAFT' : i % 10 === 9 ? 'ARCHIVED' : 'PUBLISHED';
    const description = faker.lorem.paragraph({ min: 2, max: 4 });
    const createdDay = today - random.int(400, 1500);
    const created = utcTimestamp(createdDay, random.int(480, 1020));
    const id = random.uuid();
    const publications = status === 'DRAFT' ? 0 : random.int(1, 3);
    let lastPublished: string | null = null;
    let day = createdDay;
    for (let n = 1; n <= publications; n++) {
      day += random.int(5, Math.max(6, Math.floor((today - 200 - day) / publications)));
      lastPublished = utcTimestamp(day, random.int(480, 1020));
      const snapshot = {
        code, title, description, durationMinutes: minutes, certifies: topic.certifies,
        certificateValidityMonths: topic.validity, outline: random.sample(modules.length, 4).sort((a, b) => a - b).map((m) => modules[m]),
      };
      courseVersions.push({
        id: random.uuid(), course_id: id, version_number: n, snapshot: JSON.stringify(snapshot), published_at: lastPublished,
        published_by: random.pick(admins), created_at: lastPublished,
      });
    }
    const author = random.pick(admins);
    courses.push({
      id, code, title, description, duration_minutes: minutes, certifies: topic.certifies, certificate_validity_months: topic.validity,
      status, published_at: lastPublished, published_version: publications > 0 ? publications : null, created_by: author,
      modified_by: random.pick(admins), created_at: created, updated_at: lastPublished ?? created,
      // Each publication updated the row once (and the archiving once more).
      version: 1 + publications + (status === 'ARCHIVED' ? 1 : 0),
    });
    if (status === 'PUBLISHED') {
      offered.push({
        id, code, title, audience: topic.audience, certifies: topic.certifies, validityMonths: topic.validity,
        durationMinutes: minutes, published: true,
      });
    }
  }

  const templates = generateTemplates(ctx, people, random);
  const byCode = (prefix: string) => offered.find((c) => c.code.startsWith(`${prefix}-`))?.id ?? null;
  const requirement = (
    code: string, name: string, roles: string[], tier: 'basic' | 'robust', validity: number | null, weight: number,
    courseId: string | null, status = 'ACTIVE',
  ): Row<'compliance_requirements'> => {
    const created = utcTimestamp(today - random.int(500, 1400), random.int(480, 1020));
    return {
      id: random.uuid(), code, name, description: faker.lorem.sentence(), applies_to_roles: textArray(roles), tier,
      validity_months: validity, weight, course_id: courseId, status, created_at: created, updated_at: created,
    };
  };
  const requirements = [
    requirement('CODE-OF-CONDUCT', 'Code of conduct signed', ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'], 'basic', null, 1, null),
    requirement('BACKGROUND-CHECK', 'Background check', ['AP', 'IC', 'IP', 'IT', 'IN'], 'basic', 36, 2, null),
    requirement('FIRST-AID-CURRENT', 'Current first aid certificate', ['IC', 'IP', 'IT', 'IN'], 'basic', 36, 3, byCode('FA')),
    requirement('INSTRUCTOR-FOUNDATIONS', 'Instructor foundations completed', ['IT', 'IN'], 'basic', null, 3, byCode('INST')),
    requirement('INSTRUCTOR-UPDATE', 'Instructor update within two years', ['IC', 'IP'], 'basic', 24, 2, byCode('INSU')),
    requirement('SAFEGUARDING', 'Safeguarding training', ['IC', 'IP', 'IT'], 'robust', 24, 2, null),
    requirement('TEACHING-OBSERVATION', 'Observed teaching session', ['IP', 'IT'], 'robust', 12, 2, null),
    requirement('DATA-PROTECTION', 'Data protection training', ['SA', 'AD', 'AP'], 'basic', 12, 1, null),
    requirement('HEALTH-SAFETY-2019', 'Health and safety induction (2019 scheme)', ['IC', 'IP'], 'basic', 12, 1, null, 'RETIRED'),
  ];
  return { courses, courseVersions, offered, ...templates, requirements };
}

function generateTemplates(ctx: SeedContext, people: People, random: Random) {
  const created = (daysAgo: number) => utcTimestamp(ctx.today - daysAgo, 600);
  const admin = people.administrators[0] ?? null;
  const layout = (style: string) =>
    JSON.stringify({ page: 'A4-landscape', style, fields: ['recipientName', 'courseName', 'issueDate', 'expiryDate', 'verificationCode', 'qrCode'] });
  const template = (name: string, version: string, extra: Partial<Row<'certificate_templates'>>): Row<'certificate_templates'> => ({
    id: random.uuid(), name, template_version: version, layout: null, file_url: null, is_default: false, status: 'ACTIVE',
    created_by: admin, created_at: created(900), updated_at: created(900), ...extra,
  });
  const standard = template('Standard certificate', '2', { layout: layout('standard'), is_default: true });
  const templates = [
    template('Standard certificate', '1', { layout: layout('standard'), status: 'ARCHIVED', created_at: created(1400), updated_at: created(900) }),
    standard,
    template('Wallet card', '1', { layout: layout('card'), file_url: 'https://assets.example.com/templates/wallet-card.pdf' }),
  ];
  const providerTemplateIds = people.providers.map((provider, p) => {
    const row = template(`${provider.name} certificate`, '1', {
      file_url: `${provider.website}/certificate-background.pdf`, created_by: people.staffOf[p]?.[0] ?? admin,
    });
    templates.push(row);
    return row.id;
  });
  return { templates, defaultTemplateId: standard.id, providerTemplateIds };
}
