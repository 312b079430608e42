#include "models/core/breakdown.h"

namespace ivsim {

Breakdown apportion(TimePs amount, const Breakdown& weights) {
  Breakdown out;
  const TimePs total = weights.total();
  if (total == 0) {
    out.add(Component::coherence, amount);
    return out;
  }
  std::array<unsigned __int128, kComponentCount> rem{};
  TimePs assigned = 0;
  for (std::size_t i = 0; i < kComponentCount; ++i) {
    const unsigned __int128 p = static_cast<unsigned __int128>(amount) * weights.ps[i];
    out.ps[i] = static_cast<TimePs>(p / total);
    rem[i] = p % total;
    assigned += out.ps[i];
  }
  for (TimePs left = amount - assigned; left > 0; --left) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < kComponentCount; ++i)
      if (rem[i] > rem[best]) best = i;
    ++out.ps[best];
    rem[best] = 0;
  }
  return out;
}

}  // namespace ivsim
