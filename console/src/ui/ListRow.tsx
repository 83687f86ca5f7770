import { Table } from '@mantine/core';
import type { ReactNode } from 'react';
import { messages } from '../messages.ts';

/**
 * A row of a long list (a session's 200 enrollments) as plain <tr>/<td> inside a Mantine Table: the
 * classes and data attributes Table.Tr and Table.Td would give a striped table with row borders, without
 * the theme and style work each of those components does on every render (decision 0062).
 */
export const listRow = { className: Table.classes.tr, 'data-striped': 'odd', 'data-with-row-border': true } as const;
export const listCell = Table.classes.td;

/** A row's action (e.g. "Cancel place"): a plain button that looks like a compact, subtle red Mantine Button. */
export function RowAction({ onClick, children }: { onClick: () => void; children: ReactNode }) {
  return (
    <button type="button" className="row-action mantine-focus-auto" onClick={onClick}>
      {children}
    </button>
  );
}

/** The header of a list's actions column: named for a screen reader, empty on screen. */
export function ActionsHeader() {
  return (
    <Table.Th>
      <span className="visually-hidden">{messages.session.actions}</span>
    </Table.Th>
  );
}
