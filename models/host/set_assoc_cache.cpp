#include "models/host/set_assoc_cache.h"

#include <stdexcept>
#include <string>

namespace ivsim {

SetAssocCache::SetAssocCache(u64 size_bytes, unsigned ways) : ways_(ways) {
  if (ways == 0 || ways > 256 || size_bytes == 0 || size_bytes % (u64{ways} * kCacheLineBytes) != 0)
    throw std::invalid_argument("a cache of " + std::to_string(size_bytes) + " bytes cannot have " +
                                std::to_string(ways) + " ways of 64-byte lines");
  sets_ = size_bytes / (u64{ways} * kCacheLineBytes);
  set_mask_ = is_power_of_two(sets_) ? sets_ - 1 : 0;
  // A single set: the mask would be 0, which means modulo; that is right too.
  all_ways_ = ways >= kMaxMaskedWays ? ~WayMask{0} : (WayMask{1} << ways) - 1;
  tags_.assign(sets_ * ways_, kNoLine);
}

void SetAssocCache::track_ways() {
  if (tracks_ways()) return;
  // Entry i of each set takes way i, the lines present included: any
  // distinct placement is one the hardware could have made.
  way_.resize(tags_.size());
  for (std::size_t i = 0; i < way_.size(); ++i) way_[i] = static_cast<u8>(i % ways_);
  tracked_ = true;
}

bool SetAssocCache::touch(u64 line) {
  u64* set = set_of(line);
  const unsigned i = find(set, line);
  if (i == ways_) return false;
  to_front(set, i);
  return true;
}

bool SetAssocCache::erase(u64 line) {
  u64* set = set_of(line);
  const unsigned i = find(set, line);
  if (i == ways_) return false;
  std::memmove(set + i, set + i + 1, (ways_ - 1 - i) * sizeof(u64));
  set[ways_ - 1] = kNoLine;
  if (tracked_) {
    // Its way is free again, at the end with the other free ways.
    u8* w = ways_of(set);
    const u8 wi = w[i];
    std::memmove(w + i, w + i + 1, ways_ - 1 - i);
    w[ways_ - 1] = wi;
  }
  return true;
}

}  // namespace ivsim
