// The schema of one `devices:` entry in the agent config, validated once at start. Every
// problem names its key (via protocol/schema.ts describeIssues in the agent), and rules that
// involve several keys (serial needs a path, usb needs ids, …) are reported with the key to fix.
import { z } from 'zod';
import { CODE_PAGE_NAMES, DEFAULT_CODE_PAGE } from './code-pages.ts';
import { LAYOUTS } from './evdev-keymap.ts';
import { SCALE_PROTOCOLS } from './scale.ts';
import { TERMINATORS } from './line-reader.ts';
import { DEVICE_KINDS } from './types.ts';

export const TRANSPORTS = ['serial', 'usb', 'tcp', 'file', 'virtual', 'evdev'] as const;
export type TransportKind = (typeof TRANSPORTS)[number];

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
// The checks of .int().min().max() given to one .check() call: the same checks, one schema copy.
const int = (what: string, min: number, max: number) =>
  z.number({ error: `must be ${what}` }).check(z.int({ error: `must be ${what}` }), z.gte(min, { error: `must be at least ${min}` }), z.lte(max, { error: `must be at most ${max}` }));

const USB_ID = 'must be a 16-bit USB id like "0x04b8" (hex string) or 1208';
const usbIdSchema = () => z
  .union([z.number().int().min(0).max(0xffff), z.string().regex(/^(0x)?[0-9a-fA-F]{1,4}$/, { error: USB_ID })], { error: USB_ID })
  .transform((v) => (typeof v === 'number' ? v : Number.parseInt(v.replace(/^0x/i, ''), 16)));

// Built when the first device entry is checked, not when the agent's config module loads: ~220 zod
// constructions that a till without devices never needs (issue #10, start to ready).
function buildDeviceConfigSchema() {
  const usbId = usbIdSchema();
  return z
    .object({
      name: z.string({ error: 'must be a device name' })
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'must be 1–64 letters, digits, "_", "." or "-"' }),
      kind: z.enum(DEVICE_KINDS, { error: `must be one of ${DEVICE_KINDS.join(', ')}` }),
      transport: z.enum(TRANSPORTS, { error: `must be one of ${TRANSPORTS.join(', ')}` }),
      // serial / file / virtual printer preview directory
      path: z.string({ error: 'must be a path' }).min(1, { error: 'must be a path' }).optional(),
      baud: int('a baud rate', 50, 4_000_000).default(9600),
      parity: z.preprocess(lower, z.enum(['none', 'even', 'odd', 'mark', 'space'], { error: 'must be none, even, odd, mark or space' })).default('none'),
      data_bits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)], { error: 'must be 5, 6, 7 or 8' }).default(8),
      stop_bits: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2' }).default(1),
      rtscts: z.boolean({ error: 'must be true or false' }).default(false),
      // readers
      terminator: z.preprocess(lower, z.enum(TERMINATORS, { error: `must be one of ${TERMINATORS.join(', ')}` })).default('auto'),
      prefix: z.string({ error: 'must be a string' }).max(16).optional(),
      suffix: z.string({ error: 'must be a string' }).max(16).optional(),
      aim: z.preprocess((v) => (v === true ? 'on' : v === false ? 'off' : v),
        z.enum(['auto', 'on', 'off'], { error: 'must be auto, on (true) or off (false)' })).default('auto'),
      idle_flush_ms: int('milliseconds', 0, 60_000).default(1000),
      // evdev (keyboard-wedge readers)
      layout: z.preprocess(lower, z.enum(LAYOUTS, { error: `must be one of ${LAYOUTS.join(', ')}` })).default('us'),
      grab: z.boolean({ error: 'must be true or false' }).default(true),
      // scales
      protocol: z.preprocess(lower, z.enum(SCALE_PROTOCOLS, { error: `must be one of ${SCALE_PROTOCOLS.join(', ')}` })).default('toledo-8217'),
      unit: z.preprocess(lower, z.enum(['auto', 'kg', 'g', 'lb'], { error: 'must be auto, kg, g or lb' })).default('auto'),
      settle_timeout_ms: int('milliseconds', 100, 30_000).default(3000),
      answer_timeout_ms: int('milliseconds', 50, 10_000).default(1000),
      // usb
      vendor_id: usbId.optional(),
      product_id: usbId.optional(),
      interface: int('an interface number', 0, 255).optional(),
      // tcp
      host: z.string({ error: 'must be a host name or address' }).min(1).optional(),
      port: int('a TCP port', 1, 65535).default(9100),
      // Sent bytes unacknowledged this long: the peer is gone (TCP_USER_TIMEOUT, drivers/README).
      ack_timeout_ms: int('milliseconds', 1000, 3_600_000).default(10_000),
      // printers
      width: int('a number of columns (32, 42, 48)', 16, 80).default(42),
      code_page: z.preprocess(lower, z.enum(CODE_PAGE_NAMES, { error: `must be one of ${CODE_PAGE_NAMES.join(', ')}` })).default(DEFAULT_CODE_PAGE),
      code_page_number: int('an ESC t table number', 0, 255).optional(),
      status: z.boolean({ error: 'must be true or false' }).optional(),
      confirm: z.boolean({ error: 'must be true or false' }).default(true),
      confirm_timeout_ms: int('milliseconds', 500, 600_000).default(10_000),
      poll_ms: int('milliseconds', 50, 60_000).default(500),
      drawer_sensor: z.preprocess(lower, z.enum(['off', 'high', 'low'], { error: 'must be off, high (pin 3 high = open) or low' })).default('off'),
      drawer_open_ms: int('milliseconds', 100, 600_000).default(3000),
      // displays
      columns: int('a number of columns (20)', 8, 40).default(20),
      follow_sale: z.boolean({ error: 'must be true or false' }).default(false),
      status_timeout_ms: int('milliseconds', 50, 60_000).default(1000),
      queue_max_jobs: int('a number of jobs', 1, 1000).default(20),
      queue_timeout_ms: int('milliseconds', 0, 24 * 3600_000).default(60_000),
      reconnect_max_ms: int('milliseconds', 100, 600_000).default(10_000),
    })
    .strict()
    .superRefine((d, ctx) => {
      const need = (key: keyof typeof d, why: string) => {
        if (d[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
      };
      const only = (allowed: readonly string[], why: string) => {
        if (!allowed.includes(d.kind)) ctx.addIssue({ code: 'custom', path: ['transport'], message: why });
      };
      switch (d.transport) {
        case 'serial': need('path', 'for transport serial (e.g. /dev/serial/by-id/usb-…)'); break;
        case 'usb':
          need('vendor_id', 'for transport usb');
          need('product_id', 'for transport usb');
          only(['printer', 'display'], 'usb is for printers and displays; USB scanners and card readers use serial (CDC/VCP mode) or evdev (keyboard mode)');
          break;
        case 'tcp': need('host', 'for transport tcp'); break;
        case 'file':
          need('path', 'for transport file (e.g. /dev/usb/lp0)');
          only(['printer', 'display'], 'file is write-only: only printers and displays can use it');
          break;
        case 'evdev':
          need('path', 'for transport evdev (e.g. /dev/input/by-id/usb-…-event-kbd)');
          only(['barcode-scanner', 'card-reader'], 'evdev is for keyboard-wedge scanners and card readers');
          break;
        case 'virtual': break;
      }
      // The drawer is read with DLE EOT: a write-only link, or status requests off, never reports it
      // (drawer.open wait_closed would wait out its timeout for nothing).
      if (d.drawer_sensor !== 'off' && (d.transport === 'file' || d.status === false)) {
        ctx.addIssue({ code: 'custom', path: ['drawer_sensor'], message: d.transport === 'file'
          ? 'needs a printer link that answers status requests: transport file is write-only (use off)'
          : 'needs status requests, which status: false turns off (use off)' });
      }
    });
}

type DeviceConfigSchema = ReturnType<typeof buildDeviceConfigSchema>;
let built: DeviceConfigSchema | undefined;
/** The schema of one `devices:` entry (made on first use). */
export const deviceConfigSchema = (): DeviceConfigSchema => (built ??= buildDeviceConfigSchema());

export type DeviceConfig = z.output<DeviceConfigSchema>;
export type DeviceConfigInput = z.input<DeviceConfigSchema>;

/** The whole `devices:` list: each entry valid and names unique. z.lazy: an entry is checked by the schema above, made then. */
export const devicesConfigSchema = z.array(z.lazy(deviceConfigSchema)).default([]).superRefine((devices, ctx) => {
  const seen = new Set<string>();
  devices.forEach((d, i) => {
    if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate device name "${d.name}"` });
    seen.add(d.name);
  });
});
