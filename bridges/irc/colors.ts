/** The 16 standard mIRC colours (codes 0–15), as Matrix HTML colours. */
export const IRC_COLORS: readonly string[] = [
  '#ffffff', '#000000', '#00007f', '#009300', '#ff0000', '#7f0000', '#9c009c', '#fc7f00',
  '#ffff00', '#00fc00', '#009393', '#00ffff', '#0000fc', '#ff00ff', '#7f7f7f', '#d2d2d2',
];

/** The HTML colour of an IRC colour code; undefined for 99 ("default") and codes beyond the 16. */
export function colorOfCode(code: number): string | undefined {
  return IRC_COLORS[code];
}

function rgb(hex: string): [number, number, number] | undefined {
  const m = /^#?([0-9a-f]{6}|[0-9a-f]{3})$/i.exec(hex.trim());
  if (!m) return undefined;
  const h = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

/** A few CSS names clients put in `<font color>`. */
const NAMED: Readonly<Record<string, string>> = {
  white: '#ffffff', black: '#000000', navy: '#00007f', blue: '#0000fc', green: '#009300', lime: '#00fc00',
  red: '#ff0000', maroon: '#7f0000', purple: '#9c009c', orange: '#fc7f00', yellow: '#ffff00',
  teal: '#009393', cyan: '#00ffff', aqua: '#00ffff', fuchsia: '#ff00ff', magenta: '#ff00ff',
  gray: '#7f7f7f', grey: '#7f7f7f', silver: '#d2d2d2',
};

/** The nearest IRC colour code to an HTML colour (`#rrggbb`, `#rgb` or a common name); undefined when unreadable. */
export function codeOfColor(color: string): number | undefined {
  const target = rgb(NAMED[color.trim().toLowerCase()] ?? color);
  if (!target) return undefined;
  let best = 0;
  let bestDistance = Infinity;
  IRC_COLORS.forEach((hex, code) => {
    const [r, g, b] = rgb(hex)!;
    const d = (r - target[0]) ** 2 + (g - target[1]) ** 2 + (b - target[2]) ** 2;
    if (d < bestDistance) {
      bestDistance = d;
      best = code;
    }
  });
  return best;
}
