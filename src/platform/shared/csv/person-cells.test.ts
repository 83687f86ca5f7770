import { describe, expect, it } from 'vitest';
import { emailPattern, personCellProblem } from './person-cells.js';

describe('personCellProblem', () => {
  it('takes every address the account code takes, with or without a dot, up to 320 characters', () => {
    for (const address of ['a@b', 'ada@example.test', 'first.last+tag@sub.example.co.uk', `${'x'.repeat(300)}@example.test`]) {
      expect(personCellProblem('email', address), address).toBeNull();
      expect(new RegExp(emailPattern).test(address)).toBe(true);
    }
  });

  it('names the column and what is wrong', () => {
    expect(personCellProblem('email', 'no-at-sign')).toBe('email "no-at-sign" is not an e-mail address');
    expect(personCellProblem('email', 'two@@signs')).toBe('email "two@@signs" is not an e-mail address');
    expect(personCellProblem('email', 'a b@c')).toBe('email "a b@c" is not an e-mail address');
    expect(personCellProblem('email', `${'x'.repeat(320)}@b`)).toBe('email is longer than 320 characters');
    expect(personCellProblem('first_name', 'x'.repeat(101))).toBe('first_name is longer than 100 characters');
    expect(personCellProblem('first_name', 'x'.repeat(100))).toBeNull();
    expect(personCellProblem('company', 'x'.repeat(201))).toBe('company is longer than 200 characters');
    expect(personCellProblem('last_name', 'Tab\there')).toBe('last_name contains a control character');
    expect(personCellProblem('student_id', 'id\u007f')).toBe('student_id contains a control character');
    // Columns that are not a person's have no limit here (their own checks follow).
    expect(personCellProblem('attendance_status', 'x'.repeat(500))).toBeNull();
  });
});
