// The VM's emulated MMIO ranges as ACRN's emul_mmio[] nodes
// (hypervisor/dm/io_req.c): lowest free node on registration, exact-range
// match on unregistration, the first overlapping node decides an access.
#include <catch2/catch.hpp>

#include "models/hv/hypervisor.h"
#include "models/hv/mmio_registry.h"

using namespace ivsim;

namespace {

struct Handler : MmioHandler {
  void mmio_read(unsigned, Gpa, unsigned, u64&) override {}
  void mmio_write(unsigned, Gpa, unsigned, u64) override {}
};

}  // namespace

TEST_CASE("unregistering frees the node with exactly that range, whoever registered it") {
  Handler dev;
  MmioRegistry r;
  constexpr Gpa x = 0x8000'0000;
  r.add(x, 0x1000, &dev, 1);  // BAR1 at X
  r.add(x, 0x100, &dev, 0);   // BAR0 at X
  bool straddles = true;
  REQUIRE(r.find(x + 0xC, 4, straddles));
  CHECK(r.find(x + 0xC, 4, straddles)->tag == 1);  // the first node that overlaps
  r.remove(x, 0x100);                              // BAR0 moves away
  const MmioRegistry::Range* hit = r.find(x + 0xC, 4, straddles);
  REQUIRE(hit);
  CHECK(hit->tag == 1);
  CHECK(hit->size == 0x1000);
  r.remove(x, 0x800);  // no node has that range: nothing happens
  CHECK(r.find(x, 4, straddles));
}

TEST_CASE("a registration takes the lowest free node, and the first overlapping node decides") {
  Handler a, b, c;
  MmioRegistry r;
  r.add(0x1000, 0x1000, &a, 0);
  r.add(0x1800, 0x100, &b, 0);
  bool straddles = false;
  CHECK(r.find(0x1800, 4, straddles)->handler == &a);
  r.remove(0x1000, 0x1000);
  r.add(0x1800, 0x100, &c, 0);  // node 0 again, ahead of b's
  CHECK(r.find(0x1800, 4, straddles)->handler == &c);
}

TEST_CASE("an access only partly inside the first overlapping node is an error, not the next node's") {
  Handler a, b;
  MmioRegistry r;
  r.add(0x1000, 0x100, &a, 0);
  r.add(0x1000, 0x1000, &b, 0);
  bool straddles = false;
  CHECK(r.find(0x10FE, 4, straddles) == nullptr);
  CHECK(straddles);  // hv_emulate_mmio: -EIO, the vCPU gets #GP
  CHECK(r.find(0x2000, 4, straddles) == nullptr);
  CHECK_FALSE(straddles);  // no node: not emulated here
}

TEST_CASE("the hypervisor injects #GP for an EPT violation only partly inside an emulated range") {
  HostMemory mem{39};
  TimingParams timing;
  Hypervisor hv{mem, timing, 2};
  Vm& vm = hv.create_vm(0, "VM", VmLoadOrder::pre_launched, 0x100'0000, 4 * kMiB, ept::LargePages{});
  Handler h;
  vm.mmio.add(0x9000'0000, 0x100, &h, 0);
  auto exit_at = [&](Gpa gpa, unsigned size) {
    VmExitExtension exit;
    exit.vm = vm.id;
    exit.reason = ExitReason::ept_violation;
    u8 data[8] = {};
    IoRequest forward;
    hv.handle_exit(exit, gpa, size, false, data, forward);
    return exit.fault ? exit.fault_vector : u8{0};
  };
  // A debug build with a serial console at ACRN's sample level (3).
  HvLogConfig log;
  log.debug_build = true;
  log.serial_console = true;
  log.console_loglevel = 3;
  log.char_ps = 1000;
  hv.configure_log(log);
  CHECK(exit_at(0x9000'00F8, 4) == 0);
  CHECK(exit_at(0x9000'00FE, 4) == kVectorGp);
  // The ECAM window is the VM's first node (init_vpci).
  CHECK(exit_at(Hypervisor::kEcamBase - 2, 4) == kVectorGp);
  CHECK(exit_at(Hypervisor::kEcamBase, 4) == 0);
  // hv_emulate_mmio's pr_fatal, once for each -EIO.
  const HvLog& l = hv.console_log();
  REQUIRE(l.lines() == 2);
  CHECK(l.first_lines().at(0).find("[sev=1][seq=1]:Err MMIO, address:0x900000fe, size:4") != std::string::npos);
  CHECK(l.first_lines().at(1).find("[sev=1][seq=2]:Err MMIO, address:0xdffffffe, size:4") != std::string::npos);
}

TEST_CASE("with every node in use a registration takes none, and a freed node is taken again") {
  Handler a, b;
  MmioRegistry r(3);  // CONFIG_MAX_EMULATED_MMIO_REGIONS 3
  CHECK(r.add(0x1000, 0x100, &a, 0));
  CHECK(r.add(0x2000, 0x100, &a, 1));
  CHECK(r.add(0x3000, 0x100, &a, 2));
  CHECK(r.in_use() == 3);
  CHECK_FALSE(r.add(0x4000, 0x100, &b, 0));  // find_free_mmio_node: NULL, nothing registered
  bool straddles = true;
  CHECK(r.find(0x4000, 4, straddles) == nullptr);
  CHECK_FALSE(straddles);
  CHECK_FALSE(r.remove(0x4000, 0x100));  // find_match_mmio_node: no match
  CHECK(r.remove(0x2000, 0x100));
  CHECK(r.add(0x4000, 0x100, &b, 0));  // node 1, freed above
  REQUIRE(r.find(0x4000, 4, straddles));
  CHECK(r.find(0x4000, 4, straddles)->handler == &b);
  CHECK(r.in_use() == 3);
}

TEST_CASE("create_vm takes a node for the ECAM window and one for each vIOAPIC, which serves no access") {
  HostMemory mem{39};
  TimingParams timing;
  Hypervisor hv{mem, timing, 4};
  hv.set_max_emulated_mmio(4);
  hv.set_platform_ioapics({0xFEC0'0000, 0xFEC0'1000});
  Vm& user = hv.create_vm(0, "User", VmLoadOrder::pre_launched, 0x100'0000, 4 * kMiB, ept::LargePages{});
  Vm& service = hv.create_vm(1, "Service", VmLoadOrder::service_vm, 0x200'0000, 4 * kMiB, ept::LargePages{});
  CHECK(user.mmio.capacity() == 4);
  CHECK(user.mmio.in_use() == 2);     // init_vpci, vioapic_init (VIOAPIC_BASE)
  CHECK(service.mmio.in_use() == 3);  // one vIOAPIC per physical IOAPIC
  Handler h;
  CHECK(hv.register_mmio_emulation_handler(user, 0x8000'0000, 0x100, &h, 0));
  CHECK(hv.register_mmio_emulation_handler(user, 0x8000'1000, 0x1000, &h, 1));
  CHECK(user.mmio_registrations_failed == 0);
  CHECK_FALSE(hv.register_mmio_emulation_handler(user, 0x8000'2000, 0x100, &h, 0));
  CHECK(user.mmio_registrations_failed == 1);
  bool straddles = true;
  CHECK(user.mmio.find(Hypervisor::kVioapicBase, 4, straddles) == nullptr);
  CHECK_FALSE(straddles);
  CHECK(user.mmio.find(0x8000'2000, 4, straddles) == nullptr);
}
