/**
 * The handle of an open database transaction: a query factory's `transaction(fn)` hands it to
 * fn, which passes it on to the queries that take part. Callers hold it and never look inside.
 */
export type { Transaction } from 'sequelize';
