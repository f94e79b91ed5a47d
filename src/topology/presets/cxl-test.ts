/**
 * DOC: The `cxl_test` preset — the kernel's mock CXL topology (tools/testing/cxl/test/cxl.c,
 * mem.c), built as a topology object (`mock: true`: platform devices, names as the mock gives
 * them). The mock is kernel code, so the topology is a function of the guest kernel: each
 * change is an entry of CXL_TEST_MOCK_SINCE (./cxl-test-kver.ts).
 *
 * * Host bridges (CHBS UID = index): cxl_host_bridge.0 and .1 (CXL 2.0, two root ports each),
 *   .2 (CXL 2.0, one root port); from 6.2 (`rch`) also .3 (RCH, CXL 1.1, its RCD cxl_rcd.10
 *   attached directly).
 * * cxl_root_port.i (i = 0..3) under host bridge i % 2, each with switch cxl_switch_uport.i;
 *   cxl_switch_dport.j (j = 0..7) under switch j % 4 with memdev cxl_mem.j. Single host
 *   bridge: cxl_root_port.4 → cxl_switch_uport.4 → dports 8, 9 → cxl_mem.8, .9. Port
 *   numbers (dport ids) are the platform device ids; memdev serial = platform id.
 * * Memdevs: 1 GiB volatile + 1 GiB persistent, LSA 128 KiB; the RCD 2 GiB volatile.
 * * HDM (mock_cxl_setup_hdm / mock_cxl_enumerate_decoders): 8 decoders on every port and
 *   endpoint, 2 targets per host-bridge / switch decoder, capability masks all ones.
 * * Windows (interleave_arithmetic=0): 0 = HB0 1G volatile, 1 = HB0+HB1 2G volatile, 2 = HB0
 *   1G pmem, 3 = HB0+HB1 2G pmem, 4 = HB2 1G pmem, 5 = HB3 (RCH) 256M volatile (6.2+); all
 *   HBIG 4 (4 KiB), restrictions HOSTONLYMEM (= TYPE3) | VOLATILE or PMEM. With
 *   interleave_arithmetic=1 (6.2+, `xorWindows`; earlier kernels ignore the parameter):
 *   XOR windows HB0 2G (4 KiB), HB0+HB1 2G (256 B), and cfmws8: before `xorThreeWay`
 *   HB0+HB1+HB0+HB1 4G (256 B, 4 ways), from it HB0+HB1+HB2 3G (512 B). QTG ids: FAKE_QTG_ID
 *   42 from 6.8 (`fakeQtgId`), before it the modulo window's index and 0, 1, 0 for the XOR
 *   windows. The CXIMS (HBIG 0, maps 0x404100, 0x808200) comes with the XOR windows.
 * * Bases: the mock carves CHBS blocks and windows first-fit from a 64 GiB gen_pool (2 MiB
 *   granules) at `iomem_resource.end + 1 − 64 GiB`; pinned here for a 46-bit physical address
 *   space, so window 0 starts at pool + 256 MiB.
 * * Auto region (mock_init_hdm_decoder, Linux ≥ 6.3, `autoRegion`; none before): endpoint
 *   decoder 0 of cxl_mem.0 and cxl_mem.4, switch
 *   cxl_switch_uport.0 decoder 0 (2-way, targets dport 0, dport 4) and host bridge 0 decoder 0
 *   (1-way, root port 0) are committed at window 0's base, 512 MiB, 4 KiB granularity; each
 *   endpoint maps DPA 0..256 MiB. The mock always uses mock_cfmws[0]'s base, which is only
 *   placed in modulo mode: with XOR windows the decoders are committed at HPA 0.
 */

import type { KernelVersion } from '../../profile.ts';
import type {
  Cxims,
  FixedWindow,
  HdmCaps,
  HostBridge,
  PreCommittedDecoder,
  SwitchDev,
  Topology,
  Type3Dev,
} from '../model.ts';
import { cxlTestMockHas } from './cxl-test-kver.ts';

const MiB = 1n << 20n;
const GiB = 1n << 30n;

/** Start of the mock's address pool: 64 GiB below the top of a 46-bit physical space. */
export const CXL_TEST_POOL_BASE = (1n << 46n) - 64n * GiB;

/** FAKE_QTG_ID (6.8+). */
const FAKE_QTG_ID = 42;
/** ACPI_CEDT_CFMWS_RESTRICT_HOSTONLYMEM (formerly TYPE3, bit 1) | VOLATILE, and | PMEM. */
const RESTRICT_VOLATILE = 0x2 | 0x4;
const RESTRICT_PMEM = 0x2 | 0x8;
/** mock_auto_region_size. */
const AUTO_REGION_SIZE = 512n * MiB;

const mockHdm = (targetCount: number): HdmCaps => ({
  decoderCount: 8,
  targetCount,
  a11to8: true,
  a14to12: true,
  iw3612: true,
  iw16: true,
});

/** Window specs: targets (host bridge indexes), size, granularity, restrictions, pre-6.8 qtg_id. */
type WindowSpec = [number[], bigint, number, number, number];

/** cfmws0–4 (every modelled kernel) and cfmws5, the RCH's window (`rch`). */
const MODULO: WindowSpec[] = [
  [[0], 1n * GiB, 4096, RESTRICT_VOLATILE, 0],
  [[0, 1], 2n * GiB, 4096, RESTRICT_VOLATILE, 1],
  [[0], 1n * GiB, 4096, RESTRICT_PMEM, 2],
  [[0, 1], 2n * GiB, 4096, RESTRICT_PMEM, 3],
  [[2], 1n * GiB, 4096, RESTRICT_PMEM, 4],
];
const MODULO_RCH: WindowSpec = [[3], 256n * MiB, 4096, RESTRICT_VOLATILE, 5];

/** cfmws6, cfmws7, and the two eras of cfmws8 (`xorThreeWay`). */
const XOR: WindowSpec[] = [
  [[0], 2n * GiB, 4096, RESTRICT_PMEM, 0],
  [[0, 1], 2n * GiB, 256, RESTRICT_PMEM, 1],
];
const XOR_X4: WindowSpec = [[0, 1, 0, 1], 4n * GiB, 256, RESTRICT_PMEM, 0];
const XOR_X3: WindowSpec = [[0, 1, 2], 3n * GiB, 512, RESTRICT_PMEM, 0];

const hbId = (i: number) => `cxl_host_bridge.${i}`;

function memdev(j: number, committed?: PreCommittedDecoder[]): Type3Dev {
  const m: Type3Dev = {
    kind: 'type3',
    id: `cxl_mem.${j}`,
    serial: BigInt(j),
    volatileSize: 1n * GiB,
    persistentSize: 1n * GiB,
    lsaSize: 128n * 1024n,
    hdm: mockHdm(1),
  };
  if (committed) m.committed = committed;
  return m;
}

function mockSwitch(
  i: number,
  dports: number[],
  auto: (extra: Partial<PreCommittedDecoder>) => PreCommittedDecoder[] | undefined,
): SwitchDev {
  const sw: SwitchDev = {
    kind: 'switch',
    id: `cxl_switch_uport.${i}`,
    hdm: mockHdm(2),
    downstream: dports.map((j) => ({
      id: `cxl_switch_dport.${j}`,
      port: j,
      child: memdev(j, j === 0 || j === 4 ? auto({ ways: 2 }) : undefined),
    })),
  };
  const c = i === 0 ? auto({ ways: 2, targets: [0, 4] }) : undefined;
  if (c) sw.committed = c;
  return sw;
}

/**
 * The cxl_test topology.
 * @param opts.interleaveArithmetic the module parameter: 0 modulo windows (default), 1 XOR
 *   (a kernel whose mock has no XOR windows ignores it: modulo windows)
 * @param opts.kernel the guest kernel whose tools/testing/cxl is modelled (absent: the latest);
 *   each difference is an entry of CXL_TEST_MOCK_SINCE: no RCH before 6.2, no auto region
 *   before 6.3 (nothing pre-committed), per-window qtg ids before 6.8, the 4-way XOR cfmws8
 *   before `xorThreeWay`.
 */
export function cxlTestTopology(
  opts: { interleaveArithmetic?: 0 | 1; kernel?: KernelVersion } = {},
): Topology {
  const has = (c: Parameters<typeof cxlTestMockHas>[1]) => cxlTestMockHas(opts.kernel, c);
  const xor = opts.interleaveArithmetic === 1 && has('xorWindows');
  const autoRegion = has('autoRegion');
  const rch = has('rch');
  const specs = xor
    ? [...XOR, has('xorThreeWay') ? XOR_X3 : XOR_X4]
    : [...MODULO, ...(rch ? [MODULO_RCH] : [])];
  // the CHBS blocks come first in the pool: one 64 KiB (CXL 2.0) or 8 KiB (CXL 1.1) block per
  // host bridge, each rounded up to the 2 MiB granule
  let cursor = CXL_TEST_POOL_BASE + BigInt(rch ? 4 : 3) * 2n * MiB;
  const windows: FixedWindow[] = specs.map(
    ([targets, size, granularity, restrictions, qtg], index) => {
      const base = ((cursor + 256n * MiB - 1n) / (256n * MiB)) * (256n * MiB);
      cursor = base + size;
      return {
        index,
        targets: targets.map(hbId),
        size,
        granularity,
        base,
        restrictions,
        arithmetic: xor ? 'xor' : 'modulo',
        qtgId: has('fakeQtgId') ? FAKE_QTG_ID : qtg,
      };
    },
  );
  const autoBase = xor ? 0n : (windows[0]?.base ?? 0n);
  const auto = (extra: Partial<PreCommittedDecoder>): PreCommittedDecoder[] | undefined =>
    autoRegion
      ? [{ index: 0, base: autoBase, size: AUTO_REGION_SIZE, ways: 1, granularity: 4096, ...extra }]
      : undefined;
  const MOCK_HB_BUS = [0x10, 0x30, 0x50, 0x70];
  const hostBridges: HostBridge[] = [0, 1].map((h) => ({
    id: hbId(h),
    // The mock's host bridges are platform devices; here each gets its own PCI root bus, far
    // enough apart for the buses below it (bus 0 is the root complex's own).
    busNr: MOCK_HB_BUS[h] ?? 0,
    segment: 0,
    uid: h,
    hdm: mockHdm(2),
    rootPorts: [h, h + 2].map((i) => ({
      id: `cxl_root_port.${i}`,
      port: i,
      child: mockSwitch(i, [i, i + 4], auto),
    })),
  }));
  const hb0 = hostBridges[0];
  const hbAuto = auto({ ways: 1, targets: [0] });
  if (hb0 && hbAuto) hb0.committed = hbAuto;
  hostBridges.push({
    id: hbId(2),
    busNr: MOCK_HB_BUS[2] ?? 0,
    segment: 0,
    uid: 2,
    // the mock's single-dport host bridge still has HDM decoders
    hdmForPassthrough: true,
    hdm: mockHdm(2),
    rootPorts: [{ id: 'cxl_root_port.4', port: 4, child: mockSwitch(4, [8, 9], () => undefined) }],
  });
  if (rch)
    hostBridges.push({
      id: hbId(3),
      busNr: MOCK_HB_BUS[3] ?? 0,
      segment: 0,
      uid: 3,
      rch: true,
      rootPorts: [],
      rcd: {
        kind: 'type3',
        id: 'cxl_rcd.10',
        serial: 10n,
        volatileSize: 2n * GiB,
        persistentSize: 0n,
        lsaSize: 128n * 1024n,
      },
    });
  // mock_acpi_table_parse_cedt() hands out the CXIMS whenever the mock has one (6.2+)
  const cxims: Cxims[] = has('xorWindows')
    ? [{ granularity: 256, xormaps: [0x404100n, 0x808200n] }]
    : [];
  return {
    name: xor ? 'cxl_test_xor' : 'cxl_test',
    source: { kind: 'preset', name: xor ? 'cxl_test_xor' : 'cxl_test' },
    machine: { type: 'q35', ramSize: 2n * GiB, cxl: true, options: {} },
    hostBridges,
    windows,
    cxims,
    ignored: [],
    mock: true,
    ...(opts.interleaveArithmetic === 1 ? { mockArgs: ['interleave_arithmetic=1'] } : {}),
  };
}
