/**
 * The two address rules mail code needs, kept in one place.
 * - isMailAddress: safe to hand to SMTP (no whitespace, brackets, commas or quotes that could
 *   smuggle a header or a second recipient).
 * - isRoutableMailAddress: what a person may type as a configured recipient: the above, fewer
 *   punctuation characters, and a domain with a dot.
 */
const TRANSPORT = /^[^\s<>@,;"]+@[^\s<>@,;"]+$/;
const ROUTABLE = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+\.[^\s@<>,;:"()[\]\\]+$/;

export const isMailAddress = (address: string): boolean => TRANSPORT.test(address);
export const isRoutableMailAddress = (address: string): boolean => ROUTABLE.test(address);
