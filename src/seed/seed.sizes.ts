export const roles = ['SA', 'AD', 'AP', 'IC', 'IP', 'IT', 'IN'] as const;
export type Role = (typeof roles)[number];

/** How much to generate. Everything not listed here follows from these numbers and the seed. */
export interface SizePlan {
  providers: number;
  locations: number;
  users: Record<Role, number>;
  courses: number;
  /** Exactly this many sessions, over a year centred on the anchor day. */
  sessions: number;
  /** Students without accounts; most enrollments are theirs. */
  studentProfiles: number;
  /** Sessions' typical capacity; enrollment rows average a little below it (fill, waitlists, cancellations). */
  typicalCapacity: number;
  teamsPerProvider: number;
  /** Rows per INSERT statement. */
  batchRows: number;
}

export const seedSizes = {
  // A demo that loads in seconds on the embedded database.
  small: {
    providers: 2,
    locations: 5,
    users: { SA: 1, AD: 2, AP: 4, IC: 8, IP: 6, IT: 15, IN: 24 },
    courses: 12,
    sessions: 400,
    studentProfiles: 700,
    typicalCapacity: 15,
    teamsPerProvider: 2,
    batchRows: 5_000,
  },
  // A benchmark: about 50,000 sessions and 1,000,000 enrollments.
  large: {
    providers: 40,
    locations: 250,
    users: { SA: 3, AD: 25, AP: 120, IC: 1_000, IP: 500, IT: 2_400, IN: 3_952 },
    courses: 160,
    sessions: 50_000,
    studentProfiles: 150_000,
    typicalCapacity: 28,
    teamsPerProvider: 3,
    batchRows: 10_000,
  },
} as const satisfies Record<string, SizePlan>;

export type SeedSize = keyof typeof seedSizes;

export const seedSizeNames = Object.keys(seedSizes) as SeedSize[];
