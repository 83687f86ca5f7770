export { seedDatabase, SeedInterrupted, type SeedOptions, type SeedProgress, type SeedReport } from './seed.service.js';
export { type SeedSize, seedSizeNames, seedSizes } from './seed.sizes.js';
export { type SeedTable, seedTableOrder } from './seed.tables.js';
