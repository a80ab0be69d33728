/**
 * Every operation of the Management API v2, in the order the OpenAPI document lists them.
 */
import type { Operation } from '../operation.js';
import { jobOperations } from './jobs.js';
import { jobExportOperations } from './jobs-export.js';
import { userOperations } from './users.js';

export const API_V2_OPERATIONS: readonly Operation[] = [...userOperations, ...jobOperations, ...jobExportOperations];
