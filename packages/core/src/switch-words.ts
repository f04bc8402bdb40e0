const ON = new Set(['1', 'true', 'yes', 'on']);
const OFF = new Set(['0', 'false', 'no', 'off']);

/** How a switch may be spelled in a setting, in any case. */
export const SWITCH_SPELLINGS = '1/0, true/false, yes/no or on/off';

/** A setting's switch: true or false, or undefined for any other word. */
export function readSwitch(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (ON.has(word)) return true;
  if (OFF.has(word)) return false;
  return undefined;
}
