/**
 * The management router's procedures by their dotted path ('users.list'), with each one's input
 * and output types: what lets a REST operation name the procedure it calls and stay typed.
 */
import type { AnyProcedure, AnyRouter, inferProcedureInput, inferProcedureOutput, TRPCRouterRecord } from '@trpc/server';
import type { AppRouter } from '../routers/_app.js';

type Leaves<Record, Prefix extends string = ''> = {
  [Key in keyof Record & string]: Record[Key] extends AnyProcedure
    ? [`${Prefix}${Key}`, Record[Key]]
    : Record[Key] extends TRPCRouterRecord
      ? Leaves<Record[Key], `${Prefix}${Key}.`>
      : Record[Key] extends AnyRouter
        ? Leaves<Record[Key]['_def']['record'], `${Prefix}${Key}.`>
        : never;
}[keyof Record & string];

type Procedures = Leaves<AppRouter['_def']['record']>;

export type ProcedurePath = Procedures[0];
export type ProcedureAt<Path extends ProcedurePath> = Extract<Procedures, [Path, AnyProcedure]>[1];
export type InputOf<Path extends ProcedurePath> = inferProcedureInput<ProcedureAt<Path>>;
export type OutputOf<Path extends ProcedurePath> = inferProcedureOutput<ProcedureAt<Path>>;
