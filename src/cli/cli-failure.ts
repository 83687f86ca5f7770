/** A failure the CLI reports as one message and exit code 1, without a stack trace. */
export class CliFailure extends Error {}
