#include "models/core/breakdown.h"

namespace ivsim {

Breakdown apportion(TimePs amount, const Breakdown& weights) {
  Breakdown out;
  const TimePs total = weights.total();
  if (total == 0) {
    out.add(Component::coherence, amount);
    return out;
  }
  // The split of an interval over its own breakdown is that breakdown (what
  // the loop below computes, without its divisions).
  if (amount == total) return weights;
  // Each remainder is below `total`; the products need 128 bits only when
  // they overflow 64 (a wait of hours against a long critical path).
  std::array<TimePs, kComponentCount> rem{};
  TimePs assigned = 0;
  for (std::size_t i = 0; i < kComponentCount; ++i) {
    const TimePs w = weights.ps[i];
    if (w == 0) continue;
    if (amount <= ~TimePs{0} / w) {
      const TimePs p = amount * w;
      out.ps[i] = p / total;
      rem[i] = p % total;
    } else {
      const unsigned __int128 p = static_cast<unsigned __int128>(amount) * w;
      out.ps[i] = static_cast<TimePs>(p / total);
      rem[i] = static_cast<TimePs>(p % total);
    }
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
