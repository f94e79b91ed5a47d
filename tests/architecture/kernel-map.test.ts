/**
 * docs/kernel-map.md is the map the source's doc comments give, and the kernel functions that
 * issue 13 names live in their kernel file's twin.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildKernelMap, KERNEL_MAP_DOC, renderKernelMap } from '../../scripts/kernel-map.ts';

describe('docs/kernel-map.md', () => {
  const entries = buildKernelMap();

  it('is up to date (regenerate: npx tsx scripts/kernel-map.ts)', () => {
    expect(entries.length).toBeGreaterThan(300);
    expect(readFileSync(KERNEL_MAP_DOC, 'utf8')).toBe(renderKernelMap(entries));
  });

  it.each([
    ['devm_cxl_add_port', 'src/drivers/cxl/core/add-port.ts'],
    ['devm_cxl_add_dport', 'src/drivers/cxl/core/add-port.ts'],
    ['find_cxl_port', 'src/drivers/cxl/core/add-port.ts'],
    ['devm_cxl_enumerate_ports', 'src/drivers/cxl/core/port.ts'],
    ['cxl_detach_ep', 'src/drivers/cxl/core/port.ts'],
    ['devm_cxl_add_memdev', 'src/drivers/cxl/core/memdev.ts'],
    ['devm_cxl_setup_hdm', 'src/drivers/cxl/core/hdm.ts'],
    ['devm_cxl_enumerate_decoders', 'src/drivers/cxl/core/hdm.ts'],
    ['cxl_mem_probe', 'src/drivers/cxl/mem.ts'],
    ['cxl_port_probe', 'src/drivers/cxl/port.ts'],
    ['really_probe', 'src/kernel/dd.ts'],
  ])('%s is modelled in %s', (fn, file) => {
    expect(entries.filter((e) => e.cFunction === fn).map((e) => e.file)).toContain(file);
  });
});
