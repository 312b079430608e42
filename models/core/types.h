// Shared vocabulary of the models: address spaces, sizes and simulated time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ivsim {

using u8 = std::uint8_t;
using u16 = std::uint16_t;
using u32 = std::uint32_t;
using u64 = std::uint64_t;
using i64 = std::int64_t;

// Addresses carry their space in the type name; they are plain integers so
// that the per-access path stays free of conversions.
using Gva = u64;  // guest virtual address
using Gpa = u64;  // guest physical address
using Hpa = u64;  // host physical address

using VmId = u16;

// Simulated time inside the models is integer picoseconds (the SystemC
// default resolution), so sums are exact and runs are reproducible.
using TimePs = u64;

constexpr u64 kPageShift4K = 12;
constexpr u64 kPageSize4K = u64{1} << 12;
constexpr u64 kPageSize2M = u64{1} << 21;
constexpr u64 kPageSize1G = u64{1} << 30;
constexpr u64 kCacheLineShift = 6;
constexpr u64 kCacheLineBytes = u64{1} << kCacheLineShift;
constexpr u64 kMiB = u64{1} << 20;
constexpr u64 kGiB = u64{1} << 30;

constexpr u64 page_base(u64 addr) { return addr & ~(kPageSize4K - 1); }
constexpr u64 page_offset(u64 addr) { return addr & (kPageSize4K - 1); }
constexpr u64 round_up(u64 v, u64 align) { return (v + align - 1) & ~(align - 1); }
constexpr bool is_aligned(u64 v, u64 align) { return (v & (align - 1)) == 0; }
constexpr bool is_power_of_two(u64 v) { return v != 0 && (v & (v - 1)) == 0; }
// A register file's offset, for a handler that switches on a 64-bit one
// (ACRN's MMIO handlers): one past 4 GiB matches no register, so it is not
// cut to its low 32 bits but kept past every register.
constexpr u32 register_offset(u64 offset) { return offset > 0xFFFF'FFFFu ? 0xFFFF'FFFFu : static_cast<u32>(offset); }

// A count of core clock cycles; converted to time only through a Frequency.
struct Cycles {
  u64 value = 0;
};

// Core clock frequency, kept as picoseconds per 1000 cycles so that cycle
// counts convert to integer picoseconds without floating point per access.
class Frequency {
 public:
  Frequency() = default;
  static Frequency from_mhz(u64 mhz) {
    Frequency f;
    f.mhz_ = mhz;
    return f;
  }
  u64 mhz() const { return mhz_; }
  // ps = cycles * 1e6 / MHz, rounded to nearest. Counts past 2^44 (guest
  // TSC deadlines, say) take the 128-bit path instead of wrapping.
  TimePs to_ps(Cycles c) const {
    if (c.value < (u64{1} << 44)) return (c.value * 1000000 + mhz_ / 2) / mhz_;
    const unsigned __int128 ps = (static_cast<unsigned __int128>(c.value) * 1000000 + mhz_ / 2) / mhz_;
    return ps > ~u64{0} ? ~u64{0} : static_cast<TimePs>(ps);
  }
  double cycles_in(TimePs ps) const { return static_cast<double>(ps) * static_cast<double>(mhz_) / 1e6; }

 private:
  u64 mhz_ = 1000;
};

// Inputs are range-checked where they are read (timing entries); outside
// [0, ~213 days] the conversion saturates instead of being undefined.
constexpr TimePs ns_to_ps(double ns) {
  const double ps = ns * 1000.0 + 0.5;
  return !(ps >= 0) ? 0 : ps >= 18446744073709549568.0 ? ~u64{0} : static_cast<TimePs>(ps);
}
constexpr double ps_to_ns(TimePs ps) { return static_cast<double>(ps) / 1000.0; }

}  // namespace ivsim
