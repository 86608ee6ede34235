/** Upstream's annotation keys and value rules. Values are only ever matched, never evaluated. */

export const ANNOTATION_PREFIX = "org.containers.qm.";
export const DEVICE_PREFIX = "org.containers.qm.device.";
export const SEAT_KEY = "org.containers.qm.wayland.seat";
export const GPU_KEY = "org.containers.qm.wayland-client.gpu";

/** `org.containers.qm.device.<type>` is on only for these exact, case-sensitive values. */
export const isDeviceEnabled = (value: string): boolean => /^(true|1|yes)$/.test(value);

/** `org.containers.qm.wayland-client.gpu` also accepts the capitalised spellings, but not mixed case. */
export const isGpuEnabled = (value: string): boolean => /^(true|1|yes|True|TRUE|YES)$/.test(value);

/** The seat annotation's value names the seat; empty and "null" mean no seat. */
export const seatName = (value: string): string | undefined =>
  value === "" || value === "null" ? undefined : value;

/** logind seat names: "seat" then letters, digits, "-" or "_" (anything else cannot name a seat). */
export const isValidSeatName = (name: string): boolean => /^seat[A-Za-z0-9_-]{0,250}$/.test(name);
