/**
 * Each strategy's options as JSON Schema, derived from the very zod schemas connections.create
 * checks them with, and which of them are secrets (write-only): what the console builds its
 * connection forms from, so a new option appears there without a second description of it.
 */
import { z } from 'zod';
import { CONNECTION_STRATEGIES, type ConnectionStrategy, createConnectionInput } from './connection-schemas.js';
import { secretOptionNames } from './option-secrets.js';
import { strategyTraits } from './strategies.js';

export interface OptionForm {
  strategy: ConnectionStrategy;
  /** JSON Schema (draft 2020-12) of the options as they are given, defaults included. */
  schema: Record<string, unknown>;
  /** Options accepted on create and update but never shown back. */
  secrets: string[];
  /** connections.check can reach this strategy's upstream before any login. */
  checkable: boolean;
}

function optionsSchemaOf(strategy: ConnectionStrategy): z.ZodType {
  const entry = createConnectionInput.options.find((option) => option.shape.strategy.value === strategy);
  if (!entry) throw new Error(`no options schema for strategy ${strategy}`);
  return entry.shape.options;
}

function build(): OptionForm[] {
  return CONNECTION_STRATEGIES.map((strategy) => ({
    strategy,
    // Refinements (an https-only issuer, a CODE_DIR path) have no JSON Schema: the API still checks them.
    schema: z.toJSONSchema(optionsSchemaOf(strategy), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    secrets: secretOptionNames(strategy),
    checkable: strategyTraits(strategy)?.checkable ?? false,
  }));
}

let forms: OptionForm[] | undefined;

export function connectionOptionForms(): OptionForm[] {
  forms ??= build();
  return forms;
}
