#include <catch2/catch.hpp>

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
