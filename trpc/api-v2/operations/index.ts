/**
 * Every operation of the Management API v2, in the order the OpenAPI document lists them.
 */
import type { Operation } from '../operation.js';
import { clientOperations } from './clients.js';
import { connectionOperations } from './connections.js';
import { jobOperations } from './jobs.js';
import { jobExportOperations } from './jobs-export.js';
import { ticketOperations } from './tickets.js';
import { userAuthenticatorOperations } from './user-authenticators.js';
import { userBlockOperations } from './user-blocks.js';
import { userOperations } from './users.js';

export const API_V2_OPERATIONS: readonly Operation[] = [
  ...userOperations,
  ...userAuthenticatorOperations,
  ...userBlockOperations,
  ...ticketOperations,
  ...clientOperations,
  ...connectionOperations,
  ...jobOperations,
  ...jobExportOperations,
];
