#include "models/host/coherence_directory.h"

#include <stdexcept>

namespace ivsim {

CoherenceDirectory::CoherenceDirectory(const TimingParams& timing, std::vector<std::vector<CoreDistance>> distance)
    : timing_(timing), distance_(std::move(distance)) {
  if (distance_.size() > kMaxCores) throw std::invalid_argument("more pCPUs than the coherence directory tracks");
}

LinePage* CoherenceDirectory::page(Hpa hpa) {
  const u64 chunk = hpa >> kChunkShift;
  if (chunk >= chunks_.size()) chunks_.resize(chunk + 1);
  auto& c = chunks_[chunk];
  if (!c) {
    c = std::make_unique<std::array<LinePage*, kPagesPerChunk>>();
    c->fill(nullptr);
  }
  LinePage*& p = (*c)[(hpa >> kPageShift4K) & (kPagesPerChunk - 1)];
  if (!p) {
    owned_.push_back(std::make_unique<LinePage>());
    p = owned_.back().get();
  }
  return p;
}

AccessCost CoherenceDirectory::load(LineState& l, unsigned core) {
  const CoreMask me = CoreMask{1} << core;
  if (l.holders & me) return {timing_.l1_hit_ps, Component::cache};
  AccessCost cost;
  if (l.modified_by != 0) {
    // Modified in another core: that core forwards the line and keeps it Shared.
    cost = {transfer_ps(l.modified_by - 1, core), Component::coherence};
    l.modified_by = 0;
  } else if (l.holders != 0) {
    // Clean in other cores: served by the inclusive LLC.
    cost = {timing_.llc_hit_ps, Component::cache};
  } else {
    cost = {timing_.dram_ps, Component::dram};
  }
  l.holders |= me;
  return cost;
}

AccessCost CoherenceDirectory::store(LineState& l, unsigned core, TimePs now_ps) {
  const CoreMask me = CoreMask{1} << core;
  AccessCost cost{timing_.l1_hit_ps, Component::cache};
  if (l.holders == 0) cost = {timing_.dram_ps, Component::dram};  // write-allocate fill
  l.holders = me;
  l.modified_by = static_cast<u8>(core + 1);
  l.last_write_ps = now_ps;
  return cost;
}

}  // namespace ivsim
