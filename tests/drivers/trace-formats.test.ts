/**
 * The cxl trace events' TP_printk text per kernel (drivers/cxl/core/trace.h): the same QMP
 * injections (QEMU's cxl-inject-general-media-event / -dram-event / -memory-module-event /
 * -poison) print the CXL 3.0 record text on debian-13's 6.12 (no maint_op_sub_class, sub_type,
 * PLDM component id, cme counts; DRAM types from the DRAM table) and the CXL 3.1 text on
 * latest's 7.3; debian-12's 6.1 has no cxl event or poison tracing at all. Each expected line
 * is written out from the trace.h format of that version; the header's time, serial, host and
 * handle vary and are matched loosely.
 */
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../src/boot.ts';
import { cxlQmp } from '../../src/hw/qmp/cxl.ts';
import { kernelTrace } from '../../src/kernel/trace.ts';
import { resolveProfile } from '../../src/profile.ts';
import { getPreset } from '../../src/topology/presets/index.ts';

const PMEM1 = '/machine/peripheral/cxl-pmem1';

function boot(name: string) {
  const profile = resolveProfile(name);
  const m = bootMachine(getPreset('default', profile.qemu), { profile });
  const fns = [...(m.platform?.functions().values() ?? [])];
  const qmp = (cmd: string, args: object) =>
    cxlQmp(fns, cmd, { path: PMEM1, ...args }, profile.qemu);
  const lines = (name: string) =>
    kernelTrace(m.kernel)
      .history.filter((e) => e.name === name)
      .map((e) => e.text);
  return { m, qmp, lines };
}

const GM = {
  log: 'warning',
  flags: (1 << 2) | (1 << 6),
  dpa: 0x1000 | 1,
  descriptor: 1,
  type: 1,
  'transaction-type': 8,
  channel: 2,
  rank: 3,
  device: 0x10,
};
const DRAM = {
  log: 'failure',
  flags: 0,
  dpa: 0x2000,
  descriptor: 2,
  type: 1,
  'transaction-type': 1,
  channel: 1,
  rank: 0,
  'nibble-mask': 0xab,
  'bank-group': 2,
  bank: 3,
  row: 7,
  column: 9,
};
const MM = {
  log: 'informational',
  flags: 0,
  type: 7,
  'health-status': 8 | 1,
  'media-status': 1,
  'additional-status': 0x15,
  'life-used': 33,
  temperature: -5,
  'dirty-shutdown-count': 4,
  'corrected-volatile-error-count': 5,
  'corrected-persistent-error-count': 6,
};

/** "memdev=memN host=… serial=N log=L : time=T uuid=U len=128 flags='F' handle=H related_handle=0 maint_op_class=0" */
const hdr = (log: string, uuid: string, flags: string, sub: boolean) =>
  `memdev=mem\\d+ host=\\S+ serial=1 log=${log} : time=\\d+ uuid=${uuid} len=128 flags='${flags}' handle=[0-9a-f]+ related_handle=0 maint_op_class=0${sub ? ' maint_op_sub_class=0' : ''} : `;
const esc = (s: string) => s.replace(/[|()[\]]/g, '\\$&');
const ZEROS16 = Array(16).fill('00').join(' ');
const ZEROS32 = Array(32).fill('00').join(' ');
const NOREGION = 'hpa=ffffffffffffffff region= region_uuid=00000000-0000-0000-0000-000000000000';

describe('cxl trace event text per kernel', () => {
  it('6.12 (debian-13): the CXL 3.0 records', () => {
    const b = boot('debian-13');
    b.qmp('cxl-inject-general-media-event', GM);
    b.qmp('cxl-inject-dram-event', DRAM);
    b.qmp('cxl-inject-memory-module-event', MM);
    const gm = b.lines('cxl_general_media');
    const dram = b.lines('cxl_dram');
    const mm = b.lines('cxl_memory_module');
    expect([gm.length, dram.length, mm.length]).toEqual([1, 1, 1]);
    expect(gm[0]).toMatch(
      new RegExp(
        `^${hdr('Warning', 'fbcd0a77-c260-417f-85a9-088b1621eba6', 'PERMANENT_CONDITION \\| 0x40', false)}` +
          esc(
            `dpa=1000 dpa_flags='VOLATILE' descriptor='UNCORRECTABLE_EVENT' type='Invalid Address' transaction_type='0x8' channel=2 rank=3 device=10 comp_id=${ZEROS16} validity_flags='CHANNEL|RANK|DEVICE' ${NOREGION}`,
          ) +
          '$',
      ),
    );
    expect(dram[0]).toMatch(
      new RegExp(
        `^${hdr('Failure', '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624', '', false)}` +
          esc(
            `dpa=2000 dpa_flags='' descriptor='THRESHOLD_EVENT' type='Scrub Media ECC Error' transaction_type='Host Read' channel=1 rank=0 nibble_mask=ab bank_group=2 bank=3 row=7 column=9 cor_mask=${ZEROS32} validity_flags='CHANNEL|RANK|NIBBLE|BANK GROUP|BANK|ROW|COLUMN' ${NOREGION}`,
          ) +
          '$',
      ),
    );
    expect(mm[0]).toMatch(
      new RegExp(
        `^${hdr('Informational', 'fe927475-dd59-4339-a586-79bab113b774', '', false)}` +
          esc(
            "event_type='0x7' health_status='MAINTENANCE_NEEDED|0x8' media_status='Not Ready' as_life_used=Warning as_dev_temp=Warning as_cor_vol_err_cnt=Warning as_cor_per_err_cnt=Normal life_used=33 device_temp=-5 dirty_shutdown_cnt=4 cor_vol_err_cnt=5 cor_per_err_cnt=6",
          ) +
          '$',
      ),
    );
  });

  it('7.3 (latest): the CXL 3.1 records', () => {
    const b = boot('latest');
    b.qmp('cxl-inject-general-media-event', GM);
    b.qmp('cxl-inject-dram-event', DRAM);
    b.qmp('cxl-inject-memory-module-event', MM);
    const gm = b.lines('cxl_general_media');
    const dram = b.lines('cxl_dram');
    const mm = b.lines('cxl_memory_module');
    expect([gm.length, dram.length, mm.length]).toEqual([1, 1, 1]);
    const pldm = "comp_id_pldm_valid_flags='' pldm_entity_id=0x00 pldm_resource_id=0x00";
    expect(gm[0]).toMatch(
      new RegExp(
        `^${hdr('Warning', 'fbcd0a77-c260-417f-85a9-088b1621eba6', 'PERMANENT_CONDITION \\| MAINT_OP_SUB_CLASS_VALID', true)}` +
          esc(
            `dpa=1000 dpa_flags='VOLATILE' descriptor='UNCORRECTABLE_EVENT' type='Invalid Address' sub_type='Not Reported' transaction_type='Media Initialization' channel=2 rank=3 device=10 validity_flags='CHANNEL|RANK|DEVICE' comp_id=${ZEROS16} ${pldm} ${NOREGION} cme_threshold_ev_flags='' cme_count=0`,
          ) +
          '$',
      ),
    );
    expect(dram[0]).toMatch(
      new RegExp(
        `^${hdr('Failure', '601dcbb3-9c06-4eab-b8af-4e9bfb5c9624', '', true)}` +
          esc(
            `dpa=2000 dpa_flags='' descriptor='THRESHOLD_EVENT' type='Scrub Media ECC Error' sub_type='Not Reported' transaction_type='Host Read' channel=1 rank=0 nibble_mask=ab bank_group=2 bank=3 row=7 column=9 cor_mask=${ZEROS32} validity_flags='CHANNEL|RANK|NIBBLE|BANK GROUP|BANK|ROW|COLUMN' comp_id=${ZEROS16} ${pldm} ${NOREGION} sub_channel=0 cme_threshold_ev_flags='' cvme_count=0`,
          ) +
          '$',
      ),
    );
    expect(mm[0]).toMatch(
      new RegExp(
        `^${hdr('Informational', 'fe927475-dd59-4339-a586-79bab113b774', '', true)}` +
          esc(
            `event_type='Memory Media FRU Error' event_sub_type='Not Reported' health_status='MAINTENANCE_NEEDED|MEM_CAPACITY_DEGRADED' media_status='Not Ready' as_life_used=Warning as_dev_temp=Warning as_cor_vol_err_cnt=Warning as_cor_per_err_cnt=Normal life_used=33 device_temp=-5 dirty_shutdown_cnt=4 cor_vol_err_cnt=5 cor_per_err_cnt=6 validity_flags='' comp_id=${ZEROS16} ${pldm}`,
          ) +
          '$',
      ),
    );
  });

  it.each(['debian-13', 'latest'])('%s: cxl_poison has one format', (p) => {
    const b = boot(p);
    b.qmp('cxl-inject-poison', { start: 4096, length: 64 });
    const mem = String(b.m.sysfs.readdir('bus/cxl/devices').find((d) => d.startsWith('mem')));
    // the poisoned device: the one whose serial is 1
    const target = b.m.sysfs
      .readdir('bus/cxl/devices')
      .filter((d) => d.startsWith('mem'))
      .find((d) => String(b.m.sysfs.read(`bus/cxl/devices/${d}/serial`)) === '0x1\n');
    expect(mem).toBeDefined();
    b.m.sysfs.write(`bus/cxl/devices/${target}/trigger_poison_list`, '1\n');
    const p1 = b.lines('cxl_poison');
    expect(p1).toHaveLength(1);
    expect(p1[0]).toMatch(
      new RegExp(
        `^memdev=${target} host=\\S+ serial=1 trace_type=List region= region_uuid=00000000-0000-0000-0000-000000000000 hpa=0xffffffffffffffff dpa=0x1000 dpa_length=0x40 source=Internal flags= overflow_time=0$`,
      ),
    );
  });

  it('6.1 (debian-12): no cxl event tracing', () => {
    const b = boot('debian-12');
    expect(() => b.qmp('cxl-inject-general-media-event', GM)).toThrow(/has not been found/);
    expect(kernelTrace(b.m.kernel).history).toHaveLength(0);
  });
});
