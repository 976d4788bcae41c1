// Doctor's look at a keyboard-wedge reader (transport evdev): the input node is there, is an
// input device, is readable by this user, and the EVIOCGRAB addon is built when `grab` is on.
// Like serial ports, the node is never opened: the agent holds (and has grabbed) it.
import { accessSync, constants, statSync } from 'node:fs';
import type { DeviceConfig } from '../../drivers/config.ts';
import { grabAvailable } from '../../drivers/evdev-grab.ts';

export interface Problem {
  detail: string;
  hint: string;
}

/** What is wrong with an evdev reader's node, or its presence line when nothing is. */
export function evdevCheck(d: DeviceConfig): { problem: Problem } | { presence: string } {
  const path = d.path ?? '';
  let stat;
  try {
    stat = statSync(path);
  } catch (error) {
    return { problem: {
      detail: `missing input device (${(error as NodeJS.ErrnoException).code ?? error})`,
      hint: 'plug the scanner in (USB keyboard mode); name it by its /dev/input/by-id/…-event-kbd path or the /dev/till/… name ' +
        'from the udev rules (till-agent ports lists the keyboards this machine sees)',
    } };
  }
  if (!stat.isCharacterDevice()) {
    return { problem: { detail: 'not an input device (not a character device)', hint: 'path must be the event node, e.g. /dev/input/by-id/usb-…-event-kbd' } };
  }
  try {
    accessSync(path, constants.R_OK);
  } catch {
    return { problem: {
      detail: 'not readable by this user',
      hint: 'the udev rules give keyboard-wedge scanners to group till-input (systemd/udev/60-till-agent.rules); add a line for this model',
    } };
  }
  if (d.grab) {
    const addon = grabAvailable();
    if (!addon.ok) return { problem: { detail: 'cannot grab it', hint: addon.reason } };
  }
  return { presence: `input device present${d.grab ? '' : ' (grab: false: scans also type into the focused window)'}` };
}
