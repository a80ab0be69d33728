import { DomainError } from '../errors.js';

export function userNotFound(userId: string): DomainError {
  return new DomainError('user.not_found', `user ${userId} does not exist`, 'id');
}
