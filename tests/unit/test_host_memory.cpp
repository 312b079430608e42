#include <catch2/catch.hpp>

#include "models/core/timing.h"
#include "models/host/coherence_directory.h"
#include "models/host/host_memory.h"

using namespace ivsim;

TEST_CASE("host memory allocates a page only when it is first touched") {
  HostMemory mem(39);
  CHECK(mem.resident_pages() == 0);
  CHECK(mem.read_u64(0x10'0000'0000ULL) == 0);  // reading an untouched page allocates nothing
  CHECK(mem.resident_pages() == 0);
  mem.write_u64(0x10'0000'0ff8ULL, 0x0102030405060708ULL);
  CHECK(mem.resident_pages() == 1);
  CHECK(mem.read_u64(0x10'0000'0ff8ULL) == 0x0102030405060708ULL);
  // Eight 512 MiB regions' worth of address space costs only what is touched.
  for (u64 r = 0; r < 8; ++r) mem.write_u64(0x40'0000'0000ULL + r * 512 * kMiB, r);
  CHECK(mem.resident_pages() == 9);
}

TEST_CASE("host memory copies across page boundaries") {
  HostMemory mem(39);
  const char text[] = "crosses a page boundary";
  mem.write(kPageSize4K - 5, text, sizeof text);
  char back[sizeof text] = {};
  mem.read(kPageSize4K - 5, back, sizeof back);
  CHECK(std::string(back) == text);
  CHECK(mem.resident_pages() == 2);
}

TEST_CASE("host memory refuses addresses beyond the board's physical address width") {
  HostMemory mem(39);
  CHECK_THROWS_AS(mem.page(u64{1} << 39), std::out_of_range);
  CHECK_FALSE(mem.contains((u64{1} << 39) - 4, 8));
}

namespace {

TimingParams params() {
  TimingParams t;
  t.l1_hit_ps = 2000;
  t.llc_hit_ps = 20000;
  t.dram_ps = 65000;
  t.c2c_ps = {7000, 21000, 52000};
  return t;
}

CoherenceDirectory directory() {
  // pCPU 0 and 1: SMT siblings; 2: same die; 3: other die.
  using D = CoreDistance;
  return CoherenceDirectory(params(), {{D::smt_sibling, D::smt_sibling, D::same_die, D::cross_die},
                                       {D::smt_sibling, D::smt_sibling, D::same_die, D::cross_die},
                                       {D::same_die, D::same_die, D::smt_sibling, D::cross_die},
                                       {D::cross_die, D::cross_die, D::cross_die, D::smt_sibling}});
}

}  // namespace

TEST_CASE("a first read of a line goes to DRAM, a repeat hits the core's cache") {
  auto dir = directory();
  LineState& l = dir.page(0x1000)->line[3];
  AccessCost c = dir.load(l, 2);
  CHECK(c.component == Component::dram);
  CHECK(c.ps == 65000);
  c = dir.load(l, 2);
  CHECK(c.component == Component::cache);
  CHECK(c.ps == 2000);
}

TEST_CASE("reading a line modified in another core costs a transfer by topology distance") {
  auto dir = directory();
  for (auto [reader, expected] : {std::pair<unsigned, TimePs>{1, 7000}, {2, 21000}, {3, 52000}}) {
    LineState l;
    dir.store(l, 0, 100);
    CHECK(CoherenceDirectory::involves_other_core(l, reader, false));
    const AccessCost c = dir.load(l, reader);
    CHECK(c.component == Component::coherence);
    CHECK(c.ps == expected);
    // Both now share it clean; the writer's next read hits.
    CHECK(dir.load(l, 0).component == Component::cache);
    CHECK_FALSE(CoherenceDirectory::involves_other_core(l, reader, false));
  }
}

TEST_CASE("a line clean in another core is served by the LLC and a store invalidates the other copies") {
  auto dir = directory();
  LineState l;
  dir.load(l, 0);
  const AccessCost c = dir.load(l, 2);
  CHECK(c.component == Component::cache);
  CHECK(c.ps == 20000);
  CHECK(CoherenceDirectory::involves_other_core(l, 2, true));
  dir.store(l, 2, 500);
  CHECK(l.holders == (CoreMask{1} << 2));
  CHECK(l.modified_by == 3);
  CHECK(l.last_write_ps == 500);
  CHECK(CoherenceDirectory::hits(l, 2, true));
  CHECK_FALSE(CoherenceDirectory::hits(l, 0, false));
}
