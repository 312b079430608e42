#include "models/host/coherence_directory.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace ivsim {

namespace {

constexpr CoreMask bit(unsigned core) { return CoreMask{1} << core; }
constexpr u8 llc_bit(unsigned index) { return static_cast<u8>(1u << index); }

// Calls f(core) for every core in the mask, lowest first (deterministic).
template <class F>
void for_each_core(CoreMask m, F&& f) {
  while (m) {
    const unsigned c = static_cast<unsigned>(__builtin_ctzll(m));
    m &= m - 1;
    f(c);
  }
}

}  // namespace

CoherenceDirectory::CoherenceDirectory(const TimingParams& timing, const CacheTopology& t)
    : timing_(timing), distance_(t.distance) {
  const std::size_t n = distance_.size();
  if (n > kMaxCores) throw std::invalid_argument("more pCPUs than the coherence directory tracks (64)");
  for (const auto& row : distance_)
    if (row.size() != n) throw std::invalid_argument("the pCPU distance matrix is not square");
  if (t.llc.size() > kMaxLlcs) throw std::invalid_argument("more last-level caches than the directory tracks (8)");
  if (t.l1d.size() > n || t.l2.size() > n) throw std::invalid_argument("caches for pCPUs beyond the distance matrix");

  std::vector<int> llc_of(n, -1);
  for (std::size_t i = 0; i < t.llc.size(); ++i) {
    const SharedCacheConfig& c = t.llc[i];
    CoreMask cores = 0;
    for (unsigned core : c.cores) {
      if (core >= n)
        throw std::invalid_argument("LLC " + std::to_string(i) + " serves unknown pCPU " + std::to_string(core));
      if (llc_of[core] >= 0) throw std::invalid_argument("pCPU " + std::to_string(core) + " is served by two LLCs");
      llc_of[core] = static_cast<int>(i);
      cores |= bit(core);
    }
    llcs_.push_back(Llc{SetAssocCache(c.geometry.size_bytes, c.geometry.ways), c.inclusive, cores});
  }
  cores_.resize(n);
  for (unsigned core = 0; core < n; ++core) {
    const bool l1 = core < t.l1d.size() && t.l1d[core].size_bytes != 0;
    const bool l2 = core < t.l2.size() && t.l2[core].size_bytes != 0;
    if (!l1 && !l2 && llc_of[core] < 0) continue;  // no such pCPU
    if (!l1 || !l2 || llc_of[core] < 0)
      throw std::invalid_argument("pCPU " + std::to_string(core) +
                                  " lacks an L1D, an L2 or an LLC in the board's caches");
    cores_[core].reset(new CoreCaches{SetAssocCache(t.l1d[core].size_bytes, t.l1d[core].ways),
                                      SetAssocCache(t.l2[core].size_bytes, t.l2[core].ways),
                                      static_cast<unsigned>(llc_of[core])});
  }
}

CoherenceDirectory::~CoherenceDirectory() = default;

CoherenceDirectory::CoreCaches& CoherenceDirectory::caches(unsigned core) {
  if (core >= cores_.size() || !cores_[core])
    throw std::logic_error("access by pCPU " + std::to_string(core) + ", which has no caches");
  return *cores_[core];
}

const CoherenceDirectory::CoreCaches& CoherenceDirectory::caches(unsigned core) const {
  return const_cast<CoherenceDirectory*>(this)->caches(core);
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
    const u64 first = (hpa >> kPageShift4K) << (kPageShift4K - kCacheLineShift);
    for (std::size_t i = 0; i < p->line.size(); ++i) p->line[i].line = first + i;
  }
  return p;
}

AccessCost CoherenceDirectory::load(LineState& l, unsigned core) {
  CoreCaches& cc = caches(core);
  const CoreMask me = bit(core);
  if (l.in_l1 & me) {
    cc.l1d.touch(l.line);
    l.holders |= me;  // back on the fast path, if replacement had taken it off
    return {timing_.l1_hit_ps, Component::cache, false};
  }
  if (l.in_l2 & me) {
    cc.l2.touch(l.line);
    fill_l1(l, core, cc);
    return {timing_.l2_hit_ps, Component::cache, true};
  }
  const AccessCost cost = fetch_cost(l, core);
  // An Exclusive or Modified copy in another core is now Shared (a Modified
  // one written back on the way).
  l.owner = 0;
  l.modified_by = 0;
  const bool alone = l.in_l2 == 0;
  allocate(l, core, cc);
  if (alone) l.owner = static_cast<u8>(core + 1);  // no other core has a copy: Exclusive
  return cost;
}

AccessCost CoherenceDirectory::store(LineState& l, unsigned core, TimePs now_ps, bool full_line) {
  CoreCaches& cc = caches(core);
  const CoreMask me = bit(core);
  const CoreMask others = l.in_l2 & ~me;
  // Retired into the store buffer: a read-for-ownership that invalidates other
  // copies overlaps what follows (the hand-off rule in the header comment); a
  // full-line write needs no read at all.
  AccessCost cost{timing_.l1_hit_ps, Component::cache, false};
  if (others == 0 && !(l.in_l1 & me) && !full_line) {
    // Write-allocate fill of a line no other core holds, from wherever it is.
    cost = (l.in_l2 & me) ? AccessCost{timing_.l2_hit_ps, Component::cache, true} : fetch_cost(l, core);
  }
  for_each_core(others, [&](unsigned k) { drop_private(l, k, false); });
  // Copies in other LLCs (other dies or sockets) are stale now.
  for (unsigned i = 0; i < llcs_.size(); ++i) {
    if (i != cc.llc && (l.llc & llc_bit(i))) {
      llcs_[i].cache.erase(l.line);
      l.llc &= static_cast<u8>(~llc_bit(i));
    }
  }
  if (!(l.in_l2 & me)) {
    allocate(l, core, cc);
  } else if (!(l.in_l1 & me)) {
    cc.l2.touch(l.line);
    fill_l1(l, core, cc);
  } else {
    cc.l1d.touch(l.line);
    l.holders |= me;
  }
  l.owner = static_cast<u8>(core + 1);
  l.modified_by = static_cast<u8>(core + 1);
  l.last_write_ps = now_ps;
  return cost;
}

AccessCost CoherenceDirectory::fetch_cost(LineState& l, unsigned core) {
  const unsigned d = caches(core).llc;
  if (l.owner != 0) return {transfer_ps(l.owner - 1u, core), Component::coherence, true};
  if (l.llc & llc_bit(d)) {
    llcs_[d].cache.touch(l.line);
    return {timing_.llc_hit_ps, Component::cache, true};
  }
  // Clean in a core sharing this LLC but not in the LLC itself (a
  // non-inclusive LLC): the LLC's snoop filter has it forwarded at LLC cost.
  if (l.in_l2 & llcs_[d].cores) return {timing_.llc_hit_ps, Component::cache, true};
  if (l.in_l2 != 0 || l.llc != 0) {
    // Only behind another LLC (another die or socket): the nearest copy comes over.
    TimePs best = std::numeric_limits<TimePs>::max();
    for_each_core(l.in_l2, [&](unsigned k) { best = std::min(best, transfer_ps(k, core)); });
    for (unsigned i = 0; i < llcs_.size(); ++i)
      if ((l.llc & llc_bit(i)) && llcs_[i].cores != 0)  // from that LLC: as far as its first core
        best = std::min(best, transfer_ps(static_cast<unsigned>(__builtin_ctzll(llcs_[i].cores)), core));
    return {best, Component::coherence, true};
  }
  return {timing_.dram_ps, Component::dram, true};
}

void CoherenceDirectory::allocate(LineState& l, unsigned core, CoreCaches& cc) {
  // An inclusive LLC holds whatever its cores hold, and sees every request
  // that misses the L2 (a transfer from another core too); a non-inclusive
  // one is filled by the L2's victims instead (drop_private).
  if (llcs_[cc.llc].inclusive) {
    if (l.llc & llc_bit(cc.llc))
      llcs_[cc.llc].cache.touch(l.line);
    else
      fill_llc(l, cc.llc);
  }
  fill_l2(l, core, cc);
  fill_l1(l, core, cc);
}

void CoherenceDirectory::fill_l1(LineState& l, unsigned core, CoreCaches& cc) {
  const CoreMask me = bit(core);
  // Second chance: an LRU candidate still on the fast path may have been hit
  // there; it loses the fast path (its next access tells the LRU order) and
  // stays. One that lost it and was not accessed since is evicted.
  const u64 v = cc.l1d.insert(l.line, [&](u64 candidate) {
    LineState& s = state_of(candidate);
    const bool referenced = (s.holders & me) != 0;
    s.holders &= ~me;
    return referenced;
  });
  l.in_l1 |= me;
  l.holders |= me;
  if (v != SetAssocCache::kNoLine) {
    // A Modified line goes back to the L2, which holds it (inclusion): its state stays.
    LineState& s = state_of(v);
    s.in_l1 &= ~me;
    s.holders &= ~me;
  }
}

void CoherenceDirectory::fill_l2(LineState& l, unsigned core, CoreCaches& cc) {
  const CoreMask me = bit(core);
  // LRU, sparing lines the L1D still holds: they are in use, the L2 just does
  // not see their hits. Evicting one would take it out of the L1D too.
  const u64 v = cc.l2.insert(l.line, [&](u64 candidate) { return (state_of(candidate).in_l1 & me) != 0; });
  l.in_l2 |= me;
  if (v != SetAssocCache::kNoLine) drop_private(state_of(v), core, true);
}

void CoherenceDirectory::fill_llc(LineState& l, unsigned index) {
  Llc& llc = llcs_[index];
  // Plain LRU over the requests that reach the LLC: a line the cores keep
  // hitting in their own caches ages here and, in an inclusive LLC, its
  // eviction invalidates it in those cores too (an inclusion victim).
  const u64 v = llc.cache.insert(l.line);
  l.llc |= llc_bit(index);
  if (v == SetAssocCache::kNoLine) return;
  LineState& w = state_of(v);
  w.llc &= static_cast<u8>(~llc_bit(index));
  if (llc.inclusive) for_each_core(w.in_l2 & llc.cores, [&](unsigned k) { drop_private(w, k, false); });
}

void CoherenceDirectory::drop_private(LineState& l, unsigned core, bool victim) {
  CoreCaches& cc = caches(core);
  const CoreMask me = bit(core);
  if (l.in_l1 & me) cc.l1d.erase(l.line);
  cc.l2.erase(l.line);  // an L2 victim has already left it
  l.in_l1 &= ~me;
  l.holders &= ~me;
  l.in_l2 &= ~me;
  if (l.owner == core + 1) {
    // Written back if Modified (to the LLC or memory, off the critical path: write-back buffers absorb it).
    l.owner = 0;
    l.modified_by = 0;
  }
  if (!victim) return;
  Llc& llc = llcs_[cc.llc];
  if (llc.inclusive) return;
  // A non-inclusive LLC is filled with the L2's victims, clean or dirty.
  if (l.llc & llc_bit(cc.llc))
    llc.cache.touch(l.line);
  else
    fill_llc(l, cc.llc);
}

}  // namespace ivsim
