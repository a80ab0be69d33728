/** A stored time as the reader's locale writes it; `none` where there is none (never used, no expiry). */
export const shownTime = (iso: string | null, none = '—') => (iso === null ? none : new Date(iso).toLocaleString());
