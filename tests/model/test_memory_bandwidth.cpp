// Bulk copies through the whole vCPU path: a single core copying guest RAM
// to guest RAM streams at the bandwidth its outstanding misses allow
// (latency reference section 6 and section 7 row 13), not 64 B per miss.
#include <catch2/catch.hpp>

#include <vector>

#include "tests/support/testbench.h"
#include "workloads/guest_api.h"

using namespace ivsim;

namespace {

constexpr u64 kCopyBytes = 64 * kMiB;
constexpr u64 kChunk = 64 * 1024;  // the guest copies through a 64 KiB buffer
constexpr Gpa kSrc = 16 * kMiB;
constexpr Gpa kDst = kSrc + kCopyBytes;

}  // namespace

TEST_CASE("a single-core memcpy of 64 MiB from DRAM to DRAM runs at about 11 GB/s on coffee-lake-client") {
  Scenario s = test::two_vm_scenario();
  s.vms[0].memory_mib = 256;  // RT_VM: room for source and destination
  test::Bench b(s);
  REQUIRE(b.profile.name == "coffee-lake-client");
  Vm& vm = b.vm(0);
  // The source's contents, written behind the caches' back (they stay cold).
  HostMemory& mem = b.platform->host_memory();
  for (u64 off = 0; off < kCopyBytes; off += 4096) mem.write_u64(vm.ram_hpa + kSrc + off, off ^ 0x5A5A);

  TimePs t0 = 0, t1 = 0;
  Breakdown spent;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    std::vector<u8> buf(kChunk);
    g.load<u64>(kSrc);  // translation warm: the copy below starts with a TLB as a running program has it
    const Breakdown before = c.cumulative();
    t0 = c.now_ps();
    for (u64 off = 0; off < kCopyBytes; off += kChunk) {
      g.read(kSrc + off, buf.data(), kChunk);
      g.write(kDst + off, buf.data(), kChunk);
    }
    t1 = c.now_ps();
    spent = c.cumulative() - before;
  });
  sc_core::sc_start();
  REQUIRE(t1 > t0);
  const double gb_per_s = static_cast<double>(kCopyBytes) / ps_to_ns(t1 - t0);
  INFO("memcpy: " << gb_per_s << " GB/s, " << ps_to_ns(t1 - t0) / 1e6 << " ms");
  CHECK(gb_per_s == Approx(11.0).epsilon(0.25));
  // DRAM misses dominate, and the breakdown still adds up to the copy's time.
  CHECK(spent.total() == t1 - t0);
  CHECK(spent.get(Component::dram) > spent.total() / 2);
  for (u64 off = 0; off < kCopyBytes; off += 4096) REQUIRE(mem.read_u64(vm.ram_hpa + kDst + off) == (off ^ 0x5A5A));
}

TEST_CASE("a copy of a buffer that fits the L1D costs the L1D's throughput, not a miss per line") {
  Scenario s = test::two_vm_scenario();
  test::Bench b(s);
  TimePs warm = 0, cold = 0;
  b.cpu("RT_VM").set_program([&](Vcpu& c) {
    Guest g(c);
    std::vector<u8> buf(8 * 1024);
    TimePs t = c.now_ps();
    g.read(kSrc, buf.data(), buf.size());  // cold: from DRAM
    cold = c.now_ps() - t;
    t = c.now_ps();
    g.read(kSrc, buf.data(), buf.size());  // warm: 128 lines in the L1D
    warm = c.now_ps() - t;
  });
  sc_core::sc_start();
  const u64 lines = 8 * 1024 / kCacheLineBytes;
  // First line's latency, then one line per issue interval.
  CHECK(warm == b.timing.l1_hit_ps + (lines - 1) * b.timing.l1_load_line_ps);
  // Cold, the misses overlap: far below one DRAM latency per line.
  CHECK(cold < lines * b.timing.dram_ps / 4);
  CHECK(cold >= lines * b.timing.dram_ps / b.timing.mlp);
}
