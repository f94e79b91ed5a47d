/**
 * DOC: ndctl's state-changing `cxl` subcommands that cxlsim runs on the guest (besides `list`),
 * with one-line summaries for `cxlsim --help`. Data only, so that the CLI's start-up stays light.
 */

/** One-line summaries of the ndctl subcommands for `--help`. */
export const NDCTL_HELP: [string, string][] = [
  ['create-region', 'create and commit an interleaved region'],
  ['destroy-region', 'tear down and delete regions'],
  ['enable-region', 'bind regions to cxl_region'],
  ['disable-region', 'unbind regions'],
  ['enable-memdev', 'bind memdevs to cxl_mem'],
  ['disable-memdev', 'unbind memdevs'],
  ['enable-port', 'bind ports to cxl_port'],
  ['disable-port', 'unbind ports'],
  ['disable-bus', 'unbind a CXL root'],
  ['reserve-dpa', 'allocate DPA on an endpoint decoder'],
  ['free-dpa', 'free DPA'],
  ['set-partition', 'change the volatile/persistent split'],
  ['read-labels', 'read the label storage area'],
  ['write-labels', 'write the label storage area'],
  ['zero-labels', 'zero the label storage area'],
  ['update-firmware', 'upload a firmware image through the firmware loader'],
  ['wait-sanitize', 'wait for a running sanitize to end'],
  ['set-alert-config', 'set the device alert thresholds'],
  [
    'monitor',
    "print the kernel's cxl trace events as JSON lines (cxlsim: those since boot, then exits)",
  ],
];
