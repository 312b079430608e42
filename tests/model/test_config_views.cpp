// Config space as a guest sees it, provider by provider, driven by guest
// programs: hv-land keeps every byte outside BAR0-BAR3 and the MSI-X
// capability as the VM writes it, in that VM's own copy
// (write_ivshmem_vdev_cfg -> pci_vdev_write_vcfg); dm-land follows acrn-dm's
// pci_emul_init, pci_emul_alloc_pbar, pci_cfgrw and pci_emul_mem_handler.
#include <systemc>

#include <catch2/catch.hpp>

#include "models/hv/ivshmem_device.h"
#include "tests/support/testbench.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/pci_config.h"

using namespace ivsim;

namespace {

const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");
const pci::Bdf k09 = *pci::Bdf::parse("00:09.0");

}  // namespace

TEST_CASE("hv-land: a guest's writes outside the BARs and MSI-X stay in its own view and change nothing else") {
  test::Bench b(test::two_vm_scenario());
  u32 ids = 0, class_rev = 0, cap_ptr = 0, bar4 = 0, peer_ids = 0;
  int handled = 0;
  bool written = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), 0x45);
    g.on_interrupt(0x45, [&](Guest&) { ++handled; });
    pci_cfg_write32(g, k08, 0x00, 0xDEAD'BEEF);  // vendor and device ID
    pci_cfg_write32(g, k08, 0x08, 0x0C03'0042);  // revision, class
    pci_cfg_write16(g, k08, 0x34, 0x0080);       // capability pointer
    pci_cfg_write32(g, k08, 0x20, 0x1234'5678);  // BAR4: an ordinary byte range (nr_bars = 4)
    ids = pci_cfg_read32(g, k08, 0x00);
    class_rev = pci_cfg_read32(g, k08, 0x08);
    cap_ptr = pci_cfg_read32(g, k08, 0x34) & 0xFF;
    bar4 = pci_cfg_read32(g, k08, 0x20);
    written = true;
    g.compute(1'000'000);  // the peer rings meanwhile
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    while (!written) g.compute(1000);
    peer_ids = pci_cfg_read32(g, k08, 0x00);
    ivshmem_write_doorbell(g, *d, 0, 0);  // the RT VM's MSI-X still works: its capability is where the device keeps it
  });
  sc_core::sc_start();
  CHECK(ids == 0xDEAD'BEEFu);
  CHECK(class_rev == 0x0C03'0042u);
  CHECK(cap_ptr == 0x80);
  CHECK(bar4 == 0x1234'5678u);
  CHECK(peer_ids == 0x1110'1AF4u);  // the other VM's view is its own
  CHECK(handled == 1);
}

TEST_CASE("dm-land: acrn-dm's reset values, BAR2 flags by window, 4-byte-only BAR writes, writable bytes") {
  Scenario s = test::mixed_scenario();
  RegionConfig big = s.regions[1];
  big.name = "big";
  big.size_mib = 64;  // above 32 MiB: acrn-dm allocates it in the 64-bit window
  big.members = {{"UOS_VM", *pci::Bdf::parse("00:09.0")}};
  s.regions.push_back(big);
  s.vms[3].memory_mib = 256;
  test::Bench b(s);
  u32 cmd = 0, intline = 0, bar2_small = 0, bar2_big = 0, bar0_before = 0, bar0_after = 0, vendor = 0, status = 0;
  u64 wide = 0;
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    cmd = pci_cfg_read16(g, k08, 0x04);
    intline = pci_cfg_read8(g, k08, 0x3C);
    bar2_small = pci_cfg_read32(g, k08, 0x18) & 0xF;
    bar2_big = pci_cfg_read32(g, k09, 0x18) & 0xF;
    bar0_before = pci_cfg_read32(g, k08, 0x10);
    pci_cfg_write16(g, k08, 0x10, 0x1234);  // pci_cfgrw: not 4 bytes, ignored
    pci_cfg_write16(g, k08, 0x12, 0x9000);
    bar0_after = pci_cfg_read32(g, k08, 0x10);
    pci_cfg_write16(g, k08, 0x00, 0xBEEF);  // CFGWRITE: stored as written
    vendor = pci_cfg_read16(g, k08, 0x00);
    pci_cfg_write32(g, k08, 0x04, 0xFFFF'0007);  // Status is read-only
    status = pci_cfg_read16(g, k08, 0x06);
    // An 8-byte read of IVPosition: two 4-byte reads, IVPosition (0) and
    // the Doorbell offset (not readable: all-ones).
    wide = g.load<u64>((bar0_before & ~0xFu) + 0x08);
  });
  sc_core::sc_start();
  CHECK(cmd == 0x0007);  // pci_emul_init: I/O, memory, bus master
  CHECK(intline == 0xFF);
  CHECK(bar2_small == 0x4);  // 64-bit, not prefetchable: below 4 GiB
  CHECK(bar2_big == 0xC);    // 64-bit, prefetchable
  CHECK(bar0_after == bar0_before);
  CHECK(vendor == 0xBEEF);
  CHECK(status == 0);
  CHECK(wide == 0xFFFF'FFFF'0000'0000ULL);
}
