// A guest's reboot (the reset register 0xCF9, the keyboard controller's
// 0xFE at 0x64) as ACRN takes it: hypervisor/arch/x86/guest/vm_reset.c for
// pre-launched VMs, the Service VM and RTVMs; acrn-dm (pm.c reset_handler,
// main.c vm_system_reset) for the other post-launched VMs. Each test's guest
// program writes the register itself.
#include <systemc>

#include <catch2/catch.hpp>

#include "models/dm/device_model.h"
#include "models/hv/ivshmem_device.h"
#include "tests/support/testbench.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/pci_config.h"

using namespace ivsim;
using test::hv_device;

namespace {

const pci::Bdf k08 = *pci::Bdf::parse("00:08.0");

// A guest that counts its boots in the shared region and reboots on its
// first one through `reboot`; `after_reset` is set if the instruction after
// the reset write ever runs.
struct Rebooter {
  u64 boots_seen = 0;
  bool after_reset = false;
  bool probed_again = false;
  void run(Guest& g, const std::function<void(Guest&)>& reboot) {
    const auto d = ivshmem_probe(g, k08);
    if (!d) return;
    boots_seen = g.load<u64>(d->shmem + 0x20) + 1;
    g.store<u64>(d->shmem + 0x20, boots_seen);
    if (boots_seen == 1) {
      reboot(g);
      after_reset = true;
    } else {
      probed_again = true;
    }
  }
};

}  // namespace

// acrn-dm's system reset re-adds the vdevs while the VM is paused: the hv-land
// device's HC_ADD_VDEV fails (hcall_add_vdev wants a CREATED VM), init_pci
// stops there (pci_emul_init_fail) and the guest boots without any of its
// devices: the dm-land one in the slot after it was never initialised again.
TEST_CASE(
    "a post-launched VM's 0xCF9 reboot is acrn-dm's system reset: the hv-land vdev's failure leaves the VM "
    "without its dm-land device too (reset_handler, vm_system_reset, init_pci)") {
  test::Bench b(test::mixed_scenario());
  const pci::Bdf k09 = *pci::Bdf::parse("00:09.0");
  u64 boots_seen = 0;
  bool after_reset = false, found_first = false, hv_found_again = true, dm_found_again = true;
  // An address in acrn-dm's 32-bit PCI hole, where no device is: the
  // fallback range answers it before the reset; after it, init_pci stopped
  // before registering the fallbacks, so it is -ESRCH.
  constexpr Gpa kHole = 0xD000'0000;
  u64 unclaimed_first = 9, unclaimed_again = 9;
  const DeviceModel* dm_seen = b.platform->device_models().at(0).get();
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    ++boots_seen;
    if (boots_seen == 1) {
      found_first = ivshmem_probe(g, k08).has_value() && ivshmem_probe(g, k09).has_value();
      (void)g.load<u64>(kHole);
      unclaimed_first = dm_seen->unclaimed();
      g.outb(0xCF9, 0x06);
      after_reset = true;
    } else {
      hv_found_again = ivshmem_probe(g, k08).has_value();
      dm_found_again = ivshmem_probe(g, k09).has_value();
      (void)g.load<u64>(kHole);
      unclaimed_again = dm_seen->unclaimed();
    }
  });
  const u64 sos_calls_before = b.vm(1).hypercalls;
  sc_core::sc_start();
  CHECK_FALSE(after_reset);
  CHECK(found_first);
  CHECK(boots_seen == 2);
  CHECK_FALSE(hv_found_again);
  CHECK_FALSE(dm_found_again);
  CHECK(b.cpu("HMI_VM").boots() == 2);
  CHECK(b.cpu("HMI_VM").finished());
  CHECK(b.vm(2).resets == 1);
  CHECK(b.vm(2).state == VmState::running);
  // From the Service VM's vCPU, at run time: PAUSE_VM, REMOVE_VDEV (hv:/), ADD_VDEV (hv:/, -EINVAL),
  // RESET_VM, START_VM, besides a NOTIFY_REQUEST_FINISH per I/O request. The dm-land device (slot 9)
  // comes after the hv-land one (slot 8): init_pci never reached it, so no VM_SET_MEMORY_REGIONS.
  CHECK(b.vm(1).hypercalls - sos_calls_before > 5);
  CHECK(b.vm(1).hypercalls_failed == 1);
  CHECK_FALSE(hv_device(*b.platform, 2));
  const DeviceModel& dm = *b.platform->device_models().at(0);
  CHECK(dm.resets() == 1);
  CHECK(dm.devices().empty());
  REQUIRE(dm.reset_errors().size() == 1);
  CHECK(dm.reset_errors()[0] == "HC_ADD_VDEV hv:/shared failed (-22): target VM is not in CREATED state");
  CHECK(unclaimed_first == 0);
  CHECK(unclaimed_again == 1);
}

// With the dm-land device in the slot before the hv-land one, init_pci
// initialises it again, then pci_emul_init_fail deinitialises it when the
// hv-land one fails: the VM comes back without either all the same.
TEST_CASE("a system reset whose hv-land vdev fails takes down the device initialised before it (pci_emul_init_fail)") {
  Scenario s = test::mixed_scenario();
  s.regions[1].members[0].vbdf = *pci::Bdf::parse("00:07.0");  // HMI_VM's dm-land device before its hv-land one
  test::Bench b(s);
  const pci::Bdf k07 = *pci::Bdf::parse("00:07.0");
  u64 boots_seen = 0;
  bool found_first = false, dm_found_again = true;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    if (++boots_seen == 1) {
      found_first = ivshmem_probe(g, k07).has_value();
      g.outb(0xCF9, 0x06);
    } else {
      dm_found_again = ivshmem_probe(g, k07).has_value();
    }
  });
  sc_core::sc_start();
  CHECK(found_first);
  CHECK(boots_seen == 2);
  CHECK_FALSE(dm_found_again);
  const DeviceModel& dm = *b.platform->device_models().at(0);
  CHECK(dm.devices().empty());
  CHECK(dm.reset_errors().size() == 1);
}

// A region of more than 1 897 pages (16 MiB: 4 096) is re-mapped at the reset
// from the Service VM's vCPU through the batch area the acrn-dm instances share.
TEST_CASE("after acrn-dm's system reset a 16 MiB dm-land region is mapped again page by page, contents kept") {
  Scenario s = test::mixed_scenario();
  s.regions[1].size_mib = 16;
  test::Bench b(s);
  u64 boots_seen = 0, last_page_seen = 0;
  // UOS_VM: its dm-land device (00:08.0) is its only one, so the reset brings it back.
  b.cpu("UOS_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto dm = ivshmem_probe(g, k08);
    if (!dm) return;
    const Gva last_page = dm->shmem + 16 * kMiB - kPageSize4K;
    boots_seen = g.load<u64>(dm->shmem + 0x20) + 1;
    g.store<u64>(dm->shmem + 0x20, boots_seen);
    if (boots_seen == 1) {
      g.store<u64>(last_page, 0x1234);
      g.outb(0xCF9, 0x06);
    } else {
      last_page_seen = g.load<u64>(last_page);
    }
  });
  sc_core::sc_start();
  CHECK(boots_seen == 2);
  CHECK(last_page_seen == 0x1234);
  const ShmObject* shm = b.platform->shm_namespace()->find("shared");
  REQUIRE(shm);
  const Gpa bar2 = b.platform->device_models().at(1)->devices().front()->memseg_gpa();
  const ept::WalkResult w = b.vm(3).ept->walk(bar2 + 16 * kMiB - kPageSize4K);
  REQUIRE(w.present);
  CHECK(w.page_shift == 12);
  CHECK(w.hpa == shm->hpa + 16 * kMiB - kPageSize4K);
  // 4 096 flush requests at launch and as many at the reset.
  CHECK(b.vm(3).invept_count >= 2 * 4096);
}

TEST_CASE("destroying the hv-land vdev clears BAR2, then BAR3: a BAR2 above 4 GiB unmaps at hi << 32 too "
          "(destroy_ivshmem_vdev)") {
  Scenario s = test::two_vm_scenario();
  s.vms[2].memory_mib = 2560;  // 2 GiB below 4 GiB, 512 MiB from 4 GiB
  test::Bench b(s);
  const Gpa high_ram = kHighRamGpa;
  const Gpa bar2 = kHighRamGpa + (u64{2} << 30);  // above the high RAM: hi = 1, lo = 2 GiB
  const Gpa boot_count = 0x0100'0000;
  u64 high_ram_before = 0, high_ram_after = 0;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const u64 boot = g.load<u64>(boot_count) + 1;
    g.store<u64>(boot_count, boot);
    if (boot == 1) {
      ivshmem_probe(g, k08);
      g.store<u64>(high_ram, 0x77);
      high_ram_before = g.load<u64>(high_ram);
      pci_cfg_write32(g, k08, 0x1C, static_cast<u32>(bar2 >> 32));
      pci_cfg_write32(g, k08, 0x18, static_cast<u32>(bar2) | 0xC);
      g.outb(0xCF9, 0x06);  // acrn-dm's system reset: HC_DESTROY_VDEV
    } else {
      high_ram_after = g.load<u64>(high_ram);
    }
  });
  sc_core::sc_start();
  CHECK(b.cpu("HMI_VM").boots() == 2);
  CHECK(high_ram_before == 0x77);
  // BAR2's lower half cleared left its base at 4 GiB, and BAR3's turn
  // unmapped there: the first 2 MiB of the high RAM are gone.
  CHECK(high_ram_after == ~u64{0});
}

TEST_CASE("a full reset (0xCF9 bit 3) of a post-launched VM relaunches it with its hv-land device") {
  test::Bench b(test::two_vm_scenario());
  Rebooter hmi;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    hmi.run(g, [](Guest& gg) { gg.outb(0xCF9, 0x0E); });
  });
  sc_core::sc_start();
  CHECK_FALSE(hmi.after_reset);
  CHECK(hmi.probed_again);
  CHECK(hmi.boots_seen == 2);
  CHECK(b.cpu("HMI_VM").boots() == 2);
  REQUIRE(hv_device(*b.platform, 2));
  CHECK(hv_device(*b.platform, 2)->region().doorbell_peers[2] == hv_device(*b.platform, 2));
  CHECK(b.platform->device_models().at(0)->reset_errors().empty());
}

TEST_CASE("the keyboard controller's reset (0xFE to 0x64) of a post-launched VM is acrn-dm's full reset "
          "(atkbdc.c KBDC_RESET): the VM is torn down and launched again") {
  test::Bench b(test::two_vm_scenario());
  Rebooter hmi;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    hmi.run(g, [](Guest& gg) { gg.outb(0x64, 0xFE); });
  });
  sc_core::sc_start();
  CHECK_FALSE(hmi.after_reset);
  CHECK(hmi.boots_seen == 2);
  CHECK(b.vm(2).resets == 1);
  CHECK(b.vm(2).state == VmState::running);
  // Its RAM was unmapped and mapped again from Service VM memory.
  CHECK(b.vm(2).ept->walk(0).present);
  CHECK(b.platform->device_models().at(0)->reset_errors().empty());
}

TEST_CASE("a pre-launched VM's reboot shuts it down: ACRN does not relaunch it (handle_common_reset_reg_write), "
          "the other VMs run on") {
  test::Bench b(test::two_vm_scenario());
  Rebooter rt;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    rt.run(g, [](Guest& gg) { gg.outb(0xCF9, 0x0E); });
  });
  bool hmi_done = false;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(1'000'000);
    hmi_done = true;
  });
  sc_core::sc_start();
  CHECK_FALSE(rt.after_reset);
  CHECK(rt.boots_seen == 1);
  CHECK(b.cpu("RT_VM").boots() == 1);
  CHECK(b.cpu("RT_VM").is_shut_down());
  CHECK(b.vm(0).state == VmState::powered_off);
  CHECK(b.vm(0).resets == 1);
  CHECK(hmi_done);
  CHECK(b.platform->hypervisor().host_reset_by().empty());
}

TEST_CASE("a VM that shuts down leaves its region's doorbell peers: the other member's doorbells to it are dropped "
          "(deinit_vpci, deinit_ivshmem_vdev)") {
  test::Bench b(test::two_vm_scenario());
  int handled = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    ivshmem_setup_msix(g, *d, 0, msi_address(g.apic_id()), 0x42);
    g.on_interrupt(0x42, [&](Guest&) { ++handled; });
    g.store<u64>(d->shmem, 1);  // MSI-X set up
    g.halt();                   // the first doorbell
    g.outb(0xCF9, 0x0E);        // reboot: a pre-launched VM is shut down
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    const auto d = ivshmem_probe(g, k08);
    g.wait_until(d->shmem, 8, Cmp::eq, 1);
    ivshmem_write_doorbell(g, *d, 0, 0);
    g.compute(10'000'000);  // RT_VM takes it and reboots meanwhile
    ivshmem_write_doorbell(g, *d, 0, 0);
  });
  sc_core::sc_start();
  CHECK(handled == 1);
  REQUIRE(b.vm(0).state == VmState::powered_off);
  const DoorbellStats& s = hv_device(*b.platform, 2)->region().doorbells;
  CHECK(s.sent == 2);
  CHECK(s.delivered == 1);
  CHECK(s.dropped.at("peer_not_in_region") == 1);
  CHECK(b.vm(0).interrupts_received == 1);
}

TEST_CASE("the reboot of the VM of highest severity resets the host (get_highest_severity_vm, reset_host)") {
  test::Bench b(test::two_vm_scenario());
  bool after = false;
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.outb(0x64, 0xFE);
    after = true;
  });
  sc_core::sc_start();
  CHECK_FALSE(after);
  CHECK(b.platform->hypervisor().host_reset_by() == "Service_VM");
  for (VmId id : {0, 1, 2}) CHECK(b.vm(id).state == VmState::powered_off);
}

TEST_CASE("with a pre-launched RTVM alive the Service VM's reboot only shuts the Service VM down") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].vm_type = "RTVM";
  test::Bench b(s);
  b.cpu("Service_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.outb(0xCF9, 0x06);
  });
  bool rt_done = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.compute(1'000'000);
    rt_done = true;
  });
  sc_core::sc_start();
  CHECK(b.platform->hypervisor().host_reset_by().empty());
  CHECK(b.vm(1).state == VmState::powered_off);
  CHECK(b.vm(0).state == VmState::running);
  CHECK(rt_done);
}

TEST_CASE("a post-launched RTVM's reboot: the hypervisor marks it ready to power off, acrn-dm relaunches it "
          "(poweroff_if_rt_vm, then its full reset)") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].vm_type = "RTVM";  // the pre-launched RTVM keeps the highest severity (lower id)
  s.vms[2].vm_type = "RTVM";
  test::Bench b(s);
  Rebooter hmi;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    hmi.run(g, [](Guest& gg) { gg.outb(0xCF9, 0x0E); });
  });
  sc_core::sc_start();
  CHECK_FALSE(hmi.after_reset);
  CHECK(hmi.boots_seen == 2);
  CHECK(b.vm(2).resets == 1);
  CHECK(b.vm(2).state == VmState::running);
}

TEST_CASE(
    "writes to the reset register that are not resets are ignored as handle_cf9_write does and it reads all ones") {
  test::Bench b(test::two_vm_scenario());
  u8 control = 0;
  bool survived = false;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.outb(0xCF9, 0x02);  // bit 1 alone: no reset
    control = g.inb(0xCF9);
    g.outw(0xCF9, 0x06);  // a 2-byte write: not a reset
    g.outb(0x64, 0xFD);   // another keyboard command
    survived = true;
  });
  sc_core::sc_start();
  CHECK(control == 0xFF);  // handle_reset_reg_read: hidden from a pre-launched VM
  CHECK(survived);
  CHECK(b.vm(0).state == VmState::running);
  CHECK(b.vm(0).resets == 0);
}

// acrn-dm's system reset pauses the VM and postpones the completion of the
// request that asked for it: the requester, a zombie, drops it (its entry
// leaves the HSM's list) while the HSM looks at the request slots again,
// from whose reads it may hand over to the kernel.
TEST_CASE("a post-launched VM that resets itself again and again leaves the HSM's scan of the request slots intact") {
  Scenario s = test::mixed_scenario();
  s.run.quantum_ns = 10;  // the Service VM's vCPU hands over often: at slot reads too
  test::Bench b(s);
  constexpr unsigned kResets = 40;
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    if (c.boots() > kResets) return;
    g.outb(0xCF9, 0x04);  // bit 2 alone: acrn-dm's reset_handler resets
  });
  sc_core::sc_start();
  CHECK(b.vm(2).resets == kResets);
  CHECK(b.cpu("HMI_VM").boots() == kResets + 1);
  CHECK(b.cpu("HMI_VM").finished());
}
