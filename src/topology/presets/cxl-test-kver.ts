/**
 * DOC: kernel-version switches of the cxl_test mock topology (tools/testing/cxl/test/cxl.c is
 * kernel code: the module built with the guest's kernel decides its host bridges, windows and
 * decoders). One named entry per change with the first kernel release that has it; the
 * evidence is the kernel history as read from the mailing-list archives (commit ids where the
 * pull requests name them). docs/profiles.md lists each entry.
 *
 * Unchanged across every modelled kernel: NR_CXL_PORT_DECODERS 8 (raised from 2 with the v6.0
 * region series, "for the x2 host-bridge interleave windows, allow for a
 * x8-endpoint-interleave", June 2022), the windows' sizes (HB0 1 GiB, HB0+HB1 2 GiB, per
 * memory type, same series), the single-root-port host bridge cxl_host_bridge.2 and its 1 GiB
 * pmem window (e41c8452b9b2, v6.1-rc4), and the restriction bits: the v6.18-era rename
 * ACPI_CEDT_CFMWS_RESTRICT_TYPE3 → HOSTONLYMEM ("acpi, tables: Rename coherency CFMW
 * restrictions", ACPICA 710745713ad3) keeps bit 1, so it changes no value cxlsim shows.
 */
import { type KernelVersion, kernelBase } from '../../profile.ts';

/** cxl_test mock changes, each with the first kernel release whose mock has it. */
export const CXL_TEST_MOCK_SINCE = {
  /**
   * "tools/testing/cxl: Add an RCH topology" (c9435dbee119, for-6.2/cxl): the fourth host
   * bridge cxl_host_bridge.3 with a CXL 1.1 CHBS (uid 3), its RCD cxl_rcd.10, and window 5
   * (RCH, 256 MiB volatile). Before it (6.1): three host bridges, windows 0–4.
   */
  rch: '6.2',
  /**
   * "tools/testing/cxl: Add XOR Math support to cxl_test" (for-6.2/cxl): the
   * `interleave_arithmetic` module parameter, XOR windows cfmws6–8 and the CXIMS. Before it
   * the parameter does not exist (the kernel ignores an unknown parameter and loads the modulo
   * windows); 6.1's cxl_acpi has no XOR arithmetic either.
   */
  xorWindows: '6.2',
  /**
   * The auto region on cxl_mem.0 / cxl_mem.4, committed by the mock's mock_init_hdm_decoder()
   * (with region autodiscovery, v6.3; CXL_KVER.mockHdmDecoderInit is the same change on the
   * driver side).
   */
  autoRegion: '6.3',
  /**
   * "cxl/test: Add support for qos_class checking" (117132edc690, cxl-fixes-6.8-rc6): every
   * window's qtg_id is FAKE_QTG_ID 42. Before it: the window's own index among the modulo
   * windows (0–5) and 0, 1, 0 for the XOR windows cfmws6–8.
   */
  fakeQtgId: '6.8',
  /**
   * cfmws8 (XOR) becomes a 3-way window: interleave_ways encoding 8 (3 ways), granularity
   * encoding 1 (512 B), SZ_512M * 6 (3 GiB), targets {0, 1, 2}. Before it, cfmws8 was the
   * 4-way window ndctl 76.1's cxl-xor-region.sh uses: encoding 2 (4 ways), granularity 0
   * (256 B), SZ_256M * 16 (4 GiB), targets {0, 1, 0, 1} (ndctl 67a3281, 2023-11, calls it
   * "improperly defined": host bridges repeat). Release not pinned down: the 4-way window is
   * still the context of a patch against the v6.13 cxl tree (2024-11-04, "cxl: Rename
   * ACPI_CEDT_CFMWS_RESTRICT_TYPE2/TYPE3"), so v6.12 has it; the 3-way one is the context of
   * the v6.18 cxl tree's rename patch (2025-09-04). 6.13 is the first release that can have
   * it; every modelled kernel (6.1 and 6.12 before, 7.0 and 7.3 after) is on the same side
   * for any release 6.13–6.18.
   */
  xorThreeWay: '6.13',
} as const;

/**
 * cxl_test's module parameters (cxl.c `module_param()`), each with the mock change that added
 * it; a parameter the guest's cxl_test does not declare is logged and ignored at load.
 */
export const CXL_TEST_PARAMS: Readonly<Record<string, CxlTestMockChange>> = {
  interleave_arithmetic: 'xorWindows',
};

/** The module parameters the cxl_test of `kernel` declares (absent: the latest). */
export function cxlTestParams(kernel: KernelVersion | undefined): string[] {
  return Object.entries(CXL_TEST_PARAMS)
    .filter(([, since]) => cxlTestMockHas(kernel, since))
    .map(([name]) => name);
}

/** A cxl_test mock change of {@link CXL_TEST_MOCK_SINCE}. */
export type CxlTestMockChange = keyof typeof CXL_TEST_MOCK_SINCE;

/** "MAJOR.MINOR" as MAJOR*100+MINOR. */
function num(v: string): number {
  const [a = '0', b = '0'] = v.split('.');
  return Number(a) * 100 + Number(b);
}

/**
 * Whether the cxl_test mock of `kernel` (a variant compares as its upstream base; absent: the
 * latest kernel) has change `name`.
 */
export function cxlTestMockHas(
  kernel: KernelVersion | undefined,
  name: CxlTestMockChange,
): boolean {
  if (kernel === undefined) return true;
  return num(kernelBase(kernel)) >= num(CXL_TEST_MOCK_SINCE[name]);
}
