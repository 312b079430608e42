// The APIC-access page at 0xFEE00000: vlapic_create maps it in every VM's
// EPT (readable, writable, UC), one page of the hypervisor's data for all
// of them (vlapic_apicv_get_apic_access_addr's static array). In xAPIC mode
// "virtualize APIC accesses" takes the accesses before memory (the virtual
// LAPIC answers); switch_apicv_mode_x2apic turns it off, and from then on
// the guest's loads and stores there reach the page itself.
#include <catch2/catch.hpp>

#include "tests/support/testbench.h"
#include "workloads/guest_api.h"

using namespace ivsim;

namespace {

constexpr Gpa kApic = 0xFEE0'0000;
constexpr Gpa kSpare = kApic + 0x800;  // no xAPIC register there

u64 exits_of(const Vcpu& c) {
  u64 n = 0;
  for (u64 e : c.counters().exits) n += e;
  return n;
}

}  // namespace

TEST_CASE(
    "in x2APIC mode the APIC-access page is one page of memory every VM maps: a store in one VM reaches "
    "another's load, without an exit") {
  test::Bench b(test::two_vm_scenario());
  u32 xapic_id = 0, seen_by_rt = 0, seen_by_hmi = 0;
  u64 rt_exits = ~u64{0}, hmi_exits = ~u64{0};
  TimePs hmi_load_ps = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    if (!c.lapic().x2apic()) xapic_id = g.load<u32>(kApic + 0x20) >> 24;  // the ID register, virtualized
    g.enable_x2apic();
    const u64 before = exits_of(c);
    g.store<u32>(kSpare, 0x5EC2'E7u);
    seen_by_rt = g.load<u32>(kSpare);
    rt_exits = exits_of(c) - before;
  });
  b.cpu("HMI_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    g.enable_x2apic();
    g.compute(c.timing().core_clock.mhz() * 10'000);  // 10 ms: well after RT_VM's store
    const u64 before = exits_of(c);
    const TimePs t0 = g.timestamp().time_ps;
    seen_by_hmi = g.load<u32>(kSpare);
    hmi_load_ps = g.timestamp().time_ps - t0;
    hmi_exits = exits_of(c) - before;
  });
  sc_core::sc_start();
  CHECK(xapic_id == b.cpu("RT_VM").lapic().apic_id());
  CHECK(seen_by_rt == 0x5EC2'E7u);
  CHECK(seen_by_hmi == 0x5EC2'E7u);  // another VM's store, through the page both EPTs map
  CHECK(rt_exits == 0);
  CHECK(hmi_exits == 0);
  // UC: a memory access of its own, not a cache hit.
  CHECK(hmi_load_ps >= b.cpu("HMI_VM").timing().dram_ps);
}

TEST_CASE("in xAPIC mode the APIC-access page is the virtual LAPIC's: a store to it never reaches the page") {
  test::Bench b(test::two_vm_scenario());
  u32 seen_in_x2apic = 1;
  u64 apic_access_exits = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    REQUIRE_FALSE(c.lapic().x2apic());
    g.store<u32>(kSpare, 0x1234'5678u);  // no register: an APIC-access exit, vlapic_write ignores it
    apic_access_exits = c.counters().exits[static_cast<std::size_t>(ExitReason::apic_access)];
    g.enable_x2apic();
    seen_in_x2apic = g.load<u32>(kSpare);
  });
  sc_core::sc_start();
  CHECK(apic_access_exits >= 1);
  CHECK(seen_in_x2apic == 0);  // the page as the hypervisor's image left it
  CHECK(b.platform->host_memory().read_u64(b.platform->layout().apic_access_page + 0x800) == 0);
}
