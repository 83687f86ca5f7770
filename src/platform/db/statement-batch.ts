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
 * Several statements written to the server at once, followed by a single Sync: one write, one reply
 * (the extended protocol runs them in order, and after an error skips the rest up to the Sync). pg sends
 * a Sync after every statement and waits for each reply; a request's BEGIN, claims statement and first
 * query cost three round trips that way (issue 17). Named statements must already be prepared on the
 * connection (`preparedOn`), or parsed ahead of the batch on a pipelined one: their Parse would be
 * answered to pg's bookkeeping of a single name. Unnamed ones are parsed here.
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
  private readonly results: BatchResult[] = [];
  /** The statement being answered: its shape once known, and its rows so far. */
  private current = 0;
  private shape: RowShape | null = null;
  private currentRows: Row[] = [];
  /** A row that could not be parsed: the batch fails with this once its answer ends. */
  private failure: Error | null = null;
  private shapes: Map<string, RowShape> | null = null;

  constructor(
    private readonly statements: readonly BatchStatement[],
    private readonly types: TypeParsers,
    public callback: (error: Error | null, results?: BatchResult[]) => void,
  ) {
    this.text = statements[0]?.text ?? '';
  }

  /** An error returned (not thrown) is pg's way to fail a query it has not sent: the connection stays usable. */
  submit(connection: ProtocolConnection): Error | null {
    let values: unknown[][];
    try {
      // Converted before the first byte is written: a value that cannot be sent fails the batch, not the connection.
      values = this.statements.map((statement) => statement.values.map((value) => prepareValue(value)));
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    const shapes = shapesOn(connection);
    this.shapes = shapes;
    connection.stream.cork();
    try {
      this.statements.forEach((statement, index) => {
        if (statement.name === undefined) connection.parse({ text: statement.text, name: '', types: [] });
        connection.bind({ portal: '', statement: statement.name ?? '', values: values[index] as unknown[], binary: false });
        if (statement.name === undefined || !shapes.has(statement.name)) connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '', rows: 0 });
      });
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
    return null;
  }

  handleRowDescription(message: { fields: FieldDescription[] }): void {
    const shape = rowShapeOf(message.fields, this.types);
    const name = this.statements[this.current]?.name;
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
    this.results.push({ rows: this.currentRows, rowCount: rowCountOf(message.text) });
    this.next();
  }

  handleEmptyQuery(): void {
    this.results.push({ rows: [], rowCount: null });
    this.next();
  }

  handleError(error: Error): void {
    const failure = this.failure ?? error;
    this.failure = null;
    this.callback(failure);
  }

  handleReadyForQuery(): void {
    if (this.failure !== null) return this.handleError(this.failure);
    this.callback(null, this.results);
  }

  /** Never asked: a batch executes its portals whole (no row limit). */
  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: ProtocolConnection): void {
    connection.sendCopyFail('No source stream defined');
  }

  handleCopyData(): void {}

  private next(): void {
    this.current += 1;
    this.shape = null;
    this.currentRows = [];
  }

  private knownShape(): RowShape {
    const name = this.statements[this.current]?.name;
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

/** Runs `statements` in one round trip on `client`; one result per statement, in order. */
export function runBatch(client: pg.ClientBase, statements: readonly BatchStatement[]): Promise<BatchResult[]> {
  const types = (client as unknown as { _types?: TypeParsers })._types ?? pg.types;
  return new Promise((resolve, reject) => {
    const batch = new StatementBatch(statements, types, (error, results) => {
      if (error) reject(error);
      else resolve(results as BatchResult[]);
    });
    void client.query(batch as never);
  });
}
