#include "models/core/breakdown.h"

namespace ivsim {

void apportion_add(Breakdown& to, TimePs amount, const Breakdown& weights) {
  // Only the weighted components are touched: a vCPU waking from a poll
  // adds its wait into its own breakdown here, with no temporary breakdown
  // zeroed, filled and added (docs/performance.md).
  const TimePs total = weights.total();
  if (total == 0) {
    to.ps[static_cast<std::size_t>(Component::coherence)] += amount;
    return;
  }
  // The split of an interval over its own breakdown is that breakdown (what
  // the loop below computes, without its divisions).
  if (amount == total) {
    to += weights;
    return;
  }
  // The components with a weight, in order (only they get a share or can
  // have a remainder), each share and remainder. The products need 128 bits
  // only when they overflow 64 (a wait of hours against a long critical path).
  std::array<std::size_t, kComponentCount> weighted;
  std::array<TimePs, kComponentCount> share, rem;
  std::size_t n = 0;
  TimePs assigned = 0;
  for (std::size_t i = 0; i < kComponentCount; ++i) {
    const TimePs w = weights.ps[i];
    if (w == 0) continue;
    TimePs p;
    if (!__builtin_mul_overflow(amount, w, &p)) {
      share[n] = p / total;
      rem[n] = p % total;
    } else {
      const unsigned __int128 wide = static_cast<unsigned __int128>(amount) * w;
      share[n] = static_cast<TimePs>(wide / total);
      rem[n] = static_cast<TimePs>(wide % total);
    }
    assigned += share[n];
    weighted[n++] = i;
  }
  // The remainders add up to `left` times `total`, each below `total`: more
  // than `left` of them are non-zero, so each unit goes to a distinct one,
  // the largest remainder first, the lowest component on a tie.
  for (TimePs left = amount - assigned; left > 0; --left) {
    std::size_t best = 0;
    for (std::size_t j = 1; j < n; ++j)
      if (rem[j] > rem[best]) best = j;
    ++share[best];
    rem[best] = 0;
  }
  for (std::size_t j = 0; j < n; ++j) to.ps[weighted[j]] += share[j];
}

Breakdown apportion(TimePs amount, const Breakdown& weights) {
  Breakdown out;
  apportion_add(out, amount, weights);
  return out;
}

}  // namespace ivsim
