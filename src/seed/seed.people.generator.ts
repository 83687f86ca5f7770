import type { Faker } from '@faker-js/faker';
import { utcTimestamp } from './seed.calendar.js';
import { Random, seededFaker } from './seed.random.js';
import { type Role, roles, type SizePlan } from './seed.sizes.js';
import { type Row, textArray } from './seed.tables.js';

/** Rows whose personal fields are still plain text: the service encrypts them just before loading. */
export type ProviderSeed = Omit<Row<'authorized_providers'>, 'contact_email_ciphertext' | 'contact_phone_ciphertext'> & {
  contact_email: string;
  contact_phone: string;
};
export type UserSeed = Omit<Row<'users'>, 'email_ciphertext' | 'email_hmac'> & { email: string };
export type ProfileSeed = Omit<Row<'profiles'>, 'email_ciphertext' | 'phone_ciphertext'> & { email: string; phone: string | null };
export type StudentSeed = Omit<Row<'student_enrollment_profiles'>, 'email_ciphertext' | 'email_hmac' | 'phone_ciphertext'> & {
  email: string | null;
  phone: string | null;
};

export interface SeedContext {
  seed: number;
  /** The anchor day ("today"), as days since 1970-01-01. */
  today: number;
  plan: SizePlan;
}

/**
 * Who and where. Providers are numbered 0..P-1; "slot" P stands for the organisation itself
 * (sessions, instructors and students that belong to no provider).
 */
export interface People {
  providers: ProviderSeed[];
  locations: Row<'locations'>[];
  providerLocations: Row<'provider_locations'>[];
  users: UserSeed[];
  profiles: ProfileSeed[];
  instructorProfiles: Row<'instructor_profiles'>[];
  providerMembers: Row<'provider_members'>[];
  teams: Row<'teams'>[];
  teamMembers: Row<'team_members'>[];
  students: StudentSeed[];
  /** Per slot: indexes into `locations` where it trains. */
  locationsOf: number[][];
  /** Per slot: indexes into `users` of the active instructors (IC, IP) who teach there. */
  instructorsOf: number[][];
  /** Per slot: ids of the users who administer it (its AP staff; administrators for the organisation). */
  staffOf: string[][];
  /** Per slot: indexes into `students`. */
  studentsOf: number[][];
  /** Indexes into `users` of the accounts that enroll themselves (IP, IT, IN, active). */
  learners: number[];
  administrators: string[];
}

const emailDomains = ['example.com', 'example.org', 'example.net'];
const regions = [
  ['US', 'NY', 'America/New_York'], ['US', 'MA', 'America/New_York'], ['US', 'GA', 'America/New_York'],
  ['US', 'FL', 'America/New_York'], ['US', 'IL', 'America/Chicago'], ['US', 'TX', 'America/Chicago'],
  ['US', 'MN', 'America/Chicago'], ['US', 'CO', 'America/Denver'], ['US', 'AZ', 'America/Phoenix'],
  ['US', 'CA', 'America/Los_Angeles'], ['US', 'WA', 'America/Los_Angeles'], ['CA', 'ON', 'America/Toronto'],
  ['CA', 'BC', 'America/Vancouver'], ['CA', 'QC', 'America/Toronto'],
] as const;
const venueKinds = ['Training Centre', 'Campus', 'Community Hall', 'Fire Station', 'Medical Centre', 'Learning Hub'];
const specialties = [
  'First Aid', 'CPR', 'AED', 'Paediatric First Aid', 'Wilderness First Aid', 'Mental Health First Aid',
  'Workplace Safety', 'Water Safety', 'Fire Safety', 'Manual Handling',
];
const teamNames = ['North', 'South', 'East', 'West', 'Central', 'Weekend', 'Evening', 'Coastal', 'Metro'];
const levelOf: Partial<Record<Role, string>> = { IC: 'CERTIFIED', IP: 'PROVISIONAL', IT: 'TRAINEE', IN: 'NEW' };
const instructorRoles: readonly Role[] = ['IC', 'IP', 'IT', 'IN'];

function slug(text: string): string {
  return text.normalize('NFD').toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Hands out e-mail addresses, unique across users and students, on reserved example domains only. */
class EmailBook {
  private readonly taken = new Set<string>();
  constructor(private readonly random: Random) {}

  take(first: string, last: string): string {
    const f = slug(first) || 'user';
    const l = slug(last) || 'person';
    const local = this.random.weighted([[`${f}.${l}`, 5], [`${f}${l}`, 2], [`${f[0]}.${l}`, 2], [`${f}_${l}`, 1]] as const);
    const domain = this.random.pick(emailDomains);
    for (let n = 0; ; n++) {
      const email = `${local}${n === 0 ? '' : n + 1}@${domain}`;
      if (!this.taken.has(email)) {
        this.taken.add(email);
        return email;
      }
    }
  }
}

function generateOrganisations(ctx: SeedContext, faker: Faker, random: Random) {
  const { plan, today } = ctx;
  const names = new Set<string>();
  const providers: ProviderSeed[] = Array.from({ length: plan.providers }, () => {
    let name = `${faker.company.name()} Training`;
    while (names.has(name)) name = `${faker.company.name()} Training`;
    names.add(name);
    const host = `${slug(name.replace(/ Training$/, ''))}.example.com`;
    const created = utcTimestamp(today - random.int(1200, 2400), random.int(480, 1080));
    return {
      id: random.uuid(), name, description: faker.company.catchPhrase(), contact_email: `training@${host}`,
      contact_phone: faker.phone.number({ style: 'international' }), website: `https://www.${host}`, status: 'ACTIVE',
      created_at: created, updated_at: created,
    };
  });
  const locations: Row<'locations'>[] = Array.from({ length: plan.locations }, () => {
    const [country, region, timezone] = random.pick(regions);
    const city = faker.location.city();
    const created = utcTimestamp(today - random.int(900, 2000), random.int(480, 1080));
    return {
      id: random.uuid(), name: `${city} ${random.pick(venueKinds)}`, address_line1: faker.location.streetAddress(),
      address_line2: random.chance(0.3) ? faker.location.secondaryAddress() : null, city, region,
      postal_code: country === 'US' ? faker.location.zipCode('#####') : faker.location.zipCode('?#? #?#').toUpperCase(),
      country, timezone, status: 'ACTIVE', created_at: created, updated_at: created,
    };
  });
  // Locations are shared out in turn; one in five is also used by a second provider.
  const slots = plan.providers + 1;
  const locationsOf: number[][] = Array.from({ length: slots }, () => []);
  const providerLocations: Row<'provider_locations'>[] = [];
  const link = (p: number, l: number) => {
    locationsOf[p]?.push(l);
    const provider = providers[p] as ProviderSeed;
    const location = locations[l] as Row<'locations'>;
    const created = provider.created_at > location.created_at ? provider.created_at : location.created_at;
    providerLocations.push({ id: random.uuid(), provider_id: provider.id, location_id: location.id, created_at: created });
  };
  locations.forEach((_, l) => {
    const p = l % plan.providers;
    link(p, l);
    if (plan.providers > 1 && random.chance(0.2)) link((p + random.int(1, plan.providers - 1)) % plan.providers, l);
  });
  // The organisation runs sessions anywhere.
  locationsOf[plan.providers] = locations.map((_, l) => l);
  return { providers, locations, providerLocations, locationsOf };
}

export function generatePeople(ctx: SeedContext): People {
  const { plan, today } = ctx;
  const random = Random.of(ctx.seed, 'people');
  const faker = seededFaker(ctx.seed, 'people', new Date(utcTimestamp(today)));
  const emails = new EmailBook(Random.of(ctx.seed, 'emails'));
  const { providers, locations, providerLocations, locationsOf } = generateOrganisations(ctx, faker, random);
  const slots = plan.providers + 1;
  const org = plan.providers;

  const users: UserSeed[] = [];
  const names: { first: string; last: string }[] = [];
  const slotOf: number[] = [];
  for (const role of roles) {
    for (let k = 0; k < plan.users[role]; k++) {
      const first = faker.person.firstName();
      const last = faker.person.lastName();
      const created = utcTimestamp(today - random.int(200, 1500), random.int(420, 1140));
      const inactive = role === 'IN' && random.chance(0.03);
      users.push({
        id: random.uuid(), email: emails.take(first, last), role, status: inactive ? 'INACTIVE' : 'ACTIVE',
        last_login_at: null, created_at: created, updated_at: created,
      });
      names.push({ first, last });
      slotOf.push(role === 'AP' ? k % plan.providers : role === 'SA' || role === 'AD' ? org : random.chance(0.8) ? random.int(0, org - 1) : org);
    }
  }
  const indexesOf = (role: Role) => users.flatMap((u, i) => (u.role === role ? [i] : []));
  const administrators = indexesOf('AD').map((i) => (users[i] as UserSeed).id);
  const certified = indexesOf('IC');
  const staffOf: string[][] = Array.from({ length: slots }, (_, s) =>
    s === org ? administrators : indexesOf('AP').filter((i) => slotOf[i] === s).map((i) => (users[i] as UserSeed).id),
  );
  const instructorsOf: number[][] = Array.from({ length: slots }, (_, s) =>
    users.flatMap((u, i) => ((u.role === 'IC' || u.role === 'IP') && slotOf[i] === s ? [i] : [])),
  );
  // A provider without instructors of its own borrows the organisation's (or anyone's).
  const allInstructors = [...certified, ...indexesOf('IP')];
  for (let s = 0; s < slots; s++) if (instructorsOf[s]?.length === 0) instructorsOf[s] = allInstructors;

  const supervisorOf = (role: Role, slot: number): string | null => {
    const pickFrom = (ids: number[]) => (ids.length > 0 ? (users[random.pick(ids)] as UserSeed).id : null);
    if (role === 'IT' || role === 'IN' || role === 'IP') {
      const local = certified.filter((i) => slotOf[i] === slot);
      return pickFrom(local.length > 0 ? local : certified);
    }
    if (role === 'AP') return pickFrom(indexesOf('AD'));
    if (role === 'AD') return pickFrom(indexesOf('SA'));
    return null;
  };
  const departmentOf = (role: Role) =>
    role === 'SA' || role === 'AD' ? 'Administration' : role === 'AP' ? random.pick(['Operations', 'Training Delivery', 'Customer Service'])
      : role === 'IC' || role === 'IP' ? 'Instruction' : 'Instructor Development';

  const profiles: ProfileSeed[] = users.map((user, i) => {
    const { first, last } = names[i] as { first: string; last: string };
    const role = user.role as Role;
    const slot = slotOf[i] as number;
    const robust = (role === 'IC' || role === 'IP') ? random.chance(0.5) : role === 'IT' ? random.chance(0.3) : false;
    return {
      id: random.uuid(), user_id: user.id, first_name: first, last_name: last,
      display_name: random.chance(0.7) ? `${first} ${last}` : null, phone: random.chance(0.75) ? faker.phone.number({ style: 'international' }) : null,
      email: user.email, organization: slot === org ? 'Unitrain Training Network' : (providers[slot] as ProviderSeed).name,
      department: departmentOf(role), supervisor_id: supervisorOf(role, slot), compliance_tier: robust ? 'robust' : 'basic',
      compliance_score: 0, compliance_status: 'PENDING', role, status: user.status, created_at: user.created_at,
      updated_at: user.created_at, version: 1,
    };
  });

  const instructorProfiles: Row<'instructor_profiles'>[] = [];
  const providerMembers: Row<'provider_members'>[] = [];
  const seenAdmin = new Set<number>();
  users.forEach((user, i) => {
    const role = user.role as Role;
    const slot = slotOf[i] as number;
    const provider = slot === org ? null : (providers[slot] as ProviderSeed);
    const { first, last } = names[i] as { first: string; last: string };
    if (instructorRoles.includes(role)) {
      const status = role === 'IN' ? 'PENDING' : role === 'IT' && random.chance(0.4) ? 'PENDING' : 'ACTIVE';
      instructorProfiles.push({
        id: random.uuid(), user_id: user.id, display_name: `${first} ${last}`, bio: random.chance(0.6) ? faker.person.bio() : null,
        specialties: textArray(random.sample(specialties.length, random.int(1, 3)).sort((a, b) => a - b).map((s) => specialties[s] as string)),
        certification_level: levelOf[role] as string, certification_status: status, provider_id: provider?.id ?? null,
        created_at: user.created_at, updated_at: user.created_at,
      });
    }
    if (provider && (role === 'AP' || instructorRoles.includes(role))) {
      const memberRole = role !== 'AP' ? 'INSTRUCTOR' : seenAdmin.has(slot) ? 'STAFF' : 'ADMIN';
      if (role === 'AP') seenAdmin.add(slot);
      providerMembers.push({
        id: random.uuid(), provider_id: provider.id, user_id: user.id, member_role: memberRole,
        created_at: user.created_at, updated_at: user.created_at,
      });
    }
  });

  const teams: Row<'teams'>[] = [];
  const teamMembers: Row<'team_members'>[] = [];
  for (let s = 0; s < slots; s++) {
    const count = s === org ? 1 : plan.teamsPerProvider;
    const lead = certified.filter((i) => slotOf[i] === s);
    const slotTeams = random.sample(teamNames.length, count).map((n) => {
      const created = utcTimestamp(today - random.int(150, 900), random.int(480, 1020));
      return {
        id: random.uuid(), name: s === org ? 'Head Office Faculty' : `${teamNames[n]} Instructors`,
        description: random.chance(0.5) ? faker.company.buzzPhrase() : null, provider_id: s === org ? null : (providers[s] as ProviderSeed).id,
        lead_id: lead.length > 0 ? (users[random.pick(lead)] as UserSeed).id : null, status: 'ACTIVE',
        created_by: staffOf[s]?.[0] ?? administrators[0] ?? null, created_at: created, updated_at: created,
      };
    });
    teams.push(...slotTeams);
    users.forEach((user, i) => {
      if (slotOf[i] !== s || !instructorRoles.includes(user.role as Role) || slotTeams.length === 0) return;
      const team = slotTeams[i % slotTeams.length] as Row<'teams'>;
      const created = team.created_at > user.created_at ? team.created_at : user.created_at;
      teamMembers.push({ id: random.uuid(), team_id: team.id, user_id: user.id, created_at: created });
    });
  }

  const studentRandom = Random.of(ctx.seed, 'students');
  const studentFaker = seededFaker(ctx.seed, 'students', new Date(utcTimestamp(today)));
  const studentsOf: number[][] = Array.from({ length: slots }, () => []);
  const students: StudentSeed[] = Array.from({ length: plan.studentProfiles }, (_, i) => {
    const slot = studentRandom.chance(0.88) ? studentRandom.int(0, org - 1) : org;
    studentsOf[slot]?.push(i);
    const first = studentFaker.person.firstName();
    const last = studentFaker.person.lastName();
    // Created before the window of sessions opens, so before any of their enrollments.
    const created = utcTimestamp(today - studentRandom.int(190, 900), studentRandom.int(420, 1140));
    return {
      id: studentRandom.uuid(), first_name: first, last_name: last, email: studentRandom.chance(0.85) ? emails.take(first, last) : null,
      phone: studentRandom.chance(0.6) ? studentFaker.phone.number({ style: 'international' }) : null,
      company: studentRandom.chance(0.45) ? studentFaker.company.name() : null,
      provider_id: slot === org ? null : (providers[slot] as ProviderSeed).id,
      created_by: studentRandom.pick(staffOf[slot]?.length ? (staffOf[slot] as string[]) : administrators), created_at: created, updated_at: created,
    };
  });

  const learners = users.flatMap((u, i) => (['IP', 'IT', 'IN'].includes(u.role) && u.status === 'ACTIVE' ? [i] : []));
  return {
    providers, locations, providerLocations, users, profiles, instructorProfiles, providerMembers, teams, teamMembers, students,
    locationsOf, instructorsOf, staffOf, studentsOf, learners, administrators,
  };
}
