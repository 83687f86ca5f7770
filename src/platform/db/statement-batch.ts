import pg from 'pg';

/** One statement of a batch; `name`: a statement this connection has prepared under that name. */
export interface BatchStatement {
  text: string;
  values: readonly unknown[];
  name?: string | undefined;
}

interface ProtocolConnection {
  stream: { cork(): void; uncork(): void };
  parsedStatements: Record<string, string>;
  parse(message: { text: string; name: string; types: unknown[] }): void;
  bind(message: { portal: string; statement: string; values: unknown[]; binary: boolean }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: { portal: string; rows: number }): void;
  sync(): void;
}

type Results = pg.QueryResult | pg.QueryResult[];

/** pg's own conversion of a parameter to its text form (dates, arrays, buffers, JSON), as its queries bind them. */
const prepareValue = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils.prepareValue;

/**
 * Several statements written to the server at once, followed by a single Sync: one write, one reply
 * (the extended protocol runs them in order, and after an error skips the rest up to the Sync). pg sends
 * a Sync after every statement and waits for each reply; a request's BEGIN, claims statement and first
 * query cost three round trips that way (issue 17). pg's Query answers the messages: it gathers one
 * result per statement, as for a simple query of several statements, and fails with the first error.
 * Named statements must already be prepared on the connection (`preparedOn`): their Parse would be
 * answered to pg's bookkeeping of a single name. Unnamed ones are parsed here.
 */
class StatementBatch extends pg.Query {
  constructor(private readonly statements: readonly BatchStatement[], callback: (error: Error | undefined, results: Results) => void) {
    super({ text: statements.map((statement) => statement.text).join('; ') }, callback as never);
    this.submit = ((connection: unknown) => this.send(connection as ProtocolConnection)) as never;
  }

  /** An error returned (not thrown) is pg's way to fail a query it has not sent: the connection stays usable. */
  private send(connection: ProtocolConnection): Error | null {
    let bound: BatchStatement[];
    try {
      // Converted before the first byte is written: a value that cannot be sent fails the batch, not the connection.
      bound = this.statements.map((statement) => ({ ...statement, values: statement.values.map((value) => prepareValue(value)) }));
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    connection.stream.cork();
    try {
      for (const statement of bound) {
        if (statement.name === undefined) connection.parse({ text: statement.text, name: '', types: [] });
        connection.bind({ portal: '', statement: statement.name ?? '', values: statement.values as unknown[], binary: false });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '', rows: 0 });
      }
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
    return null;
  }
}

/** Whether every named statement of `statements` is prepared on `client` (a batch can then carry them all). */
export function preparedOn(client: pg.ClientBase, statements: readonly BatchStatement[]): boolean {
  const { parsedStatements } = (client as unknown as { connection: ProtocolConnection }).connection;
  return statements.every((statement) => statement.name === undefined || parsedStatements[statement.name] === statement.text);
}

/** Runs `statements` in one round trip on `client`; one result per statement, in order. */
export function runBatch(client: pg.ClientBase, statements: readonly BatchStatement[]): Promise<pg.QueryResult[]> {
  return new Promise((resolve, reject) => {
    const batch = new StatementBatch(statements, (error, results) => {
      if (error) reject(error);
      else resolve(Array.isArray(results) ? results : [results]);
    });
    void client.query(batch as never);
  });
}
