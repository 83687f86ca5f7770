import pg from 'pg';
import type { Row } from './database.js';
import { type RowShape, rowShapeOf } from './row-shape.js';

/** One statement of a batch; `name`: a statement this connection has prepared under that name. */
export interface BatchStatement {
  text: string;
  values: readonly unknown[];
  name?: string | undefined;
}

/** What a statement of a batch answered: its rows, and how many rows it read or wrote (null for a command that counts none). */
export interface BatchResult {
  rows: Row[];
  rowCount: number | null;
}

interface FieldDescription {
  name: string;
  dataTypeID: number;
}

interface ProtocolConnection {
  stream: { cork(): void; uncork(): void };
  parsedStatements: Record<string, string>;
  parse(message: { text: string; name: string; types: unknown[] }): void;
  bind(message: { portal: string; statement: string; values: unknown[]; binary: boolean }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: { portal: string; rows: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
}

type TypeParsers = Pick<typeof pg.types, 'getTypeParser'>;

/** pg's own conversion of a parameter to its text form (dates, arrays, buffers, JSON), as its queries bind them. */
const prepareValue = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils.prepareValue;

/**
 * The row shape of each statement a connection has prepared, learnt from the first RowDescription it
 * answered: PostgreSQL fixes a prepared statement's result columns (a change of them fails the execution
 * with "cached plan must not change result type"), so later executions are not described again.
 */
const shapesByConnection = new WeakMap<ProtocolConnection, Map<string, RowShape>>();

function shapesOn(connection: ProtocolConnection): Map<string, RowShape> {
  let shapes = shapesByConnection.get(connection);
  if (shapes === undefined) {
    shapes = new Map();
    shapesByConnection.set(connection, shapes);
  }
  return shapes;
}

/** `SELECT 21`, `INSERT 0 1`: the last number of a command tag, as pg reads it. */
const commandTag = /^[A-Za-z]+(?: (\d+))?(?: (\d+))?/;

function rowCountOf(tag: string | undefined): number | null {
  const match = tag === undefined ? null : commandTag.exec(tag);
  const count = match?.[2] ?? match?.[1];
  return count === undefined ? null : Number.parseInt(count, 10);
}

/**
 * One read of a batch (`runReads`): its statements, and how it ends. `skipped`: an earlier read's error
 * ended the batch's implicit transaction before this read ran, so none of its statements ran and it can
 * be run again as it was.
 */
export interface BatchRead {
  readonly statements: readonly BatchStatement[];
  answered(results: BatchResult[]): void;
  failed(error: Error): void;
  skipped(error: Error): void;
}

/**
 * Several statements written to the server at once, followed by a single Sync: one write, one reply
 * (the extended protocol runs them in order, and after an error skips the rest up to the Sync). pg sends
 * a Sync after every statement and waits for each reply; a request's BEGIN, claims statement and first
 * query cost three round trips that way (issue 17). Named statements must already be prepared on the
 * connection (`preparedOn`), or parsed ahead of the batch on a pipelined one: their Parse would be
 * answered to pg's bookkeeping of a single name. Unnamed ones are parsed here.
 *
 * The statements are those of one or more reads, each answered as soon as its last statement completes
 * (decision 0082): reads that share a Sync share its implicit transaction, and an error skips the reads
 * written after the failing one (`skipped`), which did not run.
 *
 * pg's client hands the answer's messages to the query in flight; this object answers them itself
 * rather than through pg's Query and Result (decision 0078): a statement whose row shape this connection
 * knows is bound and executed without a Describe (no RowDescription to send, parse and turn into
 * parsers on every read), and each row is built by the shape's compiled constructor. It is a pg.Query
 * by its prototype only (pg's pipeline mode accepts no other kind of query), without Query's
 * constructor, which copies its configuration property by property.
 */
class StatementBatch {
  readonly text: string;
  /** Read by pg: a batch has no name of its own, nor a row count to page by. */
  readonly name = undefined;
  readonly rows = undefined;
  /** The read being answered, its results so far, and the statement of it being answered. */
  private read = 0;
  private results: BatchResult[] = [];
  private statement = 0;
  private shape: RowShape | null = null;
  private currentRows: Row[] = [];
  /** A row of the current read that could not be parsed: the read fails with this once its last statement completes. */
  private failure: Error | null = null;
  private shapes: Map<string, RowShape> | null = null;

  constructor(
    private reads: readonly BatchRead[],
    private readonly types: TypeParsers,
  ) {
    this.text = reads[0]?.statements[0]?.text ?? '';
  }

  /** An error returned (not thrown) is pg's way to fail a query it has not sent: the connection stays usable. */
  submit(connection: ProtocolConnection): Error | null {
    // Converted before the first byte is written: a value that cannot be sent fails its read, not the others nor the connection.
    const values: unknown[][][] = [];
    this.reads = this.reads.filter((read) => {
      try {
        values.push(read.statements.map((statement) => statement.values.map((value) => prepareValue(value))));
        return true;
      } catch (error) {
        read.failed(error instanceof Error ? error : new Error(String(error)));
        return false;
      }
    });
    if (this.reads.length === 0) return new Error('no read of this batch could be sent');
    const shapes = shapesOn(connection);
    this.shapes = shapes;
    connection.stream.cork();
    try {
      this.reads.forEach((read, r) => read.statements.forEach((statement, index) => {
        if (statement.name === undefined) connection.parse({ text: statement.text, name: '', types: [] });
        connection.bind({ portal: '', statement: statement.name ?? '', values: values[r]?.[index] as unknown[], binary: false });
        if (statement.name === undefined || !shapes.has(statement.name)) connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '', rows: 0 });
      }));
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
    this.settleEmptyReads();
    return null;
  }

  handleRowDescription(message: { fields: FieldDescription[] }): void {
    const shape = rowShapeOf(message.fields, this.types);
    const name = this.currentStatement()?.name;
    if (name !== undefined) this.shapes?.set(name, shape);
    this.shape = shape;
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    if (this.failure !== null) return;
    try {
      this.shape ??= this.knownShape();
      this.currentRows.push(this.shape.row(message.fields));
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
    }
  }

  handleCommandComplete(message: { text?: string }): void {
    this.completed({ rows: this.currentRows, rowCount: rowCountOf(message.text) });
  }

  handleEmptyQuery(): void {
    this.completed({ rows: [], rowCount: null });
  }

  /**
   * The server's error ends the implicit transaction: the read it came from fails, and the reads after
   * it, whose statements the server skipped, are `skipped`. Called by pg for a lost connection too.
   */
  handleError(error: Error): void {
    const failing = this.reads[this.read];
    if (failing === undefined) return;
    failing.failed(this.failure ?? error);
    this.failure = null;
    for (const skipped of this.reads.slice(this.read + 1)) skipped.skipped(error);
    this.read = this.reads.length;
  }

  /** Every read was answered at its last statement; nothing is left to settle. */
  handleReadyForQuery(): void {}

  /** Never asked: a batch executes its portals whole (no row limit). */
  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: ProtocolConnection): void {
    connection.sendCopyFail('No source stream defined');
  }

  handleCopyData(): void {}

  private currentStatement(): BatchStatement | undefined {
    return this.reads[this.read]?.statements[this.statement];
  }

  /** A statement of the current read completed: the read is answered (or fails with its row's error) after its last. */
  private completed(result: BatchResult): void {
    const read = this.reads[this.read];
    if (read === undefined) return;
    this.results.push(result);
    this.statement += 1;
    this.shape = null;
    this.currentRows = [];
    if (this.statement < read.statements.length) return;
    const { failure, results } = this;
    this.failure = null;
    this.results = [];
    this.statement = 0;
    this.read += 1;
    if (failure !== null) read.failed(failure);
    else read.answered(results);
    this.settleEmptyReads();
  }

  /** A read of no statement has nothing to wait for. */
  private settleEmptyReads(): void {
    while (this.reads[this.read]?.statements.length === 0) {
      (this.reads[this.read] as BatchRead).answered([]);
      this.read += 1;
    }
  }

  private knownShape(): RowShape {
    const name = this.currentStatement()?.name;
    const shape = name === undefined ? undefined : this.shapes?.get(name);
    if (shape === undefined) throw new Error('a row arrived for a statement whose columns were not described');
    return shape;
  }
}
// pg's pipeline mode refuses any query that is not a pg.Query (a cursor would hold a portal open).
Object.setPrototypeOf(StatementBatch.prototype, pg.Query.prototype);

/** Whether every named statement of `statements` is prepared on `client` (a batch can then carry them all). */
export function preparedOn(client: pg.ClientBase, statements: readonly BatchStatement[]): boolean {
  const { parsedStatements } = (client as unknown as { connection: ProtocolConnection }).connection;
  return statements.every((statement) => statement.name === undefined || parsedStatements[statement.name] === statement.text);
}

/** Writes `reads` to `client` behind one Sync: one round trip and one implicit transaction for all of them (see StatementBatch). */
export function runReads(client: pg.ClientBase, reads: readonly BatchRead[]): void {
  const types = (client as unknown as { _types?: TypeParsers })._types ?? pg.types;
  void client.query(new StatementBatch(reads, types) as never);
}

/** Runs `statements` in one round trip on `client`; one result per statement, in order. */
export function runBatch(client: pg.ClientBase, statements: readonly BatchStatement[]): Promise<BatchResult[]> {
  return new Promise((resolve, reject) => {
    // Alone behind its Sync, the read is never skipped: its own error is the only one.
    runReads(client, [{ statements, answered: resolve, failed: reject, skipped: reject }]);
  });
}
