// One random stream per source of variation (models/host/uncore.h, the
// vCPUs' ticks): SplitMix64, seeded from the run's seed and the source's
// name, so a source draws the same sequence whatever the others do, and the
// same seed gives the same report on every host (the standard library's
// distributions are implementation-defined; these conversions are not).
#pragma once

#include <string_view>

#include "models/core/types.h"

namespace ivsim {

class NoiseRng {
 public:
  NoiseRng() = default;
  NoiseRng(u64 seed, std::string_view source, u64 instance = 0) {
    // FNV-1a of the source's name, mixed with the seed and the instance.
    u64 h = 0xCBF29CE484222325ULL;
    for (char c : source) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
    state_ = seed ^ h ^ (instance * 0x9E3779B97F4A7C15ULL);
    next();
  }
  u64 next() {
    u64 z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n); 0 when n is 0.
  u64 below(u64 n) { return n ? static_cast<u64>(uniform() * static_cast<double>(n)) : 0; }

 private:
  u64 state_ = 0;
};

}  // namespace ivsim
