/** The embedded data directory is held by another live Unitrain process. Apart from the engine, so the CLI can name it without loading PGlite. */
export class DatabaseInUseError extends Error {}
