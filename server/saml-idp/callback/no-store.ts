/** Every answer of the callback is for this one login: no cache keeps it. */
import type { CallbackStep } from './state.js';

export const noStore: CallbackStep = async (ctx, next) => {
  ctx.set('Cache-Control', 'no-store');
  await next();
};
