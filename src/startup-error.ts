/** A server or worker cannot start for a reason the operator can fix (an unmigrated database, a missing key). Apart from server.ts, so the CLI can name it without loading the app. */
export class StartupError extends Error {}
