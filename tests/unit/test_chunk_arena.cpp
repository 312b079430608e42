#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "models/core/chunk_arena.h"
#include "models/host/host_memory.h"

using namespace ivsim;

TEST_CASE("a chunk arena hands out distinct, aligned, zero-filled slots across chunks") {
  ChunkArena a(3000, 64);
  CHECK(a.slot_bytes() == 3008);
  const std::size_t per_chunk = ChunkArena::kChunkBytes / a.slot_bytes();
  std::vector<u8*> got;
  std::set<u8*> distinct;
  for (std::size_t i = 0; i < per_chunk + 3; ++i) {
    auto* p = static_cast<u8*>(a.allocate());
    CHECK(reinterpret_cast<std::uintptr_t>(p) % 64 == 0);
    // Zero-filled, and not overlapping any earlier slot: filled with a mark
    // that a later slot overlapping it would show.
    CHECK(std::all_of(p, p + 3000, [](u8 b) { return b == 0; }));
    std::memset(p, 0xA5, 3000);
    distinct.insert(p);
    got.push_back(p);
  }
  CHECK(distinct.size() == got.size());
  CHECK(a.chunks() == 2);
  for (u8* p : got) CHECK(std::all_of(p, p + 3000, [](u8 b) { return b == 0xA5; }));
}

TEST_CASE("a slot given back to a chunk arena comes back zero-filled") {
  ChunkArena a(4096, 64);
  auto* p = static_cast<u8*>(a.allocate());
  std::memset(p, 0xFF, 4096);
  a.release(p);
  auto* q = static_cast<u8*>(a.allocate());
  CHECK(q == p);
  CHECK(std::all_of(q, q + 4096, [](u8 b) { return b == 0; }));
  CHECK(a.chunks() == 1);
}

TEST_CASE("a chunk arena refuses sizes and alignments it cannot place") {
  CHECK_THROWS_AS(ChunkArena(0, 8), std::invalid_argument);
  CHECK_THROWS_AS(ChunkArena(64, 48), std::invalid_argument);
  CHECK_THROWS_AS(ChunkArena(ChunkArena::kChunkBytes + 1, 8), std::invalid_argument);
}

TEST_CASE("a host page reuses a slot another memory gave back, and reads as zero") {
  std::set<const u8*> given_back;
  {
    HostMemory first(39);
    for (u64 i = 0; i < 8; ++i) {
      first.write_u64(i * kPageSize4K, ~u64{0});
      given_back.insert(first.page(i * kPageSize4K));
    }
  }
  HostMemory second(39);
  for (u64 i = 0; i < 8; ++i) {
    const u8* p = second.page(i * kPageSize4K);
    CHECK(given_back.count(p) == 1);  // the reuse happened: same slots, not fresh ones
    CHECK(std::all_of(p, p + kPageSize4K, [](u8 b) { return b == 0; }));
  }
  CHECK(second.resident_pages() == 8);
}

TEST_CASE("a large array's allocator serves small and large arrays alike") {
  // Below 1 MiB from the heap, from 1 MiB on mapped memory aligned to 2 MiB.
  for (std::size_t n : {std::size_t{1000}, std::size_t{300'000}}) {
    std::vector<u64, LargeArrayAllocator<u64>> v(n, 7);
    v[n - 1] = 9;
    CHECK(v.front() == 7);
    CHECK(v.back() == 9);
    if (n * sizeof(u64) >= (std::size_t{1} << 20))
      CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % ChunkArena::kChunkBytes == 0);
    v.assign(2 * n, 1);  // grows: the old array is given back with its own size
    CHECK(v[2 * n - 1] == 1);
  }
}

TEST_CASE("a zero-page array reads as zero, keeps what is written, copies and clears") {
  ZeroPageArray<u64> a(20'000);  // 160 000 bytes: 40 pages
  CHECK(a.size() == 20'000);
  CHECK(a[0] == 0);
  CHECK(a[19'999] == 0);
  a[7] = 3;
  a[15'000] = 9;
  ZeroPageArray<u64> b(a);
  CHECK(b[7] == 3);
  CHECK(b[15'000] == 9);
  CHECK(b[8] == 0);
  a.clear();
  CHECK(a[7] == 0);
  CHECK(a[15'000] == 0);
  CHECK(b[7] == 3);  // the copy is its own memory
  b = a;
  CHECK(b[15'000] == 0);
  a[1] = 5;
  CHECK(b[1] == 0);
  ZeroPageArray<u64> empty(0);
  CHECK(empty.size() == 0);
  ZeroPageArray<u64> empty_copy(empty);
  empty_copy.clear();
  CHECK(empty_copy.size() == 0);
}
