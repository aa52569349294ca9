// Colour for human output. A palette is chosen once per run: ANSI escapes only when colour is allowed
// (no --no-color, no NO_COLOR) AND the stream is a terminal, so that pipes, files and scripts always
// get plain text. Formatters take a palette and never look at the environment themselves.

export interface Palette {
  /** True when the functions below add escapes (callers skip colour-only work otherwise). */
  readonly enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  cyan(text: string): string;
}

const identity = (text: string): string => text;

/** No escapes at all. */
export const PLAIN: Palette = {
  enabled: false,
  bold: identity,
  dim: identity,
  red: identity,
  yellow: identity,
  green: identity,
  cyan: identity,
};

function sgr(on: number, off: number): (text: string) => string {
  // Empty text stays empty: an escape pair around nothing only confuses width computations.
  return (text) => (text === '' ? text : `\u001b[${on}m${text}\u001b[${off}m`);
}

/** ANSI SGR escapes (bold 1/22, dim 2/22, colours 3x/39). */
export const ANSI: Palette = {
  enabled: true,
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  yellow: sgr(33, 39),
  green: sgr(32, 39),
  cyan: sgr(36, 39),
};

export interface ColorInputs {
  /** Colour allowed by the options and the environment (--no-color, NO_COLOR). */
  readonly allowed: boolean;
  /** The stream the text goes to is a terminal. */
  readonly isTTY: boolean;
  /** TERM, when known: a `dumb` terminal gets no escapes. */
  readonly term?: string | undefined;
}

/** The palette for one stream. */
export function choosePalette(inputs: ColorInputs): Palette {
  return inputs.allowed && inputs.isTTY && inputs.term !== 'dumb' ? ANSI : PLAIN;
}

/** NO_COLOR (https://no-color.org): present and not empty turns colour off, whatever its value. */
export function noColorRequested(env: Readonly<Record<string, string | undefined>>): boolean {
  const value = env['NO_COLOR'];
  return value !== undefined && value !== '';
}

/** Text without ANSI SGR escapes (for width computations and tests). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- the escape character is what this removes
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
