// A pre-launched VM's memory in its EPT as prepare_prelaunched_vm_memmap
// maps its E820 (create_prelaunched_vm_e820): consecutive host memory backs
// [0, 640 KiB) write-back, [640 KiB, 1 MiB) uncached, its RAM from 1 MiB
// and its 2 MiB of ACPI tables at 0x7FE00000, and, past 2 GiB - 20 KiB of
// memory, the rest at 4 GiB. Its guest sees RAM end 2 MiB short of its size.
#include <catch2/catch.hpp>

#include "tests/support/testbench.h"
#include "workloads/guest_api.h"

using namespace ivsim;

namespace {
bool maps(const Vm& vm, Gpa gpa, Hpa hpa, ept::MemType type) {
  const ept::WalkResult w = vm.ept->walk(gpa);
  return w.present && w.hpa == hpa && ept::mem_type_of(w.leaf) == type;
}
}  // namespace

TEST_CASE("a pre-launched VM's EPT maps its E820 from consecutive host memory, ACPI tables under 2 GiB") {
  // Partitioned: pre-launched VMs only.
  Scenario s;
  s.name = "partitioned";
  s.board = "cfl-k700-i7";
  s.vms = {make_vm(0, "RT_VM", LoadOrder::pre_launched, {3}, 512),
           make_vm(3, "Big_VM", LoadOrder::pre_launched, {6}, 2048)};
  test::Bench b(s);
  const Vm& rt = b.vm(0);
  const Hpa at = rt.ram_hpa;
  CHECK(maps(rt, 0x9F000, at + 0x9F000, ept::MemType::WB));
  CHECK(maps(rt, 0xA0000, at + 0xA0000, ept::MemType::UC));  // reserved under 1 MiB: backed, uncached
  CHECK(maps(rt, kMiB, at + kMiB, ept::MemType::WB));
  CHECK(maps(rt, 510 * kMiB - kPageSize4K, at + 510 * kMiB - kPageSize4K, ept::MemType::WB));
  CHECK_FALSE(rt.ept->walk(510 * kMiB).present);                    // past its RAM: no mapping
  CHECK(maps(rt, 0x7FE0'0000, at + 510 * kMiB, ept::MemType::WB));  // the ACPI tables: its last 2 MiB
  CHECK(maps(rt, 0x7FFF'F000, at + 512 * kMiB - kPageSize4K, ept::MemType::WB));
  CHECK(rt.ram_low_size == 510 * kMiB);
  CHECK(rt.ram_top_hpa() == at + 512 * kMiB);

  // 2 GiB: RAM up to the GPU OpRegion's 20 KiB below the ACPI tables, and
  // those 20 KiB at 4 GiB, backed by its host memory after the ACPI tables:
  // a host address 2 MiB aligned no more, so 4 KiB EPT pages.
  const Vm& big = b.vm(3);
  const Hpa bat = big.ram_hpa;
  CHECK(maps(big, 0x7FDF'A000, bat + 0x7FDF'A000, ept::MemType::WB));
  CHECK_FALSE(big.ept->walk(0x7FDF'B000).present);
  CHECK(maps(big, 0x7FE0'0000, bat + 0x7FDF'B000, ept::MemType::WB));
  CHECK(maps(big, 4 * kGiB, bat + 2 * kGiB - 0x5000, ept::MemType::WB));
  CHECK(big.ept->walk(4 * kGiB).page_shift == 12);
  CHECK(maps(big, 4 * kGiB + 0x4000, bat + 2 * kGiB - kPageSize4K, ept::MemType::WB));
  CHECK_FALSE(big.ept->walk(4 * kGiB + 0x5000).present);
  CHECK(big.ram_high_hpa == bat + 2 * kGiB - 0x5000);
  CHECK(big.ram_top_hpa() == bat + 2 * kGiB);
}

TEST_CASE("a pre-launched guest's RAM ends 2 MiB short of its memory: beyond it no mapping, the ACPI tables are RAM") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].memory_mib = 512;
  test::Bench b(s);
  u64 ram_bytes = 0, past_end = 0, acpi = 0, exits_past = 0, exits_acpi = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    ram_bytes = g.ram_bytes();
    const auto exits = [&] {
      u64 n = 0;
      for (u64 e : c.counters().exits) n += e;
      return n;
    };
    u64 before = exits();
    past_end = g.load<u64>(510 * kMiB);
    exits_past = exits() - before;
    before = exits();
    g.store<u64>(0x7FE0'0008, 0xAC01);
    acpi = g.load<u64>(0x7FE0'0008);
    exits_acpi = exits() - before;
  });
  sc_core::sc_start();
  CHECK(ram_bytes == 510 * kMiB);
  // An EPT violation with no device behind it: the read gets all-ones.
  CHECK(exits_past == 1);
  CHECK(past_end == ~u64{0});
  CHECK(exits_acpi == 0);
  CHECK(acpi == 0xAC01);
}
