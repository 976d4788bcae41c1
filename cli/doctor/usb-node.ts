// Doctor's look at a raw USB device's node (transport usb): libusb opens /dev/bus/usb/BBB/DDD
// read-write, and the kernel makes it root's (0664 at best) unless a udev rule gives it to
// group lp. Without that the agent's open fails with LIBUSB_ERROR_ACCESS while the printer is
// plainly "found". Like serial ports, the node is only looked at, never opened.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import type { UsbDeviceLike } from '../../drivers/transports/usb.ts';
import type { Problem } from './evdev.ts';

const RULES = 'systemd/udev/60-till-agent.rules';

/** The node of a device the `usb` module found, or undefined when it does not say where. */
export function usbNodePath(device: Pick<UsbDeviceLike, 'bus' | 'address'>, devRoot = '/dev'): string | undefined {
  const bus = Number.parseInt(device.bus ?? '', 10);
  const address = device.address;
  if (!Number.isInteger(bus) || address === undefined || !Number.isInteger(address)) return undefined;
  const pad = (n: number) => String(n).padStart(3, '0');
  return join(devRoot, 'bus', 'usb', pad(bus), pad(address));
}

/** What keeps this user from opening the node read-write, if anything. */
export function usbNodeProblem(node: string, ids: string): Problem | undefined {
  try {
    statSync(node);
  } catch (error) {
    return {
      detail: `found, but its device node ${node} is missing (${(error as NodeJS.ErrnoException).code ?? error})`,
      hint: 'USB needs /dev/bus/usb (a container or chroot may lack it): the service must run where udev manages /dev',
    };
  }
  try {
    accessSync(node, constants.R_OK | constants.W_OK);
  } catch {
    return {
      detail: `found, but ${node} is not readable and writable by this user`,
      hint: `the till-agent user needs read and write access: the udev rules (${RULES}, usb section) give USB printers `
        + `to group lp by vendor/product id; add a line for ${ids} in /etc/udev/rules.d/61-till-agent-local.rules, then `
        + `udevadm control --reload && udevadm trigger; check with ls -l ${node}, and run doctor as the till-agent user `
        + '(sudo -u till-agent), not as root',
    };
  }
  return undefined;
}
