import pg from 'pg';
import { fromDatabase } from './postgres-errors.js';
import { type BatchRead, type BatchResult, type BatchStatement, runReads } from './statement-batch.js';

/**
 * The reader's connections (decision 0067): each carries the reads of many requests at once, written one
 * after the other without waiting for the answers before them (pg's pipeline mode). A read is the actor's
 * claims and its statement (decision 0051). The reads that arrive for a connection in one turn of the
 * event loop go to the server behind one Sync (decision 0082): one write, one wake-up of the backend, one
 * implicit transaction and one answer written back for all of them, and no checkout from the pool. Each
 * read sets the role and every claim in front of its statement, so nothing of the read before it in that
 * transaction applies to it (a reader's statements are READ ONLY and set nothing else: statements that
 * set a setting go through a transaction of their own, `exec`); each is answered as soon as its own last
 * statement completes. A read's error ends the transaction: the reads behind it did not run, and are
 * written again behind the next Sync, as they were.
 */
export interface ReadPipeline {
  /** A lane of one connection: batches run through it reach the server in the order they were run. */
  lane(): ReadLane;
  close(): Promise<void>;
}

export interface ReadLane {
  /** One round trip: `statements`, behind one Sync with the other reads of this turn, after this connection's first use of a text has parsed it (no statement runs then). */
  run(statements: readonly BatchStatement[]): Promise<BatchResult[]>;
}

interface PipelinedConnection {
  readonly client: pg.Client;
  readonly ready: Promise<void>;
  /** Batches sent and not yet answered: a new lane takes the connection with the fewest. */
  inFlight: number;
  /** When each batch in flight was run (performance.now), oldest first: a slow read shows as an old first entry. */
  readonly runAt: number[];
  /** Writes are held until the end of this turn of the event loop (one write for every read of the turn). */
  corked: boolean;
  /** The reads of this turn, written behind one Sync at its end. */
  turn: BatchRead[];
  broken: boolean;
}

interface ProtocolConnection {
  stream: { cork(): void; uncork(): void };
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(message: { text: string; name: string; types: unknown[] }): void;
  sync(): void;
}

/** A connection whose oldest read in flight is older than this is held up by a slow read (a report, say): new lanes go elsewhere. */
const heldUpAfterMs = 50;

const protocolOf = (client: pg.Client) => (client as unknown as { connection: ProtocolConnection }).connection;

/**
 * Parses a named statement and nothing else (Parse, Sync): the statement is neither bound nor run, so it
 * needs no claims. pg books the name as parsed on its ParseComplete, and forgets it on an error.
 */
class Prepare extends pg.Query {
  constructor(name: string, text: string, callback: (error: Error | undefined) => void) {
    super({ name, text }, callback as never);
    this.submit = ((connection: unknown) => {
      const protocol = connection as ProtocolConnection;
      protocol.stream.cork();
      try {
        protocol.parse({ text, name, types: [] });
        protocol.sync();
      } finally {
        protocol.stream.uncork();
      }
      return null;
    }) as never;
  }
}

function prepare(client: pg.Client, name: string, text: string): Promise<void> {
  protocolOf(client).submittedNamedStatements[name] = text;
  return new Promise((resolve, reject) => {
    void client.query(new Prepare(name, text, (error) => (error ? reject(error) : resolve())) as never);
  });
}

/** Whether `name` is parsed on this connection, or its Parse was written ahead of what is written next. */
function parsedOrSent(client: pg.Client, name: string, text: string): boolean {
  const protocol = protocolOf(client);
  return protocol.parsedStatements[name] === text || protocol.submittedNamedStatements[name] === text;
}

/**
 * Up to `connections` pipelined connections, opened when every open one has reads in flight (so a quiet
 * server holds one). A lane takes the connection with the fewest reads in flight among those not held up
 * (whose oldest read in flight was run less than `heldUpAfterMs` ago): a slow read holds back the reads
 * already sent behind it, and new ones go elsewhere while there is elsewhere. A connection that fails or
 * ends is dropped (its reads fail, as a pooled connection's would), and the next lane opens another.
 */
export function createReadPipeline(config: pg.ClientConfig, connections: number): ReadPipeline {
  const open: PipelinedConnection[] = [];
  // Once closed, a read fails rather than open a connection that nothing would close.
  let closed = false;
  const drop = (connection: PipelinedConnection) => {
    connection.broken = true;
    const index = open.indexOf(connection);
    if (index >= 0) open.splice(index, 1);
  };
  const connect = (): PipelinedConnection => {
    const client = new pg.Client({ ...config, pipeline: true } as pg.ClientConfig);
    const connection: PipelinedConnection = { client, ready: Promise.resolve(), inFlight: 0, runAt: [], corked: false, turn: [], broken: false };
    // A lost server makes the reads in flight reject; without a listener the 'error' event would crash the process.
    client.on('error', () => drop(connection));
    client.on('end', () => drop(connection));
    (connection as { ready: Promise<void> }).ready = client.connect().then(
      () => undefined,
      (error: unknown) => {
        drop(connection);
        throw error;
      },
    );
    connection.ready.catch(() => undefined);
    open.push(connection);
    return connection;
  };
  const fewestInFlight = (among: readonly PipelinedConnection[]): PipelinedConnection | undefined => {
    let best: PipelinedConnection | undefined;
    for (const connection of among) if (best === undefined || connection.inFlight < best.inFlight) best = connection;
    return best;
  };
  const leastBusy = (): PipelinedConnection => {
    const now = performance.now();
    const best = fewestInFlight(open.filter((connection) => (connection.runAt[0] ?? now) > now - heldUpAfterMs));
    if (best !== undefined && (best.inFlight === 0 || open.length >= connections)) return best;
    // All busy (or all held up) and room for another; else, every one held up: the least busy of them.
    return open.length < connections ? connect() : (fewestInFlight(open) as PipelinedConnection);
  };
  const holdWritesThisTurn = (connection: PipelinedConnection) => {
    if (connection.corked) return;
    const { stream } = protocolOf(connection.client);
    connection.corked = true;
    stream.cork();
    setImmediate(() => {
      connection.corked = false;
      const reads = connection.turn.splice(0);
      if (reads.length > 0) runReads(connection.client, reads);
      stream.uncork();
    });
  };
  /**
   * `statements` as a read of this turn of `connection`. A read skipped by another's error is queued again,
   * behind the next Sync, while the connection lives; a lost connection (or a FATAL error: the server
   * closes it) fails it with the same error as the reads written before it.
   */
  const readOn = (connection: PipelinedConnection, statements: readonly BatchStatement[]): Promise<BatchResult[]> =>
    new Promise((resolve, reject) => {
      const read: BatchRead = {
        statements,
        answered: resolve,
        failed: reject,
        skipped: (error) => {
          if (connection.broken || !(error instanceof pg.DatabaseError) || error.severity !== 'ERROR') return reject(error);
          holdWritesThisTurn(connection);
          connection.turn.push(read);
        },
      };
      holdWritesThisTurn(connection);
      connection.turn.push(read);
    });
  return {
    lane() {
      let connection: PipelinedConnection | null = null;
      const run = async (statements: readonly BatchStatement[]): Promise<BatchResult[]> => {
        if (closed) throw new Error('the read pipeline is closed');
        if (connection === null || connection.broken) connection = leastBusy();
        const on = connection;
        const runAt = performance.now();
        on.inFlight += 1;
        on.runAt.push(runAt);
        try {
          await on.ready;
          const { client } = on;
          holdWritesThisTurn(on);
          // Parsed first, in the same write: the batch binds them by name (a pipelined batch cannot book a Parse of its own).
          const parsing = statements.filter((s) => s.name !== undefined && !parsedOrSent(client, s.name, s.text)).map((s) => prepare(client, s.name as string, s.text));
          if (parsing.length === 0) return await readOn(on, statements);
          const [batch, ...parsed] = await Promise.allSettled([readOn(on, statements), ...parsing]);
          // A statement that failed to parse says why, rather than the batch's "prepared statement does not exist".
          const failedParse = parsed.find((outcome) => outcome.status === 'rejected');
          if (failedParse) throw failedParse.reason;
          if (batch.status === 'rejected') throw batch.reason;
          return batch.value;
        } finally {
          on.inFlight -= 1;
          on.runAt.splice(on.runAt.indexOf(runAt), 1);
        }
      };
      // A lost connection's socket error is the database's: an outage to whoever reads through a lane.
      return { run: (statements) => fromDatabase(run(statements)) };
    },
    async close() {
      closed = true;
      await Promise.all(open.splice(0).map((connection) => connection.client.end().catch(() => undefined)));
    },
  };
}
