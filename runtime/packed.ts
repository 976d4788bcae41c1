// Arrays made the same way whichever tier of V8 runs the code. In Node 20 (V8 11.3),
// `Array.prototype.map`'s result is a packed array while its caller is interpreted or in baseline
// code and a holey one once TurboFan inlines `map` (`%HasHoleyElements`; `filter` and `flatMap`
// alike): a consumer optimised on the packed map meets the holey one as soon as its producer is
// optimised, and is thrown away ("wrong map") and compiled again. On the host's online path that
// was a recompile of award, rewards, computeRewards, runMessages, decodeRequest, finish,
// encodeResponse … each, 10–130 ms of TurboFan per compile (issue 10, bench/README 2026-12-01).
// A loop that pushes onto `[]` makes the same packed array in every tier.

/** a.map(f), packed in every tier. */
export function mapPacked<T, U>(a: readonly T[], f: (value: T) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < a.length; i++) out.push(f(a[i]!));
  return out;
}

/** a.filter(keep).map(f), packed in every tier. */
export function filterMapPacked<T, U>(a: readonly T[], keep: (value: T) => boolean, f: (value: T) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < a.length; i++) if (keep(a[i]!)) out.push(f(a[i]!));
  return out;
}

/** The `id`s of `a` joined by commas (`a.map((o) => o.id).join(',')` without the array). */
export function joinIds<T extends { id: string }>(a: readonly T[], keep?: (value: T) => boolean): string {
  let out = '';
  let first = true;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (keep && !keep(v)) continue;
    out = first ? v.id : `${out},${v.id}`;
    first = false;
  }
  return out;
}
