// Conformance of the guest-visible devices with ACRN, behaviour by behaviour
// (fact sheet §1.3-§1.8, §2.3, §4), driven by guest programs through the
// whole platform: vCPU exits, hypervisor, vPCI, the Service VM's device model.
#define SC_INCLUDE_DYNAMIC_PROCESSES  // sc_spawn: a second guest boot after a reset
#include <systemc>

#include <catch2/catch.hpp>

#include <array>
#include <functional>
#include <map>
#include <string>

#include <fmt/format.h>

#include "models/dm/device_model.h"
#include "models/hv/hypercall_abi.h"
#include "models/hv/ivshmem_device.h"
#include "tests/support/testbench.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/pci_config.h"

using namespace ivsim;
using test::hv_device;

namespace {

const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");
const pci::Bdf k09 = *pci::Bdf::parse("00:09.0");

// The two-VM scenario with a second region, shm1, at 00:09.0 in both VMs:
// two hv-land devices in each VM.
Scenario two_regions_scenario() {
  Scenario s = test::two_vm_scenario();
  RegionConfig r2 = s.regions[0];
  r2.name = "shm1";
  r2.region_id = 8;
  r2.members = {{"RT_VM", k09}, {"HMI_VM", k09}};
  s.regions.push_back(r2);
  return s;
}

const DeviceModel& dm_of(Platform& p, VmId vm) {
  for (const auto& d : p.device_models())
    if (d->vm().id == vm) return *d;
  throw std::logic_error("no device model for that VM");
}

}  // namespace

TEST_CASE("hv-land config space reads as init_ivshmem_vdev sets it") {
  test::Bench b(test::two_vm_scenario());
  u32 ids = 0, class_rev = 0, subsystem = 0, cap_ptr = 0, msix_cap = 0, table = 0, pba = 0, pin = 0, header = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    ids = pci_cfg_read32(g, k08, 0x00);
    class_rev = pci_cfg_read32(g, k08, 0x08);
    header = pci_cfg_read8(g, k08, 0x0E);
    subsystem = pci_cfg_read32(g, k08, 0x2C);
    cap_ptr = pci_cfg_read8(g, k08, 0x34);
    msix_cap = pci_cfg_read32(g, k08, 0x40);
    table = pci_cfg_read32(g, k08, 0x44);
    pba = pci_cfg_read32(g, k08, 0x48);
    pin = pci_cfg_read8(g, k08, 0x3D);
  });
  sc_core::sc_start();
  CHECK(ids == 0x1110'1AF4u);
  CHECK(class_rev == 0x0500'0001u);  // class 05, subclass 00, prog-IF 00, revision 1
  CHECK(header == 0x80);             // function 0: multi-function bit
  CHECK(subsystem == ((7u << 16) | 0x8086u));
  CHECK(cap_ptr == 0x40);
  CHECK((msix_cap & 0xFF) == 0x11);         // MSI-X capability id
  CHECK(((msix_cap >> 16) & 0x7FF) == 7);   // table size 8
  CHECK(((msix_cap >> 16) & 0xC000) == 0);  // disabled, not masked at reset
  CHECK(table == 0x1);                      // BIR 1, offset 0
  CHECK(pba == (0x800u | 0x1));             // BIR 1, offset 0x800
  CHECK(pin == 0);                          // no INTx
}

TEST_CASE("a bus scan through ECAM finds what 0xCF8/0xCFC finds") {
  test::Bench b(test::mixed_scenario());
  std::vector<PciFunction> scan;
  u32 ecam_ids_08 = 0, ecam_ids_09 = 0, ecam_absent = 0;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    scan = pci_scan_bus(g, 0);
    ecam_ids_08 = pci_ecam_read32(g, k08, 0);
    ecam_ids_09 = pci_ecam_read32(g, k09, 0);
    ecam_absent = pci_ecam_read32(g, *pci::Bdf::parse("00:0a.0"), 0);
  });
  sc_core::sc_start();
  // hv-land device at 00:08.0 (hypervisor vPCI) and dm-land at 00:09.0 (acrn-dm).
  REQUIRE(scan.size() == 2);
  CHECK(scan[0].bdf == k08);
  CHECK(scan[1].bdf == k09);
  for (const auto& f : scan) {
    CHECK(f.vendor == 0x1AF4);
    CHECK(f.device == 0x1110);
    CHECK(f.class_code == 0x050000);
  }
  CHECK(ecam_ids_08 == 0x1110'1AF4u);
  CHECK(ecam_ids_09 == 0x1110'1AF4u);
  CHECK(ecam_absent == 0xFFFF'FFFFu);
  // The dm-land device's config accesses went to the device model.
  CHECK(dm_of(*b.platform, 2).requests() > 0);
}

TEST_CASE("hv:/X and dm:/X with the same name are different memory and never see each other's writes") {
  test::Bench b(test::mixed_scenario());
  u64 rt_sees = 0, uos_sees = 0, hmi_hv = 0, hmi_dm = 0;
  bool written = false;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto hv = ivshmem_probe(g, k08);
    const auto dm = ivshmem_probe(g, k09);
    g.store<u64>(hv->shmem, 0x4848);  // "HH"
    g.store<u64>(dm->shmem, 0x4444);  // "DD"
    hmi_hv = g.load<u64>(hv->shmem);
    hmi_dm = g.load<u64>(dm->shmem);
    written = true;
  });
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto hv = ivshmem_probe(g, k08);
    g.compute(50'000'000);
    rt_sees = g.load<u64>(hv->shmem);
  });
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto dm = ivshmem_probe(g, k08);
    g.compute(50'000'000);
    uos_sees = g.load<u64>(dm->shmem);
  });
  sc_core::sc_start();
  REQUIRE(written);
  CHECK(hmi_hv == 0x4848);
  CHECK(hmi_dm == 0x4444);
  CHECK(rt_sees == 0x4848);
  CHECK(uos_sees == 0x4444);
  const ShmObject* shm = b.platform->shm_namespace()->find("shared");
  REQUIRE(shm);
  CHECK(shm->openers == 2);
  CHECK(shm->hpa != hv_device(*b.platform, 0)->region().hpa);
  // The Service VM's pages back the dm-land object.
  CHECK(shm->hpa >= b.vm(1).ram_hpa);
  CHECK(shm->hpa + shm->size <= b.vm(1).ram_hpa + b.vm(1).ram_size);
}

TEST_CASE("the HSM maps a dm-land region page by page: 4 KiB EPT leaves and TLB entries, where hv-land's are 2 MiB") {
  Scenario s = test::mixed_scenario();
  for (auto& v : s.vms)
    if (v.name == "HMI_VM") v.guest_page_size = kPageSize2M;
  test::Bench b(s);
  constexpr u64 kPages = 16;
  u64 hv_walks = ~u64{0}, dm_walks = ~u64{0};
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto hv = ivshmem_probe(g, k08);
    const auto dm = ivshmem_probe(g, k09);
    // New 4 KiB pages within the first 2 MiB of each region, after its first page.
    auto walks_over = [&](Gva base) {
      (void)g.load<u64>(base);
      const u64 before = c.counters().walks;
      for (u64 i = 1; i <= kPages; ++i) (void)g.load<u64>(base + i * kPageSize4K);
      return c.counters().walks - before;
    };
    hv_walks = walks_over(hv->shmem);
    dm_walks = walks_over(dm->shmem);
  });
  sc_core::sc_start();
  // The guest maps both windows with 2 MiB pages; a TLB entry is no larger
  // than the EPT leaf behind it.
  CHECK(hv_walks == 0);
  CHECK(dm_walks == kPages);
  // The EPT itself: every page of BAR2 a 4 KiB leaf onto the shm object's page.
  const ShmObject* shm = b.platform->shm_namespace()->find("shared");
  REQUIRE(shm);
  const auto& dev = dm_of(*b.platform, 2).devices().front();
  for (u64 off = 0; off < shm->size; off += kPageSize4K) {
    const ept::WalkResult w = b.vm(2).ept->walk(dev->memseg_gpa() + off);
    REQUIRE(w.present);
    CHECK(w.page_shift == 12);
    CHECK(w.hpa == shm->hpa + off);
  }
  // One flush request per region (ept_flush_guest), 512 for 2 MiB.
  CHECK(b.vm(2).invept_count >= shm->size / kPageSize4K);
}

TEST_CASE("a doorbell cannot cross providers: dm-land has none and hv-land resolves peers in its own region") {
  test::Bench b(test::mixed_scenario());
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto dm = ivshmem_probe(g, k08);
    ivshmem_write_doorbell(g, *dm, 2, 0);  // HMI_VM shares dm:/shared with us
  });
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto hv = ivshmem_probe(g, k08);
    ivshmem_write_doorbell(g, *hv, 3, 0);  // UOS_VM is not in hv:/shared
  });
  sc_core::sc_start();
  const DeviceModel& dm = dm_of(*b.platform, 3);
  REQUIRE(dm.devices().size() == 1);
  CHECK(dm.devices()[0]->registers().doorbell_writes() == 1);
  CHECK(b.vm(2).interrupts_received == 0);
  CHECK(hv_device(*b.platform, 0)->region().doorbells.dropped.at("peer_not_in_region") == 1);
  CHECK(b.platform->hypervisor().isolation_counts().at("doorbell_peer_not_in_region") == 1);
}

TEST_CASE("dm-land registers: IVPosition reads 0, Doorbell and unknown offsets read all-ones, writes are ignored") {
  test::Bench b(test::mixed_scenario());
  u32 intr_mask = 1, ivposition = 1, doorbell = 0, reserved = 0;
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto dm = ivshmem_probe(g, k08);
    g.store<u32>(dm->regs + 0x00, 0xFFFF);
    intr_mask = g.load<u32>(dm->regs + 0x00);
    ivposition = g.load<u32>(dm->regs + 0x08);
    doorbell = g.load<u32>(dm->regs + 0x0C);
    reserved = g.load<u32>(dm->regs + 0x40);
  });
  sc_core::sc_start();
  CHECK(intr_mask == 0);
  CHECK(ivposition == 0);
  CHECK(doorbell == 0xFFFF'FFFFu);
  CHECK(reserved == 0xFFFF'FFFFu);
  CHECK(dm_of(*b.platform, 3).devices()[0]->registers().writes_ignored() == 1);
}

// The hypervisor's own port path (handle_pio) consumes the latch too, for
// a pre-launched VM and for a post-launched one whose data access would
// otherwise go to acrn-dm (vpci_pio_cfgdata_read's atomic_readandclear32).
TEST_CASE("a guest's second 0xCFC read without a new 0xCF8 write reads all-ones") {
  test::Bench b(test::mixed_scenario());
  std::map<std::string, std::array<u32, 3>> seen;
  for (const std::string vm : {"RT_VM", "HMI_VM"}) {
    b.cpu(vm).set_program([&, vm](Vcpu& c) {
      Guest g(c);
      const pci::Bdf bdf = vm == "RT_VM" ? k08 : k09;  // HMI_VM's 00:09.0 is acrn-dm's
      g.outl(0xCF8, pci_config_address(bdf, 0));
      const u32 first = g.inl(0xCFC);
      const u32 second = g.inl(0xCFC);
      seen[vm] = {first, second, g.inl(0xCF8)};
    });
  }
  sc_core::sc_start();
  for (const std::string vm : {"RT_VM", "HMI_VM"}) {
    INFO(vm);
    CHECK(seen[vm][0] == 0x1110'1AF4u);
    CHECK(seen[vm][1] == 0xFFFF'FFFFu);
    CHECK(seen[vm][2] == 0);
  }
}

// ECAM reaches 4 KiB per function. The hv-land vdev's cfgdata is that size
// (PCIE_CONFIG_SPACE_SIZE): extended space is plain storage. acrn-dm's
// emulated devices have none (pci_cfgrw): the header at 0x100 reads zeros,
// the rest all-ones, writes vanish. An access pci_is_valid_access refuses
// reads all-ones in the hypervisor (vpci_mmio_cfg_access).
TEST_CASE("extended config space: stored by the hv-land vdev and absent in acrn-dm's device with its subsystem ID 0") {
  test::Bench b(test::mixed_scenario());
  u32 hv_100 = 0, hv_104 = 1, hv_ffc = 1, hv_misaligned = 0, post_hv_100 = 0;
  u64 hv_qword = 0;
  u32 dm_100 = 1, dm_101 = 1, dm_104 = 0, dm_after_write = 1, rom = 1, dm_subsystem = 0;
  u8 header = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    pci_ecam_write32(g, k08, 0x100, 0x1234'5678u);
    hv_100 = pci_ecam_read32(g, k08, 0x100);
    hv_104 = pci_ecam_read32(g, k08, 0x104);
    hv_ffc = pci_ecam_read32(g, k08, 0xFFC);
    hv_misaligned = g.load<u32>(pci_ecam_address(k08, 0x102));
    hv_qword = g.load<u64>(pci_ecam_address(k08, 0));
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    pci_ecam_write32(g, k08, 0x100, 0xCAFEu);  // its hv-land device: the hypervisor's
    post_hv_100 = pci_ecam_read32(g, k08, 0x100);
  });
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    dm_subsystem = pci_cfg_read32(g, k08, 0x2C);
    dm_100 = pci_ecam_read32(g, k08, 0x100);
    dm_101 = g.load<u8>(pci_ecam_address(k08, 0x101));
    dm_104 = pci_ecam_read32(g, k08, 0x104);
    pci_ecam_write32(g, k08, 0x100, 0x1234'5678u);
    dm_after_write = pci_ecam_read32(g, k08, 0x100);
    pci_cfg_write32(g, k08, 0x30, 0xFFFF'F800u);  // sizing the expansion ROM BAR
    rom = pci_cfg_read32(g, k08, 0x30);
    pci_cfg_write16(g, k08, 0x0E, 0x00FF);  // the header type, written
    header = pci_cfg_read8(g, k08, 0x0E);
  });
  sc_core::sc_start();
  CHECK(hv_100 == 0x1234'5678u);
  CHECK(hv_104 == 0);
  CHECK(hv_ffc == 0);
  CHECK(hv_misaligned == 0xFFFF'FFFFu);
  CHECK(hv_qword == 0xFFFF'FFFFu);  // mmio->value is the 32-bit ~0U, zero-extended
  CHECK(post_hv_100 == 0xCAFEu);
  CHECK(dm_100 == 0);
  CHECK(dm_101 == 0);
  CHECK(dm_104 == 0xFFFF'FFFFu);
  CHECK(dm_after_write == 0);
  CHECK(rom == 0);        // "ignore ROM BAR length request": no ROM
  CHECK(header == 0x7F);  // pci_emul_hdrtype_fixup: one function in the slot
  // The launch script's "dm:/shared,2" has no region id: subsystem ID 0,
  // though the scenario gives the region 9.
  CHECK(dm_subsystem == 0x0000'8086u);
}

// vpci_pio_cfgaddr_write: a post-launched VM's 0xCF8 write for a BDF
// without a hypervisor vdev goes to the Service VM too, where the HSM
// completes it in the kernel (handle_cf8cfc); the 0xCFC access then goes to
// acrn-dm. A config read of an acrn-dm device is two I/O requests, of a
// hypervisor vdev none.
TEST_CASE("a post-launched VM's 0xCF8 write for an acrn-dm device is an I/O request the HSM completes itself") {
  test::Bench b(test::mixed_scenario());
  u32 dm_ids = 0, hv_ids = 0;
  u64 served_before = 0, served_dm = 0, served_hv = 0, cf8_dm = 0, cf8_hv = 0, acrn_dm_dm = 0, acrn_dm_hv = 0;
  const Hsm* hsm = nullptr;
  const DeviceModel* dm = nullptr;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    hsm = b.platform->hsm();
    dm = &dm_of(*b.platform, 2);
    served_before = hsm->requests_served();
    const u64 cf8_0 = hsm->config_address_writes(), dm_0 = dm->requests();
    dm_ids = pci_cfg_read32(g, k09, 0x00);  // the dm-land device
    served_dm = hsm->requests_served() - served_before;
    cf8_dm = hsm->config_address_writes() - cf8_0;
    acrn_dm_dm = dm->requests() - dm_0;
    const u64 s1 = hsm->requests_served(), cf8_1 = hsm->config_address_writes(), dm_1 = dm->requests();
    hv_ids = pci_cfg_read32(g, k08, 0x00);  // the hv-land device
    served_hv = hsm->requests_served() - s1;
    cf8_hv = hsm->config_address_writes() - cf8_1;
    acrn_dm_hv = dm->requests() - dm_1;
  });
  sc_core::sc_start();
  CHECK(dm_ids == 0x1110'1AF4u);
  CHECK(hv_ids == 0x1110'1AF4u);
  CHECK(served_dm == 2);
  CHECK(cf8_dm == 1);
  CHECK(acrn_dm_dm == 1);  // only the 0xCFC read reaches acrn-dm
  CHECK(served_hv == 0);
  CHECK(cf8_hv == 0);
  CHECK(acrn_dm_hv == 0);
}

// handle_cf8cfc: the HSM latches the 0xCF8 value as the guest wrote it, and
// its bits 27:24 become the high nibble of the register acrn-dm is asked
// for (PCI_HIGHREG_MASK); the hypervisor's own latch drops bits 30:24
// (vpci_pio_cfgaddr_write), so its vdevs see the plain register.
TEST_CASE("0xCF8 bits 27:24 reach acrn-dm as an extended register and the hypervisor drops them") {
  test::Bench b(test::mixed_scenario());
  const u32 ext1 = 0x0100'0000u, ext2 = 0x0200'0000u;
  u32 dm_100 = 0, dm_200 = 0, hv_ids = 0, dm_cmd_before = 0, dm_cmd_after = 0, latch = 0;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const Hsm* hsm = b.platform->hsm();
    dm_cmd_before = pci_cfg_read32(g, k09, 0x04);
    g.outl(0xCF8, pci_config_address(k09, 0x00) | ext1);
    latch = hsm->pci_conf_addr(2);
    dm_100 = g.inl(0xCFC);  // register 0x100: no extended capability
    g.outl(0xCF8, pci_config_address(k09, 0x00) | ext2);
    dm_200 = g.inl(0xCFC);  // register 0x200: beyond what acrn-dm emulates
    // A write to register 0x104 is dropped; it is not the command register.
    g.outl(0xCF8, pci_config_address(k09, 0x04) | ext1);
    g.outl(0xCFC, 0);
    dm_cmd_after = pci_cfg_read32(g, k09, 0x04);
    g.outl(0xCF8, pci_config_address(k08, 0x00) | ext1);
    hv_ids = g.inl(0xCFC);
  });
  sc_core::sc_start();
  CHECK(latch == (pci_config_address(k09, 0x00) | ext1));
  CHECK(dm_100 == 0);
  CHECK(dm_200 == 0xFFFF'FFFFu);
  CHECK((dm_cmd_before & 0x2) != 0);  // memory decoding on, as the firmware left it
  CHECK(dm_cmd_after == dm_cmd_before);
  CHECK(hv_ids == 0x1110'1AF4u);
}

TEST_CASE("the dm-land device has no MSI-X capability and no interrupt pin") {
  test::Bench b(test::mixed_scenario());
  u16 status = 0xFFFF;
  u8 pin = 0xFF;
  bool msix = true;
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    status = pci_cfg_read16(g, k08, 0x06);
    pin = pci_cfg_read8(g, k08, 0x3D);
    msix = ivshmem_setup_msix(g, *ivshmem_probe(g, k08), 0, msi_address(g.apic_id()), 0x40);
  });
  sc_core::sc_start();
  CHECK((status & 0x10) == 0);
  CHECK(pin == 0);
  CHECK_FALSE(msix);
}

TEST_CASE("dm-land BAR2 relocation leaves the memory at the old GPA and the new window reads all-ones") {
  test::Bench b(test::mixed_scenario());
  u64 old_window = 0, new_window = 0;
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto dm = ivshmem_probe(g, k08);
    g.store<u64>(dm->shmem, 77);
    const u32 moved = static_cast<u32>(dm->shmem + 0x0100'0000);  // still below 4 GiB
    pci_cfg_write32(g, k08, 0x18, moved);
    new_window = g.load<u64>(moved);
    old_window = g.load<u64>(dm->shmem);
  });
  sc_core::sc_start();
  CHECK(old_window == 77);
  CHECK(new_window == ~u64{0});
}

// pci_cfgrw's workaround for drivers that size a BAR with decoding on: the
// write of all-ones and the write after it change acrn-dm's address for the
// BAR without moving its registration (update_bar_address with
// ignore_reg_unreg); pci_emul_cmdsts_write registers it at that address.
TEST_CASE("acrn-dm keeps a BAR's registration where it was while a guest sizes it with decoding on") {
  test::Bench b(test::mixed_scenario());
  u32 before = 1, sizing = 0, moved_new = 0, moved_old = 0, reenabled = 1;
  u64 unclaimed_sizing = 9, unclaimed_new = 9, unclaimed_old = 9;
  const DeviceModel& dm = dm_of(*b.platform, 3);
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const u32 bar0 = pci_cfg_read32(g, k08, 0x10) & ~u32{0xF};  // acrn-dm's address, decoding since pci_emul_init
    const u32 moved = bar0 + 0x2000;  // past BAR1's 4 KiB at bar0 + 0x1000
    before = g.load<u32>(bar0 + 8);   // IVPosition
    pci_cfg_write32(g, k08, 0x10, ~u32{0});  // sizing, Memory Space Enable left on
    // Found by the registration sizing kept; the handler's offset is from
    // the address sizing wrote (0xFFFFFF00), which matches no register.
    sizing = g.load<u32>(bar0 + 8);
    unclaimed_sizing = dm.unclaimed();
    pci_cfg_write32(g, k08, 0x10, moved);  // the end of sizing: the address moves, the registration does not
    moved_new = g.load<u32>(moved + 8);
    unclaimed_new = dm.unclaimed();
    moved_old = g.load<u32>(bar0 + 8);  // found by the old registration, 8 KiB below the BAR's address
    unclaimed_old = dm.unclaimed();
    const u16 cmd = pci_cfg_read16(g, k08, 0x04);
    pci_cfg_write16(g, k08, 0x04, cmd & ~u16{0x2});
    pci_cfg_write16(g, k08, 0x04, cmd);  // registers BAR0 at the address it holds now
    reenabled = g.load<u32>(moved + 8);
  });
  sc_core::sc_start();
  CHECK(before == 0);
  CHECK(sizing == 0xFFFF'FFFFu);
  CHECK(unclaimed_sizing == 0);  // acrn-dm's handler took it
  // Nothing registered there, but it is in the 32-bit PCI hole: the fallback
  // range's pci_emul_fallback_handler reads all-ones, with no error.
  CHECK(moved_new == 0xFFFF'FFFFu);
  CHECK(unclaimed_new == 0);
  CHECK(moved_old == 0xFFFF'FFFFu);  // the handler's offset from the new address matches no register
  CHECK(unclaimed_old == 0);
  CHECK(reenabled == 0);
  CHECK(dm.unclaimed() == 0);
  CHECK(b.platform->hypervisor().isolation_counts().at("pci_hole_in_device_model") == 1);
}

// emulate_mem looks in the fallback tree only when no registration holds the
// address: init_pci's two PCI holes read all-ones and drop writes, and an
// address outside them and every registration is -ESRCH ("Unhandled memory
// access"). emulate_inout: every port has default_inout, so an unemulated
// port reads all-ones of its size with no error.
TEST_CASE("acrn-dm answers its PCI holes and unemulated ports itself, and nothing else") {
  test::Bench b(test::mixed_scenario());
  u64 hole32 = 0, hole64 = 0, outside = 0, hole32_after_write = 0;
  u32 port = 0;
  u16 port16 = 0;
  const DeviceModel& dm = dm_of(*b.platform, 3);
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    // No EPT mapping at any of them (past the guest's RAM, away from its
    // BARs): each is an EPT violation the hypervisor hands acrn-dm as an
    // MMIO request.
    hole32 = g.load<u64>(0xD000'0000);
    g.store<u64>(0xD000'0000, 5);
    hole32_after_write = g.load<u64>(0xD000'0000);
    hole64 = g.load<u64>(0x7F'0000'0000);
    outside = g.load<u64>(0xF000'0000);  // above ECAM, below the IOAPIC: no range
    port = g.inl(0x2F8);
    port16 = g.inw(0x2F8);
    g.outb(0x2F8, 1);
  });
  sc_core::sc_start();
  CHECK(hole32 == ~u64{0});
  CHECK(hole32_after_write == ~u64{0});
  CHECK(hole64 == ~u64{0});
  CHECK(outside == ~u64{0});
  CHECK(port == 0xFFFF'FFFFu);
  CHECK(port16 == 0xFFFF);
  CHECK(dm.unclaimed() == 1);  // the access outside the holes only
  const auto& counts = b.platform->hypervisor().isolation_counts();
  CHECK(counts.at("pci_hole_in_device_model") == 4);  // two reads and a write at 2 GiB+, one read at 256 GiB+
  CHECK(counts.at("no_device_in_device_model") == 1);
  CHECK(counts.at("default_port_in_device_model") == 3);
}

TEST_CASE("an access served by the device model pays the I/O request round trip on top of the exit") {
  test::Bench b(test::mixed_scenario());
  Timestamp t0, t1;
  u32 ivposition = 1;
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto dm = ivshmem_probe(g, k08);
    g.load<u32>(dm->regs);  // warm the walk
    t0 = g.timestamp();
    ivposition = g.load<u32>(dm->regs + 0x08);
    t1 = g.timestamp();
  });
  sc_core::sc_start();
  CHECK(ivposition == 0);
  const Breakdown spent = t1.cumulative - t0.cumulative;
  CHECK(spent.total() == t1.time_ps - t0.time_ps);
  CHECK(spent.get(Component::exit) == b.timing.vm_exit_entry_ps);
  CHECK(spent.get(Component::hv) == b.timing.mmio_decode_ps);
  // The HSM upcall to the Service VM's vCPU 0 (halted: its idle pCPU leaves
  // C1, ACRN schedules it and it takes the interrupt), acrn-dm's dispatch and
  // handler, its HC_NOTIFY_REQUEST_FINISH (a VMCALL from the Service VM), the
  // requester's resume ...
  const TimePs wake = b.timing.c1_exit_ps + b.timing.hlt_wakeup_ps;
  CHECK(b.cpu("Service_VM").idle_wakeup_ps() == wake);
  const TimePs steps = b.timing.ioreq_notify_ps + wake + b.timing.isr_entry_ps + b.timing.dm_dispatch_ps +
                       b.timing.dm_handler_ps + b.timing.vm_exit_entry_ps + b.timing.hypercall_handler_ps +
                       b.timing.ioreq_complete_ps;
  // ... and the Service VM's loads and stores of the request slot, which the
  // hypervisor wrote from another core: a few cache-line transfers.
  CHECK(spent.get(Component::dm) > steps);
  CHECK(spent.get(Component::dm) < steps + 500'000);
}

TEST_CASE("the Service VM reaches the hv-land pool through its UC mapping, a User VM only through its BAR2") {
  test::Bench b(test::mixed_scenario());
  const Hpa pool = b.platform->layout().ivshmem_base;
  u64 sos_sees = 0;
  Timestamp t0, t1;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto hv = ivshmem_probe(g, k08);
    g.store<u64>(hv->shmem + 0x10, 0x5A5A);
  });
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(50'000'000);
    t0 = g.timestamp();
    sos_sees = g.load<u64>(pool + 0x10);  // the Service VM's GPA = HPA
    t1 = g.timestamp();
    g.store<u64>(pool + 0x10, 0xA5A5);  // uncached: snooped, the RT VM's copy invalidated
  });
  sc_core::sc_start();
  CHECK(sos_sees == 0x5A5A);
  const ept::WalkResult w = b.vm(1).ept->walk(pool);
  REQUIRE(w.present);
  CHECK(ept::mem_type_of(w.leaf) == ept::MemType::UC);
  // The line is Modified in the RT VM's core (its BAR2 is write-back): the
  // uncached read gets that core's implicit write-back, a transfer, not DRAM.
  const Breakdown spent = t1.cumulative - t0.cumulative;
  CHECK(spent.get(Component::dram) == 0);
  CHECK(spent.get(Component::coherence) ==
        b.platform->directory().transfer_ps(b.cpu("RT_VM").config().pcpu, b.cpu("Service_VM").config().pcpu));
  const CoherenceDirectory& dir = b.platform->directory();
  CHECK_FALSE(dir.l1d(b.cpu("RT_VM").config().pcpu).contains(pool >> kCacheLineShift));
  CHECK_FALSE(dir.l2(b.cpu("RT_VM").config().pcpu).contains(pool >> kCacheLineShift));
  // A User VM has no mapping of the pool at that address.
  CHECK_FALSE(b.vm(2).ept->walk(pool).present);
}

TEST_CASE("a guest moves only its own BAR2 window") {
  test::Bench b(test::two_vm_scenario());
  Gpa hmi_window = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    ivshmem_probe(g, k08);
    pci_cfg_write32(g, k08, 0x1C, 0x41);  // BAR3: move to 0x41_xxxx_xxxx
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    hmi_window = ivshmem_probe(g, k08)->shmem;
    g.compute(50'000'000);
    g.store<u64>(hmi_window, 9);
  });
  sc_core::sc_start();
  CHECK((hv_device(*b.platform, 0)->shm_gpa() >> 32) == 0x41);
  CHECK(hv_device(*b.platform, 2)->shm_gpa() == hmi_window);
  CHECK(b.platform->host_memory().read_u64(hv_device(*b.platform, 2)->region().hpa) == 9);
}

TEST_CASE("BAR2 programmed over guest RAM keeps the RAM mapping and moving it away deletes that RAM") {
  test::Bench b(test::two_vm_scenario());
  u64 ram_before = 0, ram_overlaid = 0, ram_after = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto hv = ivshmem_probe(g, k08);
    const Gpa ram = 0x0200'0000;  // 32 MiB, inside the VM's 64 MiB of RAM
    g.store<u64>(ram, 0x1234);
    ram_before = g.load<u64>(ram);
    pci_cfg_write32(g, k08, 0x1C, 0);
    pci_cfg_write32(g, k08, 0x18, static_cast<u32>(ram) | 0xC);
    ram_overlaid = g.load<u64>(ram);  // still the RAM page: present entries are not overwritten
    pci_cfg_write32(g, k08, 0x1C, static_cast<u32>(hv->shmem >> 32));
    pci_cfg_write32(g, k08, 0x18, static_cast<u32>(hv->shmem) | 0xC);
    ram_after = g.load<u64>(ram);  // ept_del_mr of the old window removed the RAM mapping
  });
  sc_core::sc_start();
  CHECK(ram_before == 0x1234);
  CHECK(ram_overlaid == 0x1234);
  CHECK(ram_after == ~u64{0});
  CHECK(b.vm(0).unhandled_mmio >= 1);
}

TEST_CASE("a guest's first write to a BAR unmaps at its configured base, where nothing of its own was mapped "
          "(init_ivshmem_bar, vpci_update_one_vbar)") {
  // Two devices in one VM: the first's BAR2 moved onto the second's
  // configured base, then the second's BAR2 written for the first time.
  test::Bench b(two_regions_scenario());
  u64 seen_before = 0, seen_after = 0;
  Gpa configured = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    ivshmem_probe(g, k08);
    // Read, not written: the second device's BAR2 holds its configured base.
    configured = (pci_cfg_read32(g, k09, 0x18) & ~u32{0xF}) | (u64{pci_cfg_read32(g, k09, 0x1C)} << 32);
    pci_cfg_write32(g, k08, 0x1C, static_cast<u32>(configured >> 32));
    pci_cfg_write32(g, k08, 0x18, static_cast<u32>(configured) | 0xC);
    g.store<u64>(configured, 0x5A5A);
    seen_before = g.load<u64>(configured);   // the first device's region
    pci_cfg_write32(g, k09, 0x18, ~u32{0});  // sizing: unmap at the configured base, map nothing
    seen_after = g.load<u64>(configured);
  });
  sc_core::sc_start();
  const IvshmemDevice* second = nullptr;
  for (const auto& d : b.platform->hypervisor().ivshmem_devices())
    if (d->vm().id == 0 && d->bdf() == k09) second = d.get();
  REQUIRE(second);
  REQUIRE(configured == (second->configured_bar2() & ~u64{0xF}));
  CHECK(seen_before == 0x5A5A);
  CHECK(seen_after == ~u64{0});  // ivshmem_vbar_unmap deleted the first device's window there
  CHECK(b.vm(0).unhandled_mmio >= 1);
}

// ivshmem_mmio_handler takes its offset from the device's current BAR0
// base, rw_vmsix_table from msix.mmio_gpa, not from the node that found the
// access. Two devices' nodes with one range, and the second device moved
// away: unregister_mmio_emulation_handler frees the first node with the
// range (the first device's), and the second device's node stays there,
// its offsets now from its new base.
TEST_CASE("an MMIO node left behind by another device's unregistration reaches no register") {
  test::Bench b(two_regions_scenario());
  u32 through_stale = 1, second_mask = 0, first_mask = 0, msix_stale = 1, second_entry = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto first = ivshmem_probe(g, k08);
    const auto second = ivshmem_probe(g, k09);
    g.store<u32>(first->regs, 0x11);  // IntrMask
    g.store<u32>(second->regs, 0x22);
    pci_cfg_write32(g, k09, 0x10, static_cast<u32>(first->regs));   // onto the first's BAR0: a second node
    pci_cfg_write32(g, k09, 0x10, static_cast<u32>(second->regs));  // back: frees the first device's node
    g.store<u32>(first->regs, 0x33);  // through the second device's node, away from its base
    second_mask = g.load<u32>(second->regs);
    through_stale = g.load<u32>(first->regs);
    pci_cfg_write32(g, k08, 0x10, static_cast<u32>(first->regs) + 0x100000);  // a node of its own again
    first_mask = g.load<u32>(first->regs + 0x100000);
    // The same with BAR1, the MSI-X table: entry 0's message data.
    g.store<u32>(second->msix_table + 8, 0x42);
    pci_cfg_write32(g, k09, 0x14, static_cast<u32>(first->msix_table));
    pci_cfg_write32(g, k09, 0x14, static_cast<u32>(second->msix_table));
    g.store<u32>(first->msix_table + 8, 0x43);
    msix_stale = g.load<u32>(first->msix_table + 8);
    second_entry = g.load<u32>(second->msix_table + 8);
  });
  sc_core::sc_start();
  // The offset wrapped past every register: the handler leaves the request's
  // value as the read before it left it.
  CHECK(through_stale == 0x22);
  CHECK(second_mask == 0x22);
  CHECK(first_mask == 0x11);
  CHECK(msix_stale == 0);  // cut to 32 bits, past the table: rw_vmsix_table reads 0
  CHECK(second_entry == 0x42);
}

TEST_CASE("a post-launched VM's hv-land BAR0 outside the hypervisor's handler reaches acrn-dm's registration "
          "(pci_emul_alloc_bar before create_ivshmem_from_hv)") {
  test::Bench b(test::two_vm_scenario());
  u32 before = 0, programmed = 0, moved_away = 0, doorbell = 0;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const Gpa bar0 = pci_cfg_read32(g, k08, 0x10) & ~u32{0xF};  // read, not written: acrn-dm's address
    before = g.load<u32>(bar0 + 8);                             // IVPosition, before any BAR write
    doorbell = g.load<u32>(bar0 + 12);
    g.store<u32>(bar0 + 12, 0x10000);  // a doorbell acrn-dm ignores
    pci_cfg_write32(g, k08, 0x10, static_cast<u32>(bar0));
    programmed = g.load<u32>(bar0 + 8);  // the hypervisor's handler now
    pci_cfg_write32(g, k08, 0x10, static_cast<u32>(bar0) + 0x1000);
    moved_away = g.load<u32>(bar0 + 8);  // acrn-dm's registration did not move
  });
  sc_core::sc_start();
  CHECK(before == 0);  // pci_ivshmem_read: IVPosition 0
  CHECK(doorbell == 0xFFFF'FFFFu);
  CHECK(programmed == 2);  // the hv-land vdev: the VM's id
  CHECK(moved_away == 0);
  const DeviceModel& dm = *b.platform->device_models().at(0);
  REQUIRE(dm.hv_land_bars().size() == 1);
  CHECK(dm.hv_land_bars()[0].regs.doorbell_writes() == 1);
  CHECK(dm.unclaimed() == 0);
  CHECK(hv_device(*b.platform, 0)->region().doorbells.sent == 0);
}

TEST_CASE("IVPosition survives a BAR0 remap") {
  test::Bench b(test::two_vm_scenario());
  u32 before = 0, after = 0;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    auto hv = ivshmem_probe(g, k08);
    before = ivshmem_get_id(g, *hv);
    pci_cfg_write32(g, k08, 0x10, 0x9000'0000u);
    hv->regs = 0x9000'0000u;
    after = ivshmem_get_id(g, *hv);
  });
  sc_core::sc_start();
  CHECK(before == 2);
  CHECK(after == 2);
}

TEST_CASE("Command Memory Space Enable does not gate the hv-land BARs") {
  test::Bench b(test::two_vm_scenario());
  u64 shm = 0;
  u32 id = 9;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    pci_cfg_write16(g, k08, 0x04, 0);  // memory decoding off
    g.store<u64>(d->shmem, 5);
    shm = g.load<u64>(d->shmem);
    id = ivshmem_get_id(g, *d);
  });
  sc_core::sc_start();
  CHECK(shm == 5);
  CHECK(id == 0);
}

// pci_vdev_update_vbar_base: each write of a BAR register whose resulting
// base is outside the VM's window for its half of the address space, or
// not aligned to the BAR's size, is a pr_err; the base is kept and mapped.
TEST_CASE("a BAR2 value outside the PCI MMIO windows is mapped anyway and a debug build logs each write") {
  test::Bench b(test::two_vm_scenario());
  u64 seen = 0, lines_in_window = 0;
  const Gpa outside = 0x1'0000'0000ULL;  // 4 GiB: neither 2-3.5 GiB nor 256-512 GiB
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    ivshmem_probe(g, k08);
    const HvLog& log = b.platform->hypervisor().console_log();
    // BAR0 moved within the 32-bit window, aligned: nothing to log.
    const u32 bar0 = pci_cfg_read32(g, k08, 0x10);
    pci_cfg_write32(g, k08, 0x10, bar0 + 0x1000);
    lines_in_window = log.lines();
    pci_cfg_write32(g, k08, 0x10, bar0);
    // BAR2's upper half, then its lower: both writes leave it above 4 GiB
    // outside the 64-bit window.
    pci_cfg_write32(g, k08, 0x1C, 1);
    pci_cfg_write32(g, k08, 0x18, 0xC);
    g.store<u64>(outside + 8, 31);
    seen = g.load<u64>(outside + 8);
    // Back into the 64-bit window: the upper half's write already makes it valid.
    pci_cfg_write32(g, k08, 0x1C, 0x40);
    pci_cfg_write32(g, k08, 0x18, 0xC);
  });
  sc_core::sc_start();
  CHECK(seen == 31);
  CHECK(lines_in_window == 0);
  CHECK(hv_device(*b.platform, 0)->shm_gpa() == 0x40'0000'0000ULL);
  const u64 size = hv_device(*b.platform, 0)->region().size;
  const HvLog& log = b.platform->hypervisor().console_log();
  const std::string window64 = "which is out of mmio window[0x4000000000 - 0x8000000000] or not aligned with size: " +
                               fmt::format("{:#x}", size);
  REQUIRE(log.lines() == 2);
  // BAR2 was at 0x80200000: the upper half's write puts it at 0x180200000 first.
  // seq 1 and 2: the probe's first writes of BAR0 and BAR1, which unregister
  // ranges never registered (find_match_mmio_node's pr_info, memory log only).
  const std::array<const char*, 2> addr{"0x180200000", "0x100000000"};
  for (unsigned i = 0; i < 2; ++i)
    CHECK(log.first_lines().at(i).find("[sev=3][seq=" + std::to_string(i + 3) +
                                       "]:pci_vdev_update_vbar_base reprogram PCI:00:08.0 BAR2 to addr:" + addr[i] +
                                       ", " + window64) != std::string::npos);
}

TEST_CASE("a VM may ring itself") {
  test::Bench b(test::two_vm_scenario());
  int handled = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 1, msi_address(g.apic_id()), 0x42);
    g.on_interrupt(0x42, [&](Guest&) { ++handled; });
    ivshmem_write_doorbell(g, *d, 0, 1);
    g.compute(100'000);  // the interrupt arrives meanwhile
  });
  sc_core::sc_start();
  CHECK(handled == 1);
  CHECK(hv_device(*b.platform, 0)->region().doorbells.delivered == 1);
}

TEST_CASE("a doorbell to a function-masked target is dropped and counted") {
  test::Bench b(test::two_vm_scenario());
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), 0x42);
    pci_cfg_write16(g, k08, 0x42, 0xC000);  // enable + function mask
    ivshmem_write_doorbell(g, *d, 0, 0);
  });
  sc_core::sc_start();
  CHECK(hv_device(*b.platform, 0)->region().doorbells.dropped.at("msix_function_masked") == 1);
  CHECK(b.vm(0).interrupts_received == 0);
}

namespace {
// HMI_VM's program: after 5 M cycles, rings peer 0's vector 0 (its BAR0 page
// walked first); records when and how many EPT entries the ring's walk read.
void ring_peer_0_later(Vcpu& c, TimePs& rung_at, u64& refs) {
  Guest g(c);
  const auto d = ivshmem_probe(g, k08);
  g.compute(5'000'000);
  g.load<u32>(d->regs);
  const u64 refs_before = c.counters().walk_refs;
  rung_at = c.now_ps();
  ivshmem_write_doorbell(g, *d, 0, 0);
  refs = c.counters().walk_refs - refs_before;
}
}  // namespace

TEST_CASE(
    "an MSI to a LAPIC-passthrough vCPU arrives as a physical IPI and wakes its HLT, which did not exit, out of C1") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  TimePs rung_at = 0, woke_at = 0;
  u64 refs = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();  // inject_msi_for_lapic_pt: only for a VM in x2APIC mode
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), 0x60);
    g.halt();
    woke_at = c.now_ps();
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) { ring_peer_0_later(c, rung_at, refs); });
  sc_core::sc_start();
  REQUIRE(refs >= 1);  // the EPT entries the doorbell's walk read, each an L1 hit
  const TimePs exit_path =
      refs * b.timing.l1_hit_ps + b.timing.vm_exit_entry_ps + b.timing.mmio_decode_ps + b.timing.hv_mmio_handler_ps;
  // Its HLT does not exit (switch_apicv_mode_x2apic clears HLT exiting):
  // the core wakes out of C1, with no scheduler and no VM entry on the way.
  CHECK(woke_at - rung_at ==
        exit_path + b.timing.irq_lapic_pt_delivery_ps + b.timing.c1_exit_ps + b.timing.isr_entry_ps);
  CHECK(b.cpu("RT_VM").counters().exits[static_cast<std::size_t>(ExitReason::hlt)] == 0);
}

namespace {
// A doorbell from HMI_VM to RT_VM (LAPIC passthrough, vCPUs on pCPUs 3 and
// 4) whose vCPU 1 runs `second` (none: idle). Returns the time from the
// ring to vCPU 0's wake-up (0: never woken) and fills the doorbell's drops.
TimePs doorbell_to_two_vcpu_pt_vm(const std::function<void(Vcpu&)>& second, std::map<std::string, u64>& dropped,
                                  TimePs& ipi_path, u64& received) {
  Scenario s = test::two_vm_scenario();
  s.vms[0].lapic_passthrough = true;
  s.vms[0].pcpus = {3, 4};
  test::Bench b(s);
  TimePs rung_at = 0, woke_at = 0;
  u64 refs = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), 0x60);
    if (second) {
      g.compute(10'000'000);  // past the ring: nothing may wake a halt here
      return;
    }
    g.halt();
    woke_at = c.now_ps();
  });
  if (second) b.cpu("RT_VM", 1).set_program(second);
  b.cpu("HMI_VM").set_program([&](Vcpu& c) { ring_peer_0_later(c, rung_at, refs); });
  sc_core::sc_start();
  dropped = hv_device(*b.platform, 2)->region().doorbells.dropped;
  received = b.vm(0).interrupts_received;
  ipi_path = refs * b.timing.l1_hit_ps + b.timing.vm_exit_entry_ps + b.timing.mmio_decode_ps +
             b.timing.hv_mmio_handler_ps + b.timing.irq_lapic_pt_delivery_ps + b.timing.c1_exit_ps +
             b.timing.isr_entry_ps;
  return woke_at ? woke_at - rung_at : 0;
}
}  // namespace

TEST_CASE("a LAPIC-passthrough VM whose other vCPU runs no program still gets an MSI as a physical IPI") {
  std::map<std::string, u64> dropped;
  TimePs ipi_path = 0;
  // The idle vCPU is in x2APIC mode (the guest kernel brought it up), so the
  // VM is (update_vm_vlapic_state) and inject_msi_for_lapic_pt sends an IPI.
  u64 received = 0;
  CHECK(doorbell_to_two_vcpu_pt_vm(nullptr, dropped, ipi_path, received) == ipi_path);
  CHECK(dropped.empty());
  CHECK(received == 1);
}

TEST_CASE("an MSI to a LAPIC-passthrough VM with one vCPU in xAPIC and one in x2APIC mode is dropped") {
  std::map<std::string, u64> dropped;
  TimePs ipi_path = 0;
  // vCPU 1 runs in xAPIC mode: VM_VLAPIC_TRANSITION, vlapic_inject_msi delivers nothing.
  u64 received = 0;
  doorbell_to_two_vcpu_pt_vm([](Vcpu& c) { Guest(c).compute(50'000'000); }, dropped, ipi_path, received);
  CHECK(received == 0);
  CHECK(dropped["msi_vlapic_mode_transition"] == 1);
}

// update_vm_vlapic_state counts only VCPU_RUNNING vCPUs: a paused VM's
// are zombies, so a LAPIC-passthrough VM the Service VM paused is
// VM_VLAPIC_DISABLED, and vlapic_inject_msi delivers nothing to it.
TEST_CASE("a doorbell to a paused LAPIC-passthrough VM is dropped: no vCPU running, VM_VLAPIC_DISABLED") {
  Scenario s = test::two_vm_scenario();
  s.vms[2].lapic_passthrough = true;  // a standard post-launched VM: the Service VM may pause it
  test::Bench b(s);
  int handled = 0;
  i64 pause = 1;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), 0x60);
    g.on_interrupt(0x60, [&](Guest&) { ++handled; });
    g.store<u64>(d->shmem, 1);  // MSI-X set up
    g.halt();                   // the first doorbell
    g.compute(100'000'000);     // paused meanwhile
  });
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    while (handled == 0) g.compute(10'000);  // the first doorbell taken
    pause = g.hypercall(hc::kPauseVm, 1);    // HMI_VM, by its id relative to the Service VM
  });
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.wait_until(d->shmem, 8, Cmp::eq, 1);
    ivshmem_write_doorbell(g, *d, 2, 0);
    for (int i = 0; i < 100'000 && b.vm(2).state != VmState::paused; ++i) g.compute(10'000);
    ivshmem_write_doorbell(g, *d, 2, 0);
  });
  sc_core::sc_start();
  CHECK(pause == 0);
  REQUIRE(b.vm(2).state == VmState::paused);
  CHECK(handled == 1);
  const DoorbellStats& st = hv_device(*b.platform, 0)->region().doorbells;
  CHECK(st.sent == 2);
  CHECK(st.delivered == 1);
  CHECK(st.dropped.at("msi_vlapic_mode_disabled") == 1);
  CHECK(b.vm(2).interrupts_received == 1);
  CHECK(b.vm(2).msi_undeliverable == 1);
}

TEST_CASE(
    "a doorbell to a vCPU on the sender's own pCPU is taken at VM entry without a posted-interrupt notification") {
  // RT_VM and HMI_VM share pCPU 3: apicv_advanced_accept_intr sends no
  // notification IPI to the pCPU the hypervisor runs on.
  Scenario s = test::two_vm_scenario();
  s.scheduler = "SCHED_IORR";
  s.vms[2].pcpus = {3};
  test::Bench b(s);
  TimePs irq = 0;
  bool woken = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), 0x60);
    const TimePs before = c.cumulative().get(Component::irq);
    woken = g.halt() == 0x60;
    irq = c.cumulative().get(Component::irq) - before;
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.compute(5'000'000);
    ivshmem_write_doorbell(g, *d, 0, 0);
    g.compute(1'000'000);  // keeps the pCPU: the woken vCPU waits for it, no C1 exit
  });
  sc_core::sc_start();
  CHECK(woken);
  CHECK(b.timing.irq_posted_delivery_ps > 0);
  CHECK(irq == b.timing.hlt_wakeup_ps + b.timing.isr_entry_ps);
}

TEST_CASE("one guest driver brings up the hv-land and the dm-land device the same way") {
  test::Bench b(test::mixed_scenario());
  std::optional<IvshmemGuestDevice> hv, dm;
  bool hv_msix = false, dm_msix = true;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    hv = ivshmem_probe(g, k08);
    dm = ivshmem_probe(g, k09);
    hv_msix = ivshmem_setup_msix(g, *hv, 0, msi_address(g.apic_id()), 0x40);
    dm_msix = ivshmem_setup_msix(g, *dm, 0, msi_address(g.apic_id()), 0x41);
  });
  sc_core::sc_start();
  REQUIRE(hv);
  REQUIRE(dm);
  for (const auto* d : {&*hv, &*dm}) {
    CHECK(d->regs_size == 256);
    CHECK(d->shmem_size == 2 * kMiB);
    CHECK(d->shmem != 0);
  }
  CHECK(hv->ivposition == 2);  // the VM id
  CHECK(dm->ivposition == 0);  // dm-land reads 0
  CHECK(hv_msix);
  CHECK_FALSE(dm_msix);
  CHECK(hv_device(*b.platform, 2)->msix().enabled());
}

TEST_CASE("a poller sharing its pCPU with its peer under SCHED_IORR waits for the peer's slice") {
  Scenario s = test::two_vm_scenario();
  s.scheduler = "SCHED_IORR";
  s.vms[2].pcpus = {3};  // HMI_VM on the RT VM's pCPU
  s.workloads = {};
  test::Bench b(s);
  std::vector<TimePs> round_trips;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const Gpa line = ivshmem_probe(g, k08)->shmem;
    for (u64 i = 0; i < 3; ++i) {
      const TimePs t0 = c.now_ps();
      g.store<u64>(line, 2 * i + 1);
      g.wait_until(line, 8, Cmp::eq, 2 * i + 2);
      round_trips.push_back(c.now_ps() - t0);
    }
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const Gpa line = ivshmem_probe(g, k08)->shmem;
    for (u64 i = 0; i < 3; ++i) {
      g.wait_until(line, 8, Cmp::eq, 2 * i + 1);
      g.store<u64>(line, 2 * i + 2);
    }
  });
  sc_core::sc_start();
  REQUIRE(round_trips.size() == 3);
  const TimePs slice = b.timing.iorr_slice_ps;
  // Each side spins through its slice before the other runs.
  for (TimePs rt :
       round_trips.size() > 1 ? std::vector<TimePs>(round_trips.begin() + 1, round_trips.end()) : round_trips) {
    CHECK(rt >= slice);
    CHECK(rt <= 2 * slice + 4 * b.timing.context_switch_ps + 1'000'000);
  }
  CHECK(b.cpu("RT_VM").sched_entity().context_switches > 0);
  CHECK(b.cpu("HMI_VM").sched_entity().runnable_wait_ps >= slice);
}

TEST_CASE("SCHED_NOOP refuses two vCPUs on one pCPU") {
  Scenario s = test::two_vm_scenario();
  s.vms[2].pcpus = {3};
  CHECK_THROWS_AS(test::Bench(s), ConfigError);
}

namespace {

// UOS_VM reads a dm-land register while RT_VM keeps pCPU 0, which it shares
// with the Service VM vCPU that takes the HSM upcall, busy under SCHED_IORR;
// with `service_busy` that vCPU has work of its own (runnable, not halted).
struct UpcallWait {
  TimePs took = 0;
  TimePs slice_ps = 0;
  u64 service_switches = 0;
  bool rt_still_running = false;
};

UpcallWait dm_access_with_the_service_vcpu_sharing(bool service_busy) {
  Scenario s = test::mixed_scenario();
  s.scheduler = "SCHED_IORR";
  s.vms[0].pcpus = {0};  // RT_VM shares pCPU 0 with the Service VM
  test::Bench b(s);
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(100, sc_core::SC_US));  // a long run, few syncs
  UpcallWait out;
  out.slice_ps = b.timing.iorr_slice_ps;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(3'600'000'000);  // 2 s at 1.8 GHz
  });
  if (service_busy)
    b.cpu("Service_VM").set_program([&](Vcpu& c) {
      Guest g(c);
      g.compute(3'600'000'000);
    });
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto dm = ivshmem_probe(g, k08);
    // Until the RT VM holds pCPU 0 (the busy Service VM vCPU takes turns with it).
    do g.compute(100'000);
    while (!b.cpu("RT_VM").sched_entity().running);
    const TimePs t0 = c.now_ps();
    g.load<u32>(dm->regs + 0x08);
    out.took = c.now_ps() - t0;
    out.rt_still_running = !b.cpu("RT_VM").finished();
  });
  sc_core::sc_start();
  out.service_switches = b.cpu("Service_VM").sched_entity().context_switches;
  return out;
}

}  // namespace

TEST_CASE("a device-model access wakes the halted Service VM vCPU, which takes its shared pCPU at once (SCHED_IORR)") {
  const UpcallWait w = dm_access_with_the_service_vcpu_sharing(false);
  INFO("took " << w.took << " ps");
  REQUIRE(w.rt_still_running);
  // The upcall wakes the halted vCPU: sched_iorr_wake puts it first and
  // wake_thread's reschedule request takes the pCPU from the RT VM.
  CHECK(w.took < 1'000'000'000);
  CHECK(w.service_switches > 0);
}

TEST_CASE("a device-model access waits for the RT VM's slice when the Service VM vCPU is busy, not halted") {
  const UpcallWait w = dm_access_with_the_service_vcpu_sharing(true);
  INFO("took " << w.took << " ps");
  REQUIRE(w.rt_still_running);
  // Runnable already, it waits in line: acrn-dm runs after the RT VM's
  // slice ends, on the scheduler tick after it (an unshared Service VM
  // would answer in about 3 us).
  CHECK(w.took > 100'000'000);
  CHECK(w.took < w.slice_ps + 2'000'000'000);
}

namespace {

// UOS_VM reads a dm-land register while HMI_VM, on the same pCPU under
// SCHED_IORR, has work to do: how long the access takes and how many
// context switches UOS_VM's vCPU went through during it.
struct DmAccess {
  TimePs took = 0;
  u64 switches = 0;
  TimePs context_switch_ps = 0;
};

DmAccess dm_access_beside_a_busy_vcpu(bool lapic_passthrough) {
  Scenario s = test::mixed_scenario();
  s.scheduler = "SCHED_IORR";
  for (auto& v : s.vms) {
    if (v.name == "HMI_VM") v.pcpus = {6};  // UOS_VM's pCPU
    if (v.name == "UOS_VM") v.lapic_passthrough = lapic_passthrough;
  }
  test::Bench b(s);
  REQUIRE(b.vm(3).is_polling_ioreq == lapic_passthrough);
  DmAccess out;
  out.context_switch_ps = b.timing.context_switch_ps;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(360'000'000);  // 0.2 s at 1.8 GHz
  });
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto dm = ivshmem_probe(g, k08);
    const TimePs t0 = c.now_ps();
    const u64 switches = c.sched_entity().context_switches;
    g.load<u32>(dm->regs + 0x08);
    out.took = c.now_ps() - t0;
    out.switches = c.sched_entity().context_switches - switches;
  });
  sc_core::sc_start();
  return out;
}

}  // namespace

TEST_CASE("a requester that waits for acrn-dm yields its pCPU to the other vCPU and is switched back in") {
  const DmAccess a = dm_access_beside_a_busy_vcpu(false);
  INFO("took " << a.took << " ps");
  // wait_event(VCPU_EVENT_IOREQ): out; the completion wakes it at the head
  // of the queue (sched_iorr_wake) and it comes back in.
  CHECK(a.switches >= 1);
  CHECK(a.took >= 2 * a.context_switch_ps);
}

TEST_CASE("a requester that polls for completion (LAPIC passthrough) keeps its pCPU while acrn-dm serves it") {
  const DmAccess a = dm_access_beside_a_busy_vcpu(true);
  INFO("took " << a.took << " ps");
  // acrn_insert_request's polling loop: no schedule().
  CHECK(a.switches == 0);
  CHECK(a.took < 20'000'000);
}

// acrn_insert_request's polling loop calls schedule() when need_reschedule()
// says so: the upcall that wakes the Service VM vCPU on the requester's own
// pCPU asks for one, so acrn-dm runs there and the request completes.
TEST_CASE(
    "a polling requester on the Service VM vCPU's pCPU yields it to acrn-dm when the upcall asks for a reschedule") {
  Scenario s = test::mixed_scenario();
  s.scheduler = "SCHED_IORR";
  for (auto& v : s.vms) {
    if (v.name == "UOS_VM") {
      v.pcpus = {0};  // the Service VM vCPU 0's pCPU
      v.lapic_passthrough = true;
    }
  }
  test::Bench b(s);
  TimePs took = 0;
  u32 value = 0xFFFF'FFFF;
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto dm = ivshmem_probe(g, k08);
    const TimePs t0 = c.now_ps();
    value = g.load<u32>(dm->regs + 0x08);  // IVPosition: 0 on dm-land
    took = c.now_ps() - t0;
  });
  sc_core::sc_start();
  INFO("took " << took << " ps");
  CHECK(b.cpu("UOS_VM").finished());
  CHECK(value == 0);
  CHECK(took < 1'000'000'000);
  CHECK(b.cpu("Service_VM").sched_entity().context_switches > 0);
}

namespace {
// Vector 0x42 from the device's own doorbell, requested while the task
// priority (0x40) masks it: it waits in the IRR. `handled` counts its
// handler's runs.
void masked_doorbell(Guest& g, int& handled) {
  const auto d = ivshmem_probe(g, k08);
  ivshmem_setup_msix(g, *d, 1, msi_address(g.apic_id()), 0x42);
  g.on_interrupt(0x42, [&handled](Guest&) { ++handled; });
  g.set_task_priority(0x40);
  ivshmem_write_doorbell(g, *d, 0, 1);
  g.compute(100'000);
}
}  // namespace

TEST_CASE("an interrupt masked by the guest's task priority waits until the priority drops") {
  test::Bench b(test::two_vm_scenario());
  int handled_while_masked = -1, handled_after = -1;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    int handled = 0;
    masked_doorbell(g, handled);
    handled_while_masked = handled;
    g.set_task_priority(0);
    g.compute(10);
    handled_after = handled;
  });
  sc_core::sc_start();
  CHECK(handled_while_masked == 0);
  CHECK(handled_after == 1);
}

// hlt_vmexit_handler waits only while vlapic_has_pending_intr is false, and
// under APICv that is vlapic_find_highest_irr, blind to the task priority:
// with the doorbell's vector masked in the IRR, each HLT exits and returns
// at once with nothing taken; once the priority drops the request is taken.
// APIC-register virtualization: an x2APIC guest reads the version, PPR,
// IRR, ISR and TMR from the virtual-APIC page, without an exit.
TEST_CASE("an x2APIC guest reads its version PPR IRR ISR and TMR without an exit") {
  test::Bench b(test::two_vm_scenario());
  u64 version = 0, ppr_masked = 0, irr2 = 0, isr2_in_handler = 0, ppr_in_handler = 0, tmr2 = 1, isr2_after = 1;
  u64 exits = ~u64{0};
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 1, msi_address(g.apic_id()), 0x42);
    g.on_interrupt(0x42, [&](Guest& h) {
      isr2_in_handler = h.rdmsr(0x812);
      ppr_in_handler = h.rdmsr(0x80A);
    });
    g.set_task_priority(0x40);
    ivshmem_write_doorbell(g, *d, 0, 1);
    g.compute(100'000);
    const u64 before = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_read)];
    version = g.rdmsr(0x803);
    ppr_masked = g.rdmsr(0x80A);
    irr2 = g.rdmsr(0x822);  // vector 0x42: word 2, bit 2
    tmr2 = g.rdmsr(0x81A);
    exits = c.counters().exits[static_cast<std::size_t>(ExitReason::msr_read)] - before;
    g.set_task_priority(0);
    g.compute(10);
    isr2_after = g.rdmsr(0x812);
  });
  sc_core::sc_start();
  CHECK(version == 0x60010);
  CHECK(ppr_masked == 0x40);
  CHECK(irr2 == (1u << 2));
  CHECK(tmr2 == 0);
  CHECK(exits == 0);
  CHECK(isr2_in_handler == (1u << 2));
  CHECK(ppr_in_handler == 0x40);  // the in-service vector's class
  CHECK(isr2_after == 0);         // the handler's EOI
}

TEST_CASE("HLT with a request the task priority masks returns at once after its exit") {
  test::Bench b(test::two_vm_scenario());
  u8 first = 0xFF, second = 0xFF;
  TimePs took = 0;
  u64 hlt_exits = 0;
  int handled_while_masked = -1, handled_after = -1;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    int handled = 0;
    masked_doorbell(g, handled);
    const u64 exits = c.counters().exits[static_cast<std::size_t>(ExitReason::hlt)];
    const TimePs t0 = c.now_ps();
    first = g.halt();
    second = g.halt();
    took = c.now_ps() - t0;
    hlt_exits = c.counters().exits[static_cast<std::size_t>(ExitReason::hlt)] - exits;
    handled_while_masked = handled;
    g.set_task_priority(0);
    g.compute(10);
    handled_after = handled;
  });
  sc_core::sc_start();
  CHECK(first == 0);
  CHECK(second == 0);
  CHECK(hlt_exits == 2);
  CHECK(took == 2 * b.timing.vm_exit_entry_ps);
  CHECK(handled_while_masked == 0);
  CHECK(handled_after == 1);
}

namespace {

// ept_flush_guest: an EPT edit makes ACRN_REQUEST_EPT_FLUSH of every vCPU of
// the VM, and kick_vcpu kicks one running its guest on another pCPU out of
// it: a notification IPI (an external-interrupt exit), or an INIT for a
// LAPIC-passthrough VM's vCPU (mode_to_kick_pcpu). The vCPU making the edit
// is not kicked.
void check_ept_flush_kicks(const std::string& idle, bool lapic_pt) {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  s.vms[0].lapic_passthrough = lapic_pt;
  s.idle = idle;
  test::Bench b(s);
  u64 edits = 0;
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(100'000);  // vCPU 1 is in its loop by now
    const u64 before = b.vm(0).invept_count;
    ivshmem_probe(g, k08);  // no kernel record: sizes and restores each BAR, EPT edits
    edits = b.vm(0).invept_count - before;
  });
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(20'000'000);
  });
  sc_core::sc_start();
  const auto exits = [&](unsigned i, ExitReason r) {
    return b.cpu("RT_VM", i).counters().exits[static_cast<std::size_t>(r)];
  };
  const ExitReason kick = lapic_pt ? ExitReason::init_signal : ExitReason::external_interrupt;
  const ExitReason other = lapic_pt ? ExitReason::external_interrupt : ExitReason::init_signal;
  REQUIRE(edits > 0);
  CHECK(exits(1, kick) >= 1);
  CHECK(exits(1, kick) <= edits);
  CHECK(exits(1, other) == 0);
  CHECK(exits(0, kick) == 0);  // the editor itself is not kicked
}

}  // namespace

TEST_CASE("an EPT edit kicks the VM's other vCPUs out of their guest with an IPI") {
  check_ept_flush_kicks("HLT", false);
}

TEST_CASE("an EPT edit kicks with an IPI where idle pCPUs pause (KEEP_IRQ_DISABLED)") {
  check_ept_flush_kicks("PAUSE", false);
}

TEST_CASE("an EPT edit kicks a LAPIC-passthrough VM's other vCPUs with an INIT") { check_ept_flush_kicks("HLT", true); }

TEST_CASE("an EPT edit kicks a LAPIC-passthrough vCPU halted in its guest with an INIT: it stays halted") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  u64 edits = 0;
  bool woken = false;
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(100'000);  // vCPU 1 is halted by now
    const u64 before = b.vm(0).invept_count;
    ivshmem_probe(g, k08);
    edits = b.vm(0).invept_count - before;
  });
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();  // the LAPIC passed through: HLT does not exit, the VMCS stays loaded
    g.halt();
    woken = true;
  });
  sc_core::sc_start();
  const u64 inits = b.cpu("RT_VM", 1).counters().exits[static_cast<std::size_t>(ExitReason::init_signal)];
  REQUIRE(edits > 0);
  // Kicks that come while it is out for one INIT make another exit after
  // its VM entry; each exit's entry halts it again.
  CHECK(inits >= 1);
  CHECK(inits <= edits);
  CHECK_FALSE(woken);
}

// A LAPIC-passthrough vCPU whose HLT exited (its LAPIC still in xAPIC mode)
// waits in the hypervisor with its VMCS loaded on its own pCPU: kick_vcpu
// still sends the INIT, which VMX root operation holds until the next VM
// entry, and then exits once, however many kicks came.
TEST_CASE("an EPT edit's INIT to a LAPIC-passthrough vCPU halted in the hypervisor exits once after its VM entry") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].pcpus = {3, 4};
  s.vms[0].lapic_passthrough = true;
  test::Bench b(s);
  u64 edits = 0, inits_while_halted = 1;
  bool woken = false;
  b.cpu("RT_VM", 0).set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(100'000);  // vCPU 1 is halted by now
    const u64 before = b.vm(0).invept_count;
    ivshmem_probe(g, k08);
    edits = b.vm(0).invept_count - before;
    g.compute(10'000);
    inits_while_halted = b.cpu("RT_VM", 1).counters().exits[static_cast<std::size_t>(ExitReason::init_signal)];
    g.store<u32>(0xFEE0'0310, 0x8u << 24);  // ICR_HI: vCPU 1 (pCPU 4), xAPIC mode
    g.store<u32>(0xFEE0'0300, 0x61);        // a fixed IPI wakes it
  });
  b.cpu("RT_VM", 1).set_program([&](Vcpu& c) {
    Guest g(c);
    g.on_interrupt(0x61, [&](Guest&) {});
    g.halt();  // xAPIC mode: HLT exits
    woken = true;
  });
  sc_core::sc_start();
  const auto exits = [&](ExitReason r) { return b.cpu("RT_VM", 1).counters().exits[static_cast<std::size_t>(r)]; };
  REQUIRE(edits > 1);
  CHECK(woken);
  CHECK(inits_while_halted == 0);
  CHECK(exits(ExitReason::init_signal) == 1);
  CHECK(exits(ExitReason::external_interrupt) == 0);
}

// rw_vmsix_table acts only on a full DWORD or QWORD of the table: a byte
// or word access changes nothing and is logged (pr_err), a DWORD one is not.
TEST_CASE("a byte or word access to the MSI-X table does nothing and a debug build logs it (rw_vmsix_table)") {
  test::Bench b(test::two_vm_scenario());
  u32 data_after = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    REQUIRE(d);
    g.store<u32>(d->msix_table + 8, 0x41);  // entry 0's message data: acts
    g.store<u8>(d->msix_table + 8, 0x42);   // ignored
    (void)g.load<u16>(d->msix_table + 8);   // ignored
    data_after = g.load<u32>(d->msix_table + 8);
  });
  sc_core::sc_start();
  CHECK(data_after == 0x41);
  const HvLog& log = b.platform->hypervisor().console_log();
  REQUIRE(log.lines() == 2);
  // seq 1 and 2: the probe's first writes of BAR0 and BAR1, which unregister
  // ranges never registered (find_match_mmio_node's pr_info, memory log only).
  for (unsigned i = 0; i < 2; ++i)
    CHECK(log.first_lines().at(i).find("[vm0:vcpu0][sev=3][seq=" + std::to_string(i + 3) +
                                       "]:rw_vmsix_table, Only DWORD and QWORD are permitted") != std::string::npos);
}
