#include "models/dm/dm_mmio_ranges.h"

namespace ivsim {

const DmMmioRanges::Range* DmMmioRanges::lookup(const Tree& t, u64 addr) {
  auto it = t.upper_bound(addr);
  if (it == t.begin()) return nullptr;
  --it;
  const Range& r = it->second;
  return addr - r.base < r.size ? &r : nullptr;
}

bool DmMmioRanges::register_in(Tree& t, const Range& r) {
  if (r.size == 0 || r.base + (r.size - 1) < r.base) return false;
  // The first range at or after the new one's base must begin past its end;
  // the one before must end before its base.
  auto next = t.lower_bound(r.base);
  if (next != t.end() && next->first <= r.base + (r.size - 1)) return false;
  if (next != t.begin() && lookup(t, r.base)) return false;
  t.emplace(r.base, r);
  return true;
}

bool DmMmioRanges::unregister_in(Tree& t, const std::string& name, u64 base, u64 size) {
  // mmio_rb_lookup by the base, then the name, base and size must match.
  const Range* r = lookup(t, base);
  if (!r || r->name != name || r->base != base || r->size != size) return false;
  t.erase(base);
  return true;
}

void DmMmioRanges::drop(pci::Bdf bdf) {
  for (auto it = ranges_.begin(); it != ranges_.end();) it = it->second.bdf == bdf ? ranges_.erase(it) : std::next(it);
}

}  // namespace ivsim
