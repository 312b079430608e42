// ept_add_mr / ept_del_mr take whatever base and size a guest's BAR gives,
// as ACRN's page-table code does (found by the guest-traffic fuzzer: a
// 256-byte BAR0 restored to its sizing mask, 0xFFFFFF00, stopped the twin
// with "EPT edit: gpa and size must be 4 KiB aligned").
#include <catch2/catch.hpp>

#include "models/hv/hypervisor.h"

using namespace ivsim;

namespace {

struct World {
  HostMemory mem{39};
  TimingParams timing;
  Hypervisor hv{mem, timing, 2};
  Vm& vm = hv.create_vm(0, "VM", VmLoadOrder::pre_launched, 0x100'0000, 4 * kMiB, ept::LargePages{});
};

constexpr u64 kProt = ept::kRead | ept::kWrite | ept::kWB;

}  // namespace

TEST_CASE("an EPT edit at an address that is not page-aligned rounds as ACRN's pgtable code does") {
  World w;
  w.hv.ept_add_mr(w.vm, 0x4000'0000, 0x1'0000'0000, 2 * kPageSize4K, kProt);
  // del at 0xFFFFFF00, 4 KiB: the base rounds up to 4 GiB, one page goes.
  CHECK_NOTHROW(w.hv.ept_del_mr(w.vm, 0xFFFF'FF00, kPageSize4K));
  CHECK_FALSE(w.vm.ept->walk(0x1'0000'0000).present);
  CHECK(w.vm.ept->walk(0x1'0000'1000).present);
  // A size below a page edits nothing.
  CHECK(w.hv.ept_del_mr(w.vm, 0x1'0000'1000, 0x100).leaves_changed == 0);
  CHECK(w.vm.ept->walk(0x1'0000'1000).present);
  // add at an unaligned base maps from the next page, the size rounded down;
  // the HPA is rounded up on its own (paddr = round_page_up(paddr_base)).
  w.hv.ept_add_mr(w.vm, 0x4000'2000, 0x2000'0800, 2 * kPageSize4K, kProt);
  CHECK_FALSE(w.vm.ept->walk(0x2000'0000).present);
  CHECK(w.vm.ept->walk(0x2000'1000).present);
  CHECK(w.vm.ept->walk(0x2000'1000).hpa == 0x4000'2000);
  CHECK_FALSE(w.vm.ept->walk(0x2000'3000).present);
}

TEST_CASE("an EPT edit beyond the 48-bit reach lands on its alias, and one that wraps past 2^64 edits nothing") {
  World w;
  const Gpa high = (u64{1} << 48) + 0x8000'0000;
  CHECK_NOTHROW(w.hv.ept_add_mr(w.vm, 0x4000'0000, high, 2 * kMiB, kProt));
  CHECK(w.vm.ept->walk(0x8000'0000).present);
  CHECK(w.vm.ept->walk(0x8000'0000).hpa == 0x4000'0000);
  CHECK_NOTHROW(w.hv.ept_del_mr(w.vm, high, 2 * kMiB));
  CHECK_FALSE(w.vm.ept->walk(0x8000'0000).present);
  // A range across 2^48 is split: its top part wraps to GPA 0.
  w.hv.ept_add_mr(w.vm, 0x4000'0000, (u64{1} << 48) - kPageSize4K, 2 * kPageSize4K, kProt);
  CHECK(w.vm.ept->walk((u64{1} << 48) - kPageSize4K).hpa == 0x4000'0000);
  CHECK(w.vm.ept->walk(0).hpa == 0x4000'1000);
  // base + size past 2^64: ACRN's while (vaddr < vaddr_end) never runs.
  const ept::EditResult r = w.hv.ept_add_mr(w.vm, 0x4000'0000, ~u64{0} - kMiB + 1, 2 * kMiB, kProt);
  CHECK(r.pages_4k_mapped + r.pages_2m_mapped == 0);
}
