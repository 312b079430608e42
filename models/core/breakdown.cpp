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
  // Read only at the weighted components, each set below.
  std::array<TimePs, kComponentCount> rem;
  // The components with a weight, in order: only they can have a remainder.
  std::array<std::size_t, kComponentCount> weighted;
  std::size_t n = 0;
  TimePs assigned = 0;
  for (std::size_t i = 0; i < kComponentCount; ++i) {
    const TimePs w = weights.ps[i];
    if (w == 0) continue;
    weighted[n++] = i;
    TimePs p;
    if (!__builtin_mul_overflow(amount, w, &p)) {
      out.ps[i] = p / total;
      rem[i] = p % total;
    } else {
      const unsigned __int128 wide = static_cast<unsigned __int128>(amount) * w;
      out.ps[i] = static_cast<TimePs>(wide / total);
      rem[i] = static_cast<TimePs>(wide % total);
    }
    assigned += out.ps[i];
  }
  // The remainders add up to `left` times `total`, each below `total`: more
  // than `left` of them are non-zero, so each unit goes to a distinct one,
  // the largest remainder first, the lowest component on a tie.
  for (TimePs left = amount - assigned; left > 0; --left) {
    std::size_t best = weighted[0];
    for (std::size_t j = 1; j < n; ++j)
      if (rem[weighted[j]] > rem[best]) best = weighted[j];
    ++out.ps[best];
    rem[best] = 0;
  }
  return out;
}

}  // namespace ivsim
