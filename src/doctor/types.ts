/** DOC: what `cxlsim doctor` reports (src/doctor). */

/** One finding: what will happen, and the QEMU option to change. */
export interface Finding {
  /** error: QEMU refuses or nothing CXL works; warning: something will fail; info: worth knowing. */
  severity: 'error' | 'warning' | 'info';
  /** Stable id: 'qemu-refuses', 'window-no-memdev', 'hypervisor', … */
  kind: string;
  /** What it is about: "cxl-fmw.1", "cxl.0", a device id. */
  subject: string;
  message: string;
  /** The QEMU option (or option key) to change. */
  option: string;
}

/** The doctor's answer for one profile. */
export interface ProfileReport {
  /** Profile name and its stack ("latest: Linux 7.3, QEMU 11.1, ndctl 85"). */
  profile: string;
  stack: string;
  /** QEMU's own refusal (the guest never starts), as QEMU prints it. */
  qemuError?: string;
  findings: Finding[];
  /** Verified region commands, one per window and region type at most. */
  regions: { window: number; rootDecoder: string; command: string }[];
  /** Devices whose HDM decoding is passthrough (no HDM decoders on their host bridge) or VMM-programmed. */
  passthrough: string[];
}
