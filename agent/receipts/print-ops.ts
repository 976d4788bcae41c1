// A receipt as a list of printer-independent operations. Layout produces them (pure),
// encode.ts turns them into the printer's bytes.
export type Align = 'left' | 'center' | 'right';

export type PrintOp =
  | { kind: 'text'; text: string; align?: Align; bold?: boolean; size?: 1 | 2 }
  | { kind: 'feed'; lines: number }
  | { kind: 'qr'; data: string }
  | { kind: 'barcode'; data: string }
  | { kind: 'cut' }
  | { kind: 'drawer' };
