// Plays a toledo-8217 scale on the peer end of a pty: each "W" gets the next scripted answer
// (the last one repeats; null = no answer at all).
import type { PtyPair } from './pty.ts';

export const STX = '\x02';
export const CR = '\r';
export const weightFrame = (w: string) => `${STX}${w}${CR}`;
/** Status byte: bit 6 always 1; bit 0 motion, 1 over capacity, 2 under zero, 3 zero error, 4 centre of zero. */
export const statusFrame = (bits: number) => `${STX}?${String.fromCharCode(0x40 | bits)}${CR}`;

export async function ecrScale(pty: PtyPair, script: Array<string | null>) {
  const end = await pty.openPeer();
  const answers = [...script];
  let asked = 0;
  end.onData((chunk) => {
    for (const byte of chunk) {
      if (byte !== 0x57) continue;
      asked++;
      const answer = answers.length > 1 ? answers.shift()! : answers[0]!;
      if (answer !== null) void end.write(answer).catch(() => undefined);
    }
  });
  return { end, asked: () => asked, set(next: Array<string | null>) { answers.splice(0, answers.length, ...next); } };
}
