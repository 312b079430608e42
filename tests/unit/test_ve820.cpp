// A pre-launched VM's virtual E820 and the pieces of its memory its EPT
// maps, as create_prelaunched_vm_e820 and prepare_prelaunched_vm_memmap
// build them (arch/x86/guest/ve820.c, vm.c).
#include <catch2/catch.hpp>

#include "models/hv/ve820.h"

using namespace ivsim;

namespace {
bool same(const E820Entry& e, Gpa base, u64 length, E820Type type) {
  return e.base == base && e.length == length && e.type == type;
}
}  // namespace

TEST_CASE("a pre-launched VM under 2 GiB: RAM to 2 MiB short of its memory, the ACPI tables under 2 GiB") {
  const auto e = create_prelaunched_vm_e820(512 * kMiB);
  // Software SRAM (PRE_RTVM_SW_SRAM_MAX_SIZE 0) leaves no entry.
  REQUIRE(e.size() == 7);
  CHECK(same(e[0], 0, 0xA0000, E820Type::ram));
  CHECK(same(e[1], 0xA0000, 0x60000, E820Type::reserved));
  CHECK(same(e[2], kMiB, 509 * kMiB, E820Type::ram));          // 512 MiB - 1 MiB - 2 MiB
  CHECK(same(e[3], 0x7FDF'B000, 0x5000, E820Type::reserved));  // the GPU OpRegion
  CHECK(same(e[4], 0x7FE0'0000, kMiB, E820Type::acpi_reclaim));
  CHECK(same(e[5], 0x7FF0'0000, kMiB, E820Type::acpi_nvs));
  CHECK(same(e[6], 2 * kGiB, 2 * kGiB, E820Type::reserved));
  CHECK(prelaunched_low_ram_end(512 * kMiB) == 510 * kMiB);
  CHECK(prelaunched_high_ram_bytes(512 * kMiB) == 0);

  // Its memory backs all but the reserved entries above 1 MiB, in order:
  // 512 MiB in all, the range under 1 MiB uncached.
  const auto m = prelaunched_vm_memmap(e);
  REQUIRE(m.size() == 5);
  u64 bytes = 0;
  for (const auto& p : m) bytes += p.bytes;
  CHECK(bytes == 512 * kMiB);
  CHECK(m[1].gpa == 0xA0000);
  CHECK(m[1].uncached);
  CHECK_FALSE(m[2].uncached);
  CHECK(m[3].gpa == 0x7FE0'0000);
  CHECK(m[4].gpa == 0x7FF0'0000);
}

TEST_CASE("a pre-launched VM over 2 GiB - 20 KiB: RAM up to the OpRegion, the rest from 4 GiB") {
  // lowmem_max_length: 2 GiB less the OpRegion's 20 KiB (and no Software SRAM).
  const u64 lowmem_max = 2 * kGiB - 0x5000;
  CHECK(prelaunched_high_ram_bytes(lowmem_max) == 0);
  CHECK(prelaunched_low_ram_end(lowmem_max) == lowmem_max - 2 * kMiB);

  const auto e = create_prelaunched_vm_e820(2 * kGiB);
  REQUIRE(e.size() == 8);
  CHECK(same(e[2], kMiB, 0x7FDF'B000 - kMiB, E820Type::ram));
  CHECK(same(e[7], 4 * kGiB, 0x5000, E820Type::ram));  // what does not fit below: 20 KiB
  CHECK(prelaunched_low_ram_end(2 * kGiB) == 0x7FDF'B000);
  CHECK(prelaunched_high_ram_bytes(3 * kGiB) == kGiB + 0x5000);

  const auto m = prelaunched_vm_memmap(create_prelaunched_vm_e820(3 * kGiB));
  u64 bytes = 0;
  for (const auto& p : m) bytes += p.bytes;
  CHECK(bytes == 3 * kGiB);
  CHECK(m.back().gpa == 4 * kGiB);
}

TEST_CASE("a pre-launched VM too small for its E820 is refused") {
  CHECK_THROWS_AS(create_prelaunched_vm_e820(3 * kMiB), std::invalid_argument);
}
