// guest_paging_reserve_bound, which validation uses to keep a tool's data
// below the guest's page tables, is never less than what the bring-up
// builds: the tables for RAM, bus 0's ECAM window and the device windows,
// plus the mailbox page.
#include <catch2/catch.hpp>

#include <vector>

#include "workloads/guest_paging.h"
#include "workloads/pci_config.h"

using namespace ivsim;

TEST_CASE("guest paging reserve bound covers the tables the bring-up builds", "[guest_paging]") {
  struct Window {
    Gpa base;
    u64 bytes;
  };
  // RAM sizes and windows as the BAR allocator places them: registers below
  // 4 GiB, shared memory in the 64-bit window, naturally aligned.
  const std::vector<std::vector<Window>> layouts = {
      {},
      {{0x8000'0000, 4096}, {0x8000'1000, 4096}, {0x40'0000'0000, 2 * kMiB}},
      {{0x8000'0000, 4096},
       {0x8000'1000, 4096},
       {0x40'0000'0000, 512 * kMiB},
       {0x8000'2000, 4096},
       {0x8000'3000, 4096},
       {0x40'2000'0000, 512 * kMiB}},
  };
  for (const u64 ram : {16 * kMiB, 64 * kMiB + 12 * 4096, 512 * kMiB, 2048 * kMiB})
    for (const u64 page : {kPageSize4K, kPageSize2M, kPageSize1G})
      for (const auto& windows : layouts) {
        GuestPageTables t(page);
        t.map(0, 0, ram, 0);
        t.map(kEcamBase, kEcamBase, u64{1} << 20, 0);
        std::vector<u64> sizes;
        for (const Window& w : windows) {
          t.map(w.base, w.base, w.bytes, 0);
          sizes.push_back(w.bytes);
        }
        INFO("RAM " << ram << " page " << page << " windows " << windows.size());
        const u64 built = (t.table_count() + 1) * kPageSize4K;
        const u64 bound = guest_paging_reserve_bound(ram, page, sizes);
        CHECK(built <= bound);
        CHECK(bound <= built + 64 * kPageSize4K);  // and not far above it
      }
}

TEST_CASE("guest page tables: take() gives what table() gives and frees the host copy", "[guest_paging]") {
  GuestPageTables t(kPageSize4K);
  t.map(0, 0, 4 * kMiB, 0);
  const Gpa base = 0x10'0000;
  for (std::size_t i = 0; i < t.table_count(); ++i) {
    const auto expected = t.table(i, base);
    CHECK(t.take(i, base) == expected);
    CHECK_THROWS_AS(t.table(i, base), std::logic_error);
  }
}
